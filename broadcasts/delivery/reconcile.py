"""Reconciliation: the only place that decides whether a possibly-sent row may go again.

A row is in doubt when it is SENDING with an expired lease, or a lease whose process is known to
be gone (same host, pid no longer running: a killed worker), or UNKNOWN (a 5xx or a timeout).
Twilio's message list, filtered by recipient and time, tells whether the message exists: if one
matches, the row is SENT with that sid. If none does, the row may be sent again only once the
settle delay since the attempt has passed (the list may lag behind a request still being
processed); until then it waits. A status callback that arrives meanwhile settles the row too
(see `broadcasts.delivery.outbox.apply_status`): it carries the sid.

Matching: a message to the same address, created since shortly before the attempt, whose sid
no row has recorded, and whose text is ours (the body as sent free-form, a broadcast's framed by
`framing`; the template parameter inside the rendered template otherwise).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from broadcasts.clock import Clock
from broadcasts.db.database import Database
from broadcasts.db.models import Broadcast, DeliveryState, Member, OutboundMessage
from broadcasts.delivery import framing, outbox
from broadcasts.delivery.dispatch import (
    LEASE,
    PROCESS_OWNER,
    configured_dispatcher,
    template_text,
)
from broadcasts.delivery.outbox import MAX_ATTEMPTS, mark_done, record_sent
from broadcasts.delivery.transports.base import SentMessage, Transport
from broadcasts.delivery.window import approved_templates, template_key
from broadcasts.runtime import Runtime
from config.settings import Settings

log = logging.getLogger(__name__)

# Clocks differ: look a little before the attempt.
LOOKUP_MARGIN = timedelta(minutes=2)
LOOKUP_RETRY = timedelta(seconds=30)
BATCH = 200
# How much of the text a template-rendered body is matched on.
FINGERPRINT = 60


@dataclass(frozen=True)
class InDoubt:
    delivery_id: int
    address: str
    attempted_at: datetime
    attempts: int
    fingerprint: str | None  # None: any unrecorded message to the address matches
    exact: bool  # free-form: the whole body must match


@dataclass
class Report:
    confirmed: int = 0  # found at Twilio: SENT
    resend: int = 0  # settled and not found: back to QUEUED
    waiting: int = 0  # not found yet, settle delay not over
    failed: int = 0  # too many attempts
    lookup_errors: int = 0
    swept: int = 0  # rows of cancelled broadcasts skipped


class Reconciler:
    def __init__(
        self,
        settings: Settings,
        database: Database,
        clock: Clock,
        transport: Transport,
        *,
        owner: str = PROCESS_OWNER,
    ) -> None:
        self.settings = settings
        self.database = database
        self.clock = clock
        self.transport = transport
        self.owner = owner
        self.settle = timedelta(seconds=settings.delivery_settle_seconds)

    def run(self) -> Report:
        report = Report()
        report.swept = self.sweep_cancelled()
        while True:
            batch = self.take(BATCH)
            if not batch:
                break
            self.settle_batch(batch, report)
            if len(batch) < BATCH:
                break
        with self.database.transaction() as session:
            mark_done(session, self.clock.now())
        return report

    def _in_doubt(self, now: datetime, dead: list[str]) -> ColumnElement[bool]:
        lease_over = or_(
            OutboundMessage.lease_expires_at < now, OutboundMessage.lease_owner.in_(dead)
        )
        return or_(
            and_(
                OutboundMessage.state == DeliveryState.UNKNOWN.value,
                or_(
                    OutboundMessage.next_attempt_at.is_(None),
                    OutboundMessage.next_attempt_at <= now,
                ),
                or_(OutboundMessage.lease_expires_at.is_(None), lease_over),
            ),
            and_(OutboundMessage.state == DeliveryState.SENDING.value, lease_over),
        )

    def take(self, limit: int) -> list[InDoubt]:
        """Leases rows in doubt to this process (state unchanged) and says what to look for."""
        now = self.clock.now()
        with self.database.transaction() as session:
            dead = dead_owners(session, now)
            statement = select(OutboundMessage).where(self._in_doubt(now, dead)).limit(limit)
            if self.database.is_postgresql:
                statement = statement.with_for_update(skip_locked=True, of=OutboundMessage)
            rows = list(session.scalars(statement))
            broadcasts = {
                b.id: b
                for b in session.scalars(
                    select(Broadcast).where(
                        Broadcast.id.in_({r.broadcast_id for r in rows if r.broadcast_id})
                    )
                )
            }
            languages = dict(
                session.execute(
                    select(Member.id, Member.language).where(
                        Member.id.in_({r.member_id for r in rows})
                    )
                ).all()
            )
            templates = approved_templates(session)
            taken = []
            for row in rows:
                row.lease_owner = self.owner
                row.lease_expires_at = now + LEASE
                broadcast = broadcasts.get(row.broadcast_id) if row.broadcast_id else None
                body = (broadcast.body if broadcast is not None else row.body) or ""
                # Free-form, a broadcast went out framed (`framing`): that is the text to find.
                language = languages.get(row.member_id) or self.settings.bot_language
                fingerprint: str | None = framing.framed(body, broadcast, language).strip()
                if row.mode == "template":
                    key = template_key(
                        broadcast, languages.get(row.member_id), self.settings.bot_language
                    )
                    template = templates.get(key)
                    # A template without a variable does not carry our text: the address and
                    # the time are all there is to match on.
                    fingerprint = (
                        template_text(body)[:FINGERPRINT]
                        if template is not None and template.variables
                        else None
                    )
                taken.append(
                    InDoubt(
                        row.id,
                        row.address,
                        row.attempted_at or now,
                        row.attempts,
                        fingerprint or None,
                        exact=row.mode != "template",
                    )
                )
        return taken

    def settle_batch(self, batch: list[InDoubt], report: Report) -> None:
        found: dict[int, list[SentMessage] | None] = {}
        for item in batch:
            try:
                found[item.delivery_id] = self.transport.sent_to(
                    item.address, item.attempted_at - LOOKUP_MARGIN
                )
            except Exception as error:
                log.warning("lookup for delivery %s failed: %s", item.delivery_id, error)
                found[item.delivery_id] = None
        now = self.clock.now()
        with self.database.transaction() as session:
            for item in batch:
                messages = found[item.delivery_id]
                if messages is None:
                    report.lookup_errors += 1
                    self._release(session, item, now, DeliveryState.UNKNOWN, now + LOOKUP_RETRY)
                    continue
                match = self._match(session, item, messages)
                if match is not None:
                    if record_sent(session, item.delivery_id, match.sid, now):
                        report.confirmed += 1
                        log.info("delivery %s found at Twilio: %s", item.delivery_id, match.sid)
                elif now - item.attempted_at < self.settle:
                    report.waiting += 1
                    wake = item.attempted_at + self.settle
                    self._release(session, item, now, DeliveryState.UNKNOWN, wake)
                elif item.attempts >= MAX_ATTEMPTS:
                    report.failed += 1
                    reason = f"not sent after {item.attempts} attempts with unknown outcome"
                    self._release(session, item, now, DeliveryState.FAILED, None, reason)
                else:
                    report.resend += 1
                    reason = "not found at Twilio after the settle delay; sending again"
                    self._release(session, item, now, DeliveryState.QUEUED, now, reason)

    def _match(
        self, session: Session, item: InDoubt, messages: list[SentMessage]
    ) -> SentMessage | None:
        candidates = [m for m in messages if m.to == item.address]
        if not candidates:
            return None
        recorded = set(
            session.scalars(
                select(OutboundMessage.twilio_sid).where(
                    OutboundMessage.twilio_sid.in_([m.sid for m in candidates])
                )
            )
        )
        for message in reversed(candidates):  # oldest first: the first attempt's message
            if message.sid in recorded:
                continue
            if item.fingerprint is None:
                return message
            if item.exact and message.body.strip() == item.fingerprint:
                return message
            if not item.exact and item.fingerprint in " ".join(message.body.split()):
                return message
        return None

    def _release(
        self,
        session: Session,
        item: InDoubt,
        now: datetime,
        state: DeliveryState,
        next_attempt_at: datetime | None,
        reason: str | None = None,
    ) -> None:
        outbox.release(session, item.delivery_id, self.owner, state, next_attempt_at, now, reason)

    def sweep_cancelled(self) -> int:
        """Queued rows of cancelled broadcasts will never go: they are skipped at once."""
        with self.database.transaction() as session:
            return outbox.skip_queued(session, self.clock.now())


def owner_is_dead(owner: str) -> bool:
    """True only when certain: the owner ran on this host and its process is gone.

    A recycled pid looks alive, which is the safe mistake: that lease then simply expires.
    """
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != PROCESS_OWNER.partition(":")[0] or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return owner != PROCESS_OWNER
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def dead_owners(session: Session, now: datetime) -> list[str]:
    """Owners of unexpired leases whose process is known to be gone (killed workers)."""
    owners = session.scalars(
        select(OutboundMessage.lease_owner)
        .where(
            OutboundMessage.state == DeliveryState.SENDING.value,
            OutboundMessage.lease_expires_at >= now,
            OutboundMessage.lease_owner.is_not(None),
        )
        .distinct()
    )
    return [owner for owner in owners if owner and owner_is_dead(owner)]


def reconcile_job(services: Runtime) -> None:
    dispatcher = configured_dispatcher(services)
    if dispatcher is None:
        return
    report = Reconciler(
        services.settings,
        services.database,
        services.clock,
        dispatcher.transport,
        owner=dispatcher.owner,
    ).run()
    if report.confirmed or report.resend or report.failed or report.lookup_errors:
        log.info("reconciled: %s", report)
