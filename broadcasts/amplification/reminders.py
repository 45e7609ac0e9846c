"""INGATKAN / REMIND: the members of the offices that have not confirmed a repost are reminded,
by notice (so within WhatsApp's 24-hour rules: `delivery.notices`), at most once per office per
broadcast per day (the office's own day, in its zone).

The notices' dedupe keys carry the broadcast, the office and the day: a second INGATKAN the same
day finds the office reminded and plans nothing for it, and two at once plan each notice once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcasts.amplification.coverage import Coverage, Office, coverage
from broadcasts.db.models import Member, Membership, OutboundMessage
from broadcasts.delivery.notices import NoticeCounts, notify
from broadcasts.editorial.workflow import preview

PREFIX = "amplify-remind"
TEMPLATE = "notice_amplify_remind"


@dataclass
class Reminded:
    coverage: Coverage
    offices: list[Office] = field(default_factory=list)  # reminded now
    earlier: list[Office] = field(default_factory=list)  # reminded already today: not again
    notices: NoticeCounts = field(default_factory=NoticeCounts)


def _day(office: Office, now: datetime) -> str:
    return now.astimezone(ZoneInfo(office.timezone)).date().isoformat()


def office_key(broadcast_id: int, office: Office, now: datetime) -> str:
    return f"{PREFIX}:{broadcast_id}:{office.id}:{_day(office, now)}:"


def remind(
    session: Session,
    broadcast_id: int,
    coordinator: Member | None,
    now: datetime,
    *,
    default_language: str = "id",
) -> Reminded:
    found = coverage(session, broadcast_id, coordinator)
    result = Reminded(found)
    missing = found.missing
    if not missing:
        return result
    broadcast = found.broadcast
    planned = {
        key
        for key in session.scalars(
            select(OutboundMessage.dedupe_key).where(
                OutboundMessage.dedupe_key.like(f"{PREFIX}:{broadcast.id}:%")
            )
        )
        if key
    }
    planned_offices = {key.rsplit(":", 1)[0] + ":" for key in planned}
    members: dict[int, list[Member]] = {}
    for membership_row, member in session.execute(
        select(Membership, Member)
        .join(Member, Member.id == Membership.member_id)
        .where(Membership.group_id.in_([office.id for office in missing]))
        .order_by(Member.id)
    ):
        if coordinator is None or member.id != coordinator.id:
            members.setdefault(membership_row.group_id, []).append(member)
    text = preview(broadcast.body, 80)
    for office in missing:
        key = office_key(broadcast.id, office, now)
        if key in planned_offices:
            result.earlier.append(office)
            continue
        result.offices.append(office)
        for member in members.get(office.id, []):
            result.notices.add(
                notify(
                    session,
                    member,
                    TEMPLATE,
                    {"id": broadcast.id, "office": office.name, "preview": text},
                    dedupe_key=f"{key}{member.id}",
                    now=now,
                    default_language=default_language,
                )
            )
    return result
