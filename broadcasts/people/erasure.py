"""Erasing a person's data: on their request by chat (HAPUS DATA, then YA HAPUS within ten
minutes), an operator's (`humasbot member erase`, for a request by letter), or the retention
job's (a number in no group, silent for longer than the retention period).

All of it in one transaction, so it happens whole or not at all:
- the member's phone number, WhatsApp id, name and language go; the row stays as "anggota
  terhapus", so the broadcasts they wrote and the deliveries they received keep their counts;
- their memberships and roles go (their consents stay, withdrawn, as the record of what was
  agreed); their incoming texts go (each MessageSid stays, so a message Twilio sends again is
  still answered once); their hoax reports stay, unlinked from them;
- messages to them still queued will not be sent; the addresses of every message to them go;
- wherever the audit log, a broadcast or the calendar names them as the one who acted
  (`member:+62…`), it names `erased:<id>` instead;
- notices that told others about them (a hoax report, a broadcast to review, a cancellation)
  say "anggota terhapus" in place of their name and number, and their number in any of its
  forms is replaced wherever else the bot kept it in a text;
- the audit log records the erasure, without the number.
Afterwards the number is in no table and no column; a person who writes from it is new.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import phonenumbers
from sqlalchemy import JSON, String, cast, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from broadcasts.db.models import (
    AuditEvent,
    Blackout,
    Broadcast,
    CalendarEntry,
    Campaign,
    Consent,
    Content,
    DeliveryState,
    GroupQuietHours,
    HoaxReport,
    InboundMessage,
    Member,
    OutboundMessage,
)
from broadcasts.delivery import outbox
from broadcasts.editorial import audit
from broadcasts.editorial.workflow import member_actor
from broadcasts.people import membership
from broadcasts.people.membership import erased_actor, shown_phone
from broadcasts.phrasebook import language_or_default, render

CONFIRM_WITHIN = timedelta(minutes=10)
ERASED = "member_erased"  # the audit log's action
# The reason a delivery to an erased member is not sent: `delivery.report` words it
# ("data penerima sudah dihapus"), as it does the dispatcher's own for a member gone.
GONE = "member no longer exists"

# Every column that names who acted by their actor key ("member:+62…"). A test checks that no
# column of this kind is missing when a table gains one.
ACTOR_COLUMNS: tuple[InstrumentedAttribute[Any], ...] = (
    AuditEvent.actor,
    Broadcast.author,
    Broadcast.approved_by,
    Broadcast.cancelled_by,
    Content.created_by,
    Content.approved_by,
    Content.updated_by,
    Content.submitted_by,
    Content.rejected_by,
    Campaign.created_by,
    CalendarEntry.created_by,
    CalendarEntry.approved_by,
    Blackout.created_by,
    GroupQuietHours.updated_by,
    Consent.given_by,
)
# Texts that may quote a number (someone typed it, a notice showed it): scrubbed of it.
_TEXT_COLUMNS: tuple[InstrumentedAttribute[Any], ...] = (
    InboundMessage.body,
    InboundMessage.reply,
    HoaxReport.text,
    Broadcast.rejected_reason,
    Content.rejected_reason,
    AuditEvent.detail,
)


@dataclass(frozen=True)
class Erased:
    """What an erasure did, for the reply and the audit log (counts only)."""

    member_id: int
    groups: int  # memberships ended
    messages: int  # incoming texts deleted
    reports: int  # hoax reports unlinked
    deliveries: int  # messages to them kept in the counts, without their address
    stopped: int  # of those, still queued: never sent


def request(member: Member, now: datetime) -> None:
    """HAPUS DATA: the erasure waits for YA HAPUS within `CONFIRM_WITHIN`."""
    member.erasure_requested_at = now


def pending(member: Member, now: datetime) -> bool:
    asked = member.erasure_requested_at
    return asked is not None and asked <= now <= asked + CONFIRM_WITHIN


def erase(
    session: Session,
    member: Member,
    now: datetime,
    *,
    via: str,
    actor: str | None = None,
    default_language: str = "id",
) -> Erased:
    """Erases the member's personal data (see the module's docstring); `via` ("chat", "cli",
    "retention") and `actor` (None: the person themself) go into the audit log."""
    key = member_actor(member)
    number = WrittenNumber.of(member.phone) if member.phone else None
    _forget_in_notices(session, member, key, number, default_language)
    groups = membership.leave_all(session, member, now)
    messages = _update(
        session,
        InboundMessage,
        or_(
            InboundMessage.member_id == member.id,
            InboundMessage.sender == f"whatsapp:{member.phone}",
        ),
        member_id=None,
        sender="",
        body="",
        reply="",
    )
    reports = _update(session, HoaxReport, HoaxReport.member_id == member.id, member_id=None)
    deliveries, stopped = _forget_deliveries(session, member, now)
    gone = erased_actor(member.id)
    for column in ACTOR_COLUMNS:
        _update(session, column.class_, column == key, **{column.key: gone})
    if number is not None:
        label = render("erased_member", language_or_default(default_language))
        for column in _TEXT_COLUMNS:
            _scrub(session, column, number, label)
    member.phone = member.wa_id = member.name = member.language = None
    member.last_inbound_at = member.erasure_requested_at = None
    member.opted_out_at = member.opted_out_at or now  # a send already claimed stops too
    member.erased_at = now
    erased = Erased(member.id, groups, messages, reports, deliveries, stopped)
    audit.record(
        session,
        actor or gone,
        ERASED,
        "member",
        member.id,
        now,
        via=via,
        groups=groups,
        messages=messages,
        reports=reports,
        deliveries=deliveries,
        stopped=stopped,
    )
    session.flush()
    return erased


@dataclass(frozen=True)
class WrittenNumber:
    """A phone number as people write it in a text: `+62 812-3456-7890`, `6281234567890`,
    `0812 3456 7890`, `whatsapp:+62812…` all match `pattern`."""

    pattern: re.Pattern[str]
    tail: str  # its last digits: a text holding the number holds these

    @classmethod
    def of(cls, phone: str) -> WrittenNumber:
        parsed = phonenumbers.parse(phone)
        national = str(parsed.national_number)
        gap = r"[\s.\-()]*"
        prefix = rf"(?:(?:whatsapp:)?\+?{parsed.country_code}{gap}(?:\(0\){gap})?|0{gap})?"
        digits = gap.join(national)
        return cls(re.compile(rf"(?<!\d){prefix}{digits}(?!\d)"), national[-3:])

    def held_in(self, column: Any) -> Any:
        """Rows that may hold the number; `replaced` tells for sure."""
        return column.contains(self.tail, autoescape=True)

    def replaced(self, text: str, label: str) -> str:
        return self.pattern.sub(label, text)


def _update(session: Session, model: Any, *where: Any, **values: Any) -> int:
    result = session.execute(
        update(model).where(*where).values(**values).execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _forget_deliveries(session: Session, member: Member, now: datetime) -> tuple[int, int]:
    """Messages to the member: those queued are skipped; every one loses its address and text
    and stays in its broadcast's counts. A send already claimed is stopped by the member's
    opt-out (set by `erase`), or, if already on its way, is recorded as it ends."""
    queued = list(
        session.scalars(
            select(OutboundMessage)
            .where(
                OutboundMessage.member_id == member.id,
                OutboundMessage.state == DeliveryState.QUEUED.value,
            )
            .with_for_update()
        )
    )
    for row in queued:
        outbox.finish(row, DeliveryState.SKIPPED, now, reason=GONE)
    session.flush()
    touched = {row.broadcast_id for row in queued if row.broadcast_id is not None}
    if touched:
        outbox.mark_done(session, now, touched)
    kept = _update(
        session, OutboundMessage, OutboundMessage.member_id == member.id, address="", body=None
    )
    return kept, len(queued)


def _forget_in_notices(
    session: Session,
    member: Member,
    key: str,
    number: WrittenNumber | None,
    default_language: str,
) -> None:
    """Notices to others about the member (their hoax reports, their broadcasts to review,
    broadcasts they cancelled) say "anggota terhapus", in each reader's language, where they
    named them; any other notice quoting their number loses the number. Runs before the links
    these notices are found by are gone."""
    about = _notice_keys_about(session, member, key)
    which = [OutboundMessage.dedupe_key.startswith(prefix, autoescape=True) for prefix in about]
    if number is not None:
        which.append(number.held_in(OutboundMessage.body))
    masked = shown_phone(member.phone) if member.phone else None
    name = (member.name or "").strip()
    named = [
        *([f"{name} ({masked})"] if name and masked else []),
        *([masked] if masked else []),
        *([name] if len(name) > 1 else []),
    ]
    for batch in _batches(which, 200):
        rows = session.execute(
            select(OutboundMessage, Member.language)
            .join(Member, Member.id == OutboundMessage.member_id)
            .where(
                OutboundMessage.broadcast_id.is_(None),
                OutboundMessage.member_id != member.id,
                OutboundMessage.body.is_not(None),
                or_(*batch),
            )
        )
        for row, language in rows:
            label = render("erased_member", language_or_default(language, default_language))
            text = row.body or ""
            if any((row.dedupe_key or "").startswith(prefix) for prefix in about):
                text = _replaced(text, named, label)
            row.body = number.replaced(text, label) if number is not None else text


def _notice_keys_about(session: Session, member: Member, key: str) -> list[str]:
    """The dedupe-key prefixes of notices that speak of the member."""
    reports = session.scalars(select(HoaxReport.id).where(HoaxReport.member_id == member.id))
    authored = session.scalars(
        select(Broadcast.id).where(or_(Broadcast.author_id == member.id, Broadcast.author == key))
    )
    cancelled = session.scalars(select(Broadcast.id).where(Broadcast.cancelled_by == key))
    return [
        *(f"hoax:{report_id}:" for report_id in reports),
        *(f"broadcast:{broadcast_id}:review:" for broadcast_id in authored),
        *(f"broadcast:{broadcast_id}:notice_cancelled" for broadcast_id in cancelled),
    ]


def _scrub(
    session: Session, column: InstrumentedAttribute[Any], number: WrittenNumber, label: str
) -> None:
    """Replaces the number, however written, wherever `column` holds it."""
    model = column.class_
    searched = cast(column, String) if isinstance(column.type, JSON) else column
    rows = session.execute(select(model.id, column).where(number.held_in(searched))).all()
    for row_id, value in rows:
        scrubbed = _replaced_in(value, number, label)
        if scrubbed != value:
            _update(session, model, model.id == row_id, **{column.key: scrubbed})


def _replaced(text: str, needles: Iterable[str], label: str) -> str:
    for needle in needles:
        text = text.replace(needle, label)
    return text


def _replaced_in(value: Any, number: WrittenNumber, label: str) -> Any:
    """The number replaced in a text, or in a JSON document's strings."""
    if isinstance(value, str):
        return number.replaced(value, label)
    if isinstance(value, list):
        return [_replaced_in(item, number, label) for item in value]
    if isinstance(value, dict):
        return {k: _replaced_in(item, number, label) for k, item in value.items()}
    return value


def _batches(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
