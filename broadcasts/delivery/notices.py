"""Notices: one-to-one messages the bot sends on its own (to an editor, an author, a coordinator).

A notice is an outbound row like any delivery, so the dispatcher sends it with the same care.
Its `dedupe_key` is unique: asking twice for the same notice plans it once.

WhatsApp's 24-hour window: a notice to a member who wrote to the bot within it goes free-form;
outside it, through the approved template of kind `notice` for the member's language. With no
such template it is not dropped: it is planned with no `next_attempt_at`, so the dispatcher
leaves it alone, and `release_waiting` (a worker job) makes it due once the member writes again.
`notify` says which of these will happen, so whoever asked can tell the truth about it.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from broadcasts.db.models import ContentKind, DeliveryState, Member, OutboundMessage
from broadcasts.delivery.planning import ADDRESS_PREFIX, affected, outbound_insert
from broadcasts.delivery.window import (
    approved_templates,
    in_window,
    template_key,
    waiting_reason,
    window_start,
)
from broadcasts.phrasebook import language_or_default, render
from broadcasts.runtime import Runtime

log = logging.getLogger(__name__)

# Twilio's limit for one WhatsApp body; notices quote user text, so they are kept inside it.
MAX_NOTICE = 1600
RELEASE_SECONDS = 30


class NoticeOutcome(enum.Enum):
    """What becomes of a notice asked for."""

    DELIVERING = "delivering"  # planned and due now: free-form in the window, else by template
    WAITING = "waiting"  # planned, held until the member next writes (outside it, no template)
    NOT_SENT = "not_sent"  # not planned: stopped broadcasts, no phone, or planned before

    def __bool__(self) -> bool:
        """True when planned, whether it goes now or once the member writes."""
        return self is not NoticeOutcome.NOT_SENT


@dataclass
class NoticeCounts:
    """How many of a set of notices go now (`told`), wait for their reader to write
    (`waiting`), or were not planned (`not_reached`)."""

    told: int = 0
    waiting: int = 0
    not_reached: int = 0

    @classmethod
    def of(cls, outcomes: Iterable[NoticeOutcome]) -> NoticeCounts:
        counts = cls()
        for outcome in outcomes:
            counts.add(outcome)
        return counts

    def add(self, outcome: NoticeOutcome) -> NoticeOutcome:
        if outcome is NoticeOutcome.DELIVERING:
            self.told += 1
        elif outcome is NoticeOutcome.WAITING:
            self.waiting += 1
        else:
            self.not_reached += 1
        return outcome

    def merge(self, other: NoticeCounts) -> None:
        self.told += other.told
        self.waiting += other.waiting
        self.not_reached += other.not_reached

    @property
    def planned(self) -> int:
        return self.told + self.waiting

    def data(self) -> dict[str, int]:
        """For a reply's template: `told`, `waiting`, `not_reached`."""
        return {"told": self.told, "waiting": self.waiting, "not_reached": self.not_reached}


def reaches_now(session: Session, member: Member, now: datetime, default_language: str) -> bool:
    """A notice planned now would go at once: the member is inside the window, or an approved
    notice template exists for their language (the dispatcher's own rule)."""
    if in_window(member, now):
        return True
    key = template_key(None, member.language, default_language)
    return key in approved_templates(session)


def notify(
    session: Session,
    member: Member,
    template_name: str,
    data: dict[str, Any],
    *,
    dedupe_key: str,
    now: datetime,
    default_language: str = "id",
) -> NoticeOutcome:
    """Plans the notice `template_name` for `member` and says what will become of it.

    DELIVERING: due now. WAITING: planned, sent when the member next writes. NOT_SENT: not
    planned, because the member stopped broadcasts (BERHENTI), has no phone number to write to,
    or this `dedupe_key` was planned before.
    """
    if member.opted_out or not member.phone:
        return NoticeOutcome.NOT_SENT
    language = language_or_default(member.language, default_language)
    body = render(template_name, language, **data)
    if len(body) > MAX_NOTICE:
        body = body[: MAX_NOTICE - 1] + "…"
    now_or_later = reaches_now(session, member, now, default_language)
    statement = (
        outbound_insert(session)
        .values(
            broadcast_id=None,
            member_id=member.id,
            dedupe_key=dedupe_key[:200],
            address=ADDRESS_PREFIX + member.phone,
            body=body,
            state=DeliveryState.QUEUED.value,
            attempts=0,
            next_attempt_at=now if now_or_later else None,
            reason=None if now_or_later else waiting_reason(language),
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
    )
    if affected(session.execute(statement)) != 1:
        return NoticeOutcome.NOT_SENT
    return NoticeOutcome.DELIVERING if now_or_later else NoticeOutcome.WAITING


def planned_notice(session: Session, dedupe_key: str) -> OutboundMessage | None:
    return session.scalar(select(OutboundMessage).where(OutboundMessage.dedupe_key == dedupe_key))


def outcome_of(row: OutboundMessage | None) -> NoticeOutcome:
    """What became of a planned notice, read from its row (None: never planned)."""
    if row is None or row.state in (DeliveryState.SKIPPED.value, DeliveryState.FAILED.value):
        return NoticeOutcome.NOT_SENT
    if row.state == DeliveryState.QUEUED.value and row.next_attempt_at is None:
        return NoticeOutcome.WAITING
    return NoticeOutcome.DELIVERING


def planned_counts(session: Session, dedupe_keys: Iterable[str]) -> NoticeCounts:
    """`NoticeCounts` of the notices with these keys, as planned (a key never planned counts as
    not reached)."""
    keys = [key[:200] for key in dedupe_keys]
    if not keys:
        return NoticeCounts()
    rows = {
        row.dedupe_key: row
        for row in session.scalars(
            select(OutboundMessage).where(OutboundMessage.dedupe_key.in_(keys))
        )
    }
    return NoticeCounts.of(outcome_of(rows.get(key)) for key in keys)


# --- Held notices go once their member writes -------------------------------------------------


def release_waiting(session: Session, now: datetime, default_language: str = "id") -> int:
    """Held notices whose member has written since (or whose language has a notice template
    now) become due; returns how many. Cheap when none wait: an index range on the held rows
    and a read of the (small) template table."""
    waiting = (
        OutboundMessage.state == DeliveryState.QUEUED.value,
        OutboundMessage.next_attempt_at.is_(None),
        OutboundMessage.broadcast_id.is_(None),
    )
    held = select(OutboundMessage.id).join(Member, Member.id == OutboundMessage.member_id)
    due = set(session.scalars(held.where(*waiting, Member.last_inbound_at >= window_start(now))))
    templates = approved_templates(session)
    if any(kind == ContentKind.NOTICE.value for kind, _ in templates):
        # Rare: most notices go by the template once one is mapped; these waited for it.
        languages = session.execute(held.add_columns(Member.language).where(*waiting))
        due.update(
            row_id
            for row_id, language in languages
            if template_key(None, language, default_language) in templates
        )
    if not due:
        return 0
    return affected(
        session.execute(
            update(OutboundMessage)
            .where(OutboundMessage.id.in_(sorted(due)), *waiting)
            .values(next_attempt_at=now, reason=None, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    )


def release_job(services: Runtime) -> None:
    with services.database.transaction() as session:
        released = release_waiting(session, services.clock.now(), services.settings.bot_language)
    if released:
        log.info("%d held notices released: their readers wrote again", released)
