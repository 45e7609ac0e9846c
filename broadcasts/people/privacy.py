"""What the bot keeps about a person (DATA SAYA), and the office's account of consents,
erasures and retention (`humasbot privacy report`)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from broadcasts.db.models import (
    AuditEvent,
    Broadcast,
    Consent,
    ConsentSource,
    HoaxReport,
    InboundMessage,
    Member,
    Membership,
    OutboundMessage,
    Role,
)
from broadcasts.people import consent, membership
from broadcasts.people.erasure import ERASED
from broadcasts.people.retention import ACTION as RETENTION
from broadcasts.people.retention import Swept

_SWEPT = tuple(Swept.__dataclass_fields__)


@dataclass(frozen=True)
class GroupKept:
    name: str
    code: str
    role: Role
    timezone: str
    joined_at: datetime | None
    source: ConsentSource | None


@dataclass(frozen=True)
class Kept:
    """Everything the bot keeps that is about one member."""

    phone: str | None
    name: str | None
    language: str | None
    opted_out_at: datetime | None
    first_seen: datetime
    groups: list[GroupKept]
    messages: int  # incoming texts still kept
    reports: int  # hoax reports linked to them
    broadcasts: int  # broadcasts they proposed
    deliveries: int  # messages the bot sent them

    @property
    def anything_else(self) -> bool:
        """Whether the bot keeps more than the number and the message now being answered."""
        return bool(
            self.groups or self.messages or self.reports or self.broadcasts or self.deliveries
        )


def kept_about(session: Session, member: Member) -> Kept:
    consents = consent.current(session, member.id)
    groups = [
        GroupKept(
            group.name,
            group.code,
            role,
            group.timezone,
            consents[group.id].given_at if group.id in consents else None,
            ConsentSource(consents[group.id].source) if group.id in consents else None,
        )
        for group, role in membership.groups_of(session, member)
    ]
    return Kept(
        phone=member.phone,
        name=member.name,
        language=member.language,
        opted_out_at=member.opted_out_at,
        first_seen=member.created_at,
        groups=groups,
        messages=_count(
            session, InboundMessage.member_id == member.id, InboundMessage.sender != ""
        ),
        reports=_count(session, HoaxReport.member_id == member.id),
        broadcasts=_count(session, Broadcast.author_id == member.id),
        deliveries=_count(session, OutboundMessage.member_id == member.id),
    )


def _count(session: Session, *where: object) -> int:
    return session.scalar(select(func.count()).where(*where)) or 0  # type: ignore[arg-type]


# --- The office's account ---------------------------------------------------------------------


@dataclass
class Report:
    """Consents by source, erasures done, what retention deleted: for an audit."""

    consents: Counter[str] = field(default_factory=Counter)  # by source, in force
    withdrawn: Counter[str] = field(default_factory=Counter)  # by source, withdrawn
    added_by: Counter[str] = field(default_factory=Counter)  # operators' additions, by actor
    without_consent: int = 0  # memberships with no consent in force (should be none)
    erasures: Counter[str] = field(default_factory=Counter)  # by way: chat, cli, retention
    last_erasure: datetime | None = None
    retained: Counter[str] = field(default_factory=Counter)  # what retention deleted, by kind
    last_retention: datetime | None = None
    texts_kept: int = 0
    oldest_text: datetime | None = None


def report(session: Session) -> Report:
    found = Report()
    for source, withdrawn, count in session.execute(
        select(Consent.source, Consent.withdrawn_at.is_not(None), func.count()).group_by(
            Consent.source, Consent.withdrawn_at.is_not(None)
        )
    ):
        (found.withdrawn if withdrawn else found.consents)[source] += count
    for by, count in session.execute(
        select(Consent.given_by, func.count())
        .where(Consent.given_by.is_not(None))
        .group_by(Consent.given_by)
    ):
        found.added_by[str(by)] += count
    in_force = select(Consent.id).where(
        Consent.member_id == Membership.member_id,
        Consent.group_id == Membership.group_id,
        Consent.withdrawn_at.is_(None),
    )
    found.without_consent = _count(session, Membership.id.is_not(None), ~in_force.exists())
    for event in session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action.in_((ERASED, RETENTION)))
        .order_by(AuditEvent.at, AuditEvent.id)
    ):
        if event.action == ERASED:
            found.erasures[str(event.detail.get("via", "?"))] += 1
            found.last_erasure = event.at
        else:
            found.retained.update({k: int(event.detail.get(k) or 0) for k in _SWEPT})
            found.last_retention = event.at
    found.texts_kept, found.oldest_text = session.execute(
        select(func.count(), func.min(InboundMessage.received_at)).where(
            InboundMessage.sender != ""
        )
    ).one()
    return found
