"""Retention: personal data kept no longer than needed, by a worker job.

- Incoming messages older than `INBOUND_RETENTION_DAYS` (default 90) lose their text, the reply
  given, the sender's number and the link to the member. Their MessageSid and time stay: a
  message Twilio sends again is still answered once (with nothing).
- Notices the bot sent (a hoax report to coordinators, a broadcast to review…) lose their text
  after the same period, once they are sent or closed; the delivery itself stays.
- A hoax report keeps the link to its reporter for `REPORTER_LINK_DAYS` (180): long enough for
  the claim to be checked and its clarification to reach everyone who reported it.
- A number in no group, with no report still linked, silent for longer than the retention
  period, is erased as a member's data is on request (`erasure.erase`, by "retention").

Each run that deleted something says how much in the log and in the audit log, which
`humasbot privacy report` sums.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from broadcasts.db.models import (
    DeliveryState,
    HoaxReport,
    InboundMessage,
    Member,
    Membership,
    OutboundMessage,
)
from broadcasts.editorial import audit
from broadcasts.people import erasure
from broadcasts.runtime import Runtime

log = logging.getLogger(__name__)

REPORTER_LINK_DAYS = 180
ACTOR = "system:retention"
ACTION = "retention"  # the audit log's
# Silent numbers erased per run: keeps one run's transaction short; the next run goes on.
NUMBERS_PER_RUN = 200
RUN_SECONDS = 3600
_CLOSED = (
    DeliveryState.SENT.value,
    DeliveryState.DELIVERED.value,
    DeliveryState.READ.value,
    DeliveryState.FAILED.value,
    DeliveryState.SKIPPED.value,
)


@dataclass(frozen=True)
class Swept:
    texts: int = 0  # incoming messages whose text went
    notices: int = 0  # sent notices whose text went
    report_links: int = 0  # hoax reports unlinked from their reporter
    numbers: int = 0  # silent numbers in no group, erased

    def __bool__(self) -> bool:
        return any(asdict(self).values())


def sweep(
    session: Session, now: datetime, retention_days: int, default_language: str = "id"
) -> Swept:
    """Deletes what is past its time (see the module's docstring); returns how much."""
    cutoff = now - timedelta(days=retention_days)
    texts = _update(
        session,
        InboundMessage,
        InboundMessage.sender != "",
        InboundMessage.received_at < cutoff,
        member_id=None,
        sender="",
        body="",
        reply="",
    )
    notices = _update(
        session,
        OutboundMessage,
        OutboundMessage.broadcast_id.is_(None),
        OutboundMessage.state.in_(_CLOSED),
        OutboundMessage.body.is_not(None),
        OutboundMessage.created_at < cutoff,
        body=None,
    )
    report_links = _update(
        session,
        HoaxReport,
        HoaxReport.member_id.is_not(None),
        HoaxReport.created_at < now - timedelta(days=REPORTER_LINK_DAYS),
        member_id=None,
    )
    numbers = 0
    for member in _silent_numbers(session, cutoff):
        erasure.erase(
            session, member, now, via="retention", actor=ACTOR, default_language=default_language
        )
        numbers += 1
    swept = Swept(texts, notices, report_links, numbers)
    if swept:
        audit.record(
            session, ACTOR, ACTION, "privacy", None, now, days=retention_days, **asdict(swept)
        )
    return swept


def _silent_numbers(session: Session, cutoff: datetime) -> list[Member]:
    """Members with a number, in no group, with no report linked, silent since `cutoff`."""
    in_group = select(Membership.id).where(Membership.member_id == Member.id).exists()
    reported = select(HoaxReport.id).where(HoaxReport.member_id == Member.id).exists()
    return list(
        session.scalars(
            select(Member)
            .where(
                Member.phone.is_not(None),
                func.coalesce(Member.last_inbound_at, Member.created_at) < cutoff,
                ~in_group,
                ~reported,
            )
            .order_by(Member.id)
            .limit(NUMBERS_PER_RUN)
        )
    )


def _update(session: Session, model: Any, *where: Any, **values: Any) -> int:
    result = session.execute(
        update(model).where(*where).values(**values).execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def retention_job(services: Runtime) -> None:
    settings = services.settings
    with services.database.transaction() as session:
        swept = sweep(
            session, services.clock.now(), settings.inbound_retention_days, settings.bot_language
        )
    if swept:
        log.info(
            "retention: %d incoming texts, %d notice texts, %d report links and %d silent "
            "numbers deleted (older than %d days)",
            swept.texts,
            swept.notices,
            swept.report_links,
            swept.numbers,
            settings.inbound_retention_days,
        )
