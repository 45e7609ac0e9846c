"""The dispatcher: sends planned outbound rows through the transport, exactly once.

The invariant everything else rests on: a row is written SENDING (committed) before its request
starts, and only reconciliation (`broadcasts.delivery.reconcile`) decides whether a SENDING or
UNKNOWN row may be sent again. So a dispatcher killed at any moment leaves rows that are either
still QUEUED (never attempted) or SENDING/UNKNOWN (perhaps attempted: looked up at Twilio first).

Claiming: on PostgreSQL `SELECT … FOR UPDATE SKIP LOCKED` plus a lease (owner, expiry), so
several workers share the work; on SQLite a single dispatcher (one writer at a time). A claim
takes at most a fifth of a second's worth of sends (and no more than there are free sending
threads) and re-checks cancel and opt-out; claimed rows still waiting for the rate limiter are
checked again every 0.1 s, so a cancel or an opt-out stops every send that has not started.

Rate: `RateLimiter` grants each start (the transport asks right before the request leaves) a
slot on an even schedule whose every `SEND_RATE_PER_SECOND` consecutive slots span more than a
second, so no one-second window ever holds more starts than the cap (proof in its docstring).
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import queue
import socket
import sys
import threading
import time
import uuid
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from broadcasts.clock import Clock
from broadcasts.db.database import Database
from broadcasts.db.models import (
    Broadcast,
    BroadcastState,
    DeliveryState,
    Member,
    OutboundMessage,
    WhatsAppTemplate,
)
from broadcasts.delivery import framing, outbox, quota
from broadcasts.delivery.progress import Progress, TerminalProgress
from broadcasts.delivery.rate_limit import RateLimiter
from broadcasts.delivery.transports import transport_for
from broadcasts.delivery.transports.base import (
    Failure,
    NotStarted,
    Outgoing,
    SendError,
    SendResult,
    Transport,
)
from broadcasts.delivery.window import approved_templates as approved_templates
from broadcasts.delivery.window import in_window as in_window
from broadcasts.delivery.window import template_key as template_key
from broadcasts.delivery.window import waiting_reason
from broadcasts.runtime import Runtime
from config.settings import Settings

log = logging.getLogger(__name__)


# This process's name on the leases it takes (host, pid, and a nonce against pid reuse).
PROCESS_OWNER = f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
# Longer than a claimed row waits for its turn plus the transport's request timeout, so a live
# owner never loses a lease.
LEASE = timedelta(seconds=60)
# WhatsApp template parameters: no line breaks, bounded length.
TEMPLATE_TEXT_LIMIT = 1000
# One tick of the scheduler works this long, then lets the next tick continue (within 1 s):
# long enough that the pause between slices costs little, short enough for a prompt shutdown.
SLICE_SECONDS = 30.0
FLUSH_SECONDS = 0.2
FLUSH_ROWS = 200
# How often claimed rows still waiting to start are checked against cancels and opt-outs.
STOP_CHECK_SECONDS = 0.1
PROGRESS_SECONDS = 0.5


@dataclass(frozen=True)
class Claimed:
    outgoing: Outgoing
    broadcast_id: int | None
    member_id: int
    attempts: int
    claimed_at: float  # monotonic: stop checks made before it say nothing about this row


@dataclass(frozen=True)
class Held:
    """A notice that cannot reach its member now (outside the window, no notice template): it
    waits, not due, until the member writes (`broadcasts.delivery.notices.release_waiting`)."""

    reason: str


@dataclass(frozen=True)
class Stopped:
    """Claimed, then a cancel or an opt-out landed before its request started."""

    reason: str


Outcome = tuple[Claimed, SendResult | SendError | Stopped]


def template_text(body: str) -> str:
    """The text as a template parameter: one line, bounded."""
    flat = " ".join(body.split())
    if len(flat) > TEMPLATE_TEXT_LIMIT:
        flat = flat[: TEMPLATE_TEXT_LIMIT - 1] + "…"
    return flat


class NotConfigured(RuntimeError):
    """The settings do not allow sending at all; nothing is attempted until they do."""


class Dispatcher:
    """One per process: a rate limiter, a pool of sending threads, and the claim/flush loop."""

    def __init__(
        self,
        settings: Settings,
        database: Database,
        clock: Clock,
        transport: Transport | None = None,
        *,
        owner: str = PROCESS_OWNER,
        concurrency: int | None = None,
        progress: Progress | None = None,
    ) -> None:
        if settings.twilio_enabled and not (
            settings.twilio_whatsapp_from or settings.twilio_messaging_service_sid
        ):
            raise NotConfigured(
                "Twilio is configured but no sender: set TWILIO_WHATSAPP_FROM or"
                " TWILIO_MESSAGING_SERVICE_SID"
            )
        self.settings = settings
        self.database = database
        self.clock = clock
        self.transport = transport or transport_for(settings)
        self.owner = owner
        rate = settings.send_rate_per_second
        self.limiter = RateLimiter(rate)
        # Enough requests in flight to reach the cap at a few hundred ms of latency, bounded.
        self.concurrency = concurrency or min(256, max(4, rate // 2))
        self.claim_size = max(1, rate // 5)
        self.refill = max(1, min(self.claim_size, self.concurrency) // 2)
        self.progress = progress
        self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="send")
        self._last_progress = 0.0
        self._warm = False
        self._stopped: tuple[float, frozenset[int], frozenset[int]] = (
            0.0,
            frozenset(),
            frozenset(),
        )

    # --- claiming ------------------------------------------------------------------------------

    def claim(self, limit: int) -> list[Claimed]:
        """Due QUEUED rows → SENDING under this owner's lease, committed; returns what to send.

        Rows that must not be sent (cancelled broadcast, opted-out member, a broadcast with no
        template outside the window) become SKIPPED with the reason; a notice outside the window
        with no template is never skipped: it stays QUEUED, held (no `next_attempt_at`) until its
        member writes. Template sends past today's tier stay QUEUED until the tier frees up.
        Returns [] only when no due row is left.
        """
        while True:
            found, claimed = self._claim_once(limit)
            if claimed or not found:
                return claimed

    def _claim_once(self, limit: int) -> tuple[int, list[Claimed]]:
        now = self.clock.now()
        moment = time.monotonic()
        with self.database.transaction() as session:
            rows = self._due_rows(session, now, limit)
            if not rows:
                return 0, []
            broadcast_ids = {r.broadcast_id for r in rows if r.broadcast_id is not None}
            broadcasts = {
                b.id: b
                for b in session.scalars(select(Broadcast).where(Broadcast.id.in_(broadcast_ids)))
            }
            members = {
                m.id: m
                for m in session.scalars(
                    select(Member).where(Member.id.in_({r.member_id for r in rows}))
                )
            }
            templates = approved_templates(session)
            tier = quota.DailyTier(session, self.settings.whatsapp_daily_limit, now, self.database)
            claimed = []
            skipped: set[int] = set()
            for row in rows:
                broadcast = broadcasts.get(row.broadcast_id) if row.broadcast_id else None
                outgoing = self._prepare(row, broadcast, members.get(row.member_id), templates)
                if isinstance(outgoing, Held):
                    row.next_attempt_at = None
                    row.reason = outgoing.reason
                    row.updated_at = now
                    log.info("notice %s held until its member writes: %s", row.id, outgoing.reason)
                    continue
                if isinstance(outgoing, str):
                    outbox.finish(row, DeliveryState.SKIPPED, now, reason=outgoing)
                    if row.broadcast_id is not None:
                        skipped.add(row.broadcast_id)
                    continue
                if outgoing.content_sid and not tier.take():
                    row.next_attempt_at = tier.frees_at()
                    row.reason = (
                        f"daily limit of {self.settings.whatsapp_daily_limit} recipients reached;"
                        " held for later"
                    )
                    row.updated_at = now
                    continue
                row.state = DeliveryState.SENDING.value
                row.mode = "template" if outgoing.content_sid else "freeform"
                row.lease_owner = self.owner
                row.lease_expires_at = now + LEASE
                row.attempted_at = now
                row.attempts = (row.attempts or 0) + 1
                row.reason = None
                row.updated_at = now
                claimed.append(
                    Claimed(outgoing, row.broadcast_id, row.member_id, row.attempts, moment)
                )
            if skipped:
                session.flush()
                outbox.mark_done(session, now, skipped)
            if tier.held:
                log.warning("daily limit reached: %d template sends held for later", tier.held)
        return len(rows), claimed

    def _due_rows(self, session: Session, now: datetime, limit: int) -> list[OutboundMessage]:
        # Rows of broadcasts not (or no longer) sending are left alone, except those that a
        # cancel or rejection has made unsendable: those are claimed to be skipped.
        live = select(Broadcast.id).where(
            Broadcast.state.in_(
                (
                    BroadcastState.SENDING.value,
                    BroadcastState.CANCELLED.value,
                    BroadcastState.REJECTED.value,
                )
            )
        )
        # A QUEUED row with no next_attempt_at is a notice held until its member writes.
        statement = (
            select(OutboundMessage)
            .where(
                OutboundMessage.state == DeliveryState.QUEUED.value,
                OutboundMessage.next_attempt_at <= now,
                or_(OutboundMessage.broadcast_id.is_(None), OutboundMessage.broadcast_id.in_(live)),
            )
            .limit(limit)
        )
        if self.database.is_postgresql:
            statement = statement.with_for_update(skip_locked=True, of=OutboundMessage)
        return list(session.scalars(statement))

    def _prepare(
        self,
        row: OutboundMessage,
        broadcast: Broadcast | None,
        member: Member | None,
        templates: dict[tuple[str, str], WhatsAppTemplate],
    ) -> Outgoing | Held | str:
        """What to send for this row, or why it waits for its member (a notice), or the reason
        it is skipped."""
        if broadcast is not None and broadcast.state == BroadcastState.CANCELLED.value:
            return outbox.CANCELLED
        if broadcast is not None and broadcast.state == BroadcastState.REJECTED.value:
            return outbox.REJECTED
        if member is None:
            return "member no longer exists"
        if member.opted_out:
            return "member opted out"
        body = (broadcast.body if broadcast is not None else row.body) or ""
        media = broadcast.media_url if broadcast is not None else None
        if not body.strip() and not media:
            return "nothing to send"
        callback = outbox.status_callback_url(self.settings.public_base_url, row.id)
        if in_window(member, self.clock.now()):
            text = framing.framed(body, broadcast, member.language or self.settings.bot_language)
            return Outgoing(
                row.id, row.address, body=text, media_url=media, status_callback=callback
            )
        kind, language = template_key(broadcast, member.language, self.settings.bot_language)
        template = templates.get((kind, language))
        if template is None and broadcast is None:
            return Held(waiting_reason(language))
        if template is None:
            return (
                f"outside the 24-hour window and no approved WhatsApp template for {kind}"
                f" in '{language}'"
            )
        variables = {"1": template_text(body or media or "")} if template.variables else None
        return Outgoing(
            row.id,
            row.address,
            content_sid=template.content_sid,
            content_variables=variables,
            status_callback=callback,
        )

    # --- sending -------------------------------------------------------------------------------

    def _send(self, claimed: Claimed) -> Outcome:
        def gate() -> None:
            # Granted right before the request leaves (the transport calls this), so the gap
            # between the grant and the request reaching Twilio stays small.
            self.limiter.acquire()
            reason = self._stop_reason(claimed)
            if reason is not None:
                raise NotStarted(reason)

        try:
            return claimed, self.transport.send(claimed.outgoing, gate)
        except NotStarted as stopped:
            return claimed, Stopped(stopped.reason)
        except SendError as error:
            return claimed, error
        except Exception as error:
            # Whatever went wrong, the request may have been made: only reconcile may resend.
            log.exception("send of delivery %s failed unexpectedly", claimed.outgoing.delivery_id)
            return claimed, SendError(Failure.UNKNOWN, f"outcome unknown ({type(error).__name__})")

    def _stop_reason(self, claimed: Claimed) -> str | None:
        checked_at, stopped_broadcasts, stopped_members = self._stopped
        if checked_at <= claimed.claimed_at:
            return None  # no check since the claim, which saw neither
        if claimed.broadcast_id in stopped_broadcasts:
            return "broadcast cancelled before its send started"
        if claimed.member_id in stopped_members:
            return "member opted out before the send started"
        return None

    def drain(self, seconds: float = SLICE_SECONDS) -> int:
        """Sends what is due until nothing is, or for about `seconds`; returns requests made."""
        deadline = time.monotonic() + seconds
        # Finished sends arrive on a queue: O(1) per send, however many are in flight.
        finished: queue.SimpleQueue[Outcome] = queue.SimpleQueue()
        in_flight: dict[int, Claimed] = {}
        outcomes: list[Outcome] = []
        last_flush = last_check = time.monotonic()

        def take(outcome: Outcome) -> None:
            del in_flight[outcome[0].outgoing.delivery_id]
            outcomes.append(outcome)

        def take_next(timeout: float | None) -> None:
            with contextlib.suppress(queue.Empty):
                take(finished.get(timeout=timeout))

        requests = 0
        while True:
            while not finished.empty():
                take_next(None)
            moment = time.monotonic()
            if outcomes and (len(outcomes) >= FLUSH_ROWS or moment - last_flush >= FLUSH_SECONDS):
                requests += self.flush(outcomes)
                outcomes = []
                last_flush = moment
                if not self._warm and requests >= self.concurrency:
                    # Every sending thread has its client now: freeze those too, once.
                    self._warm = True
                    freeze_startup_objects()
            if in_flight and moment - last_check >= STOP_CHECK_SECONDS:
                self.check_stops(in_flight.values())
                last_check = moment
            if moment >= deadline:
                break
            free = self.concurrency - len(in_flight)
            # Claims come in batches: a claim per finished send would cost more than the send.
            if free <= 0 or (in_flight and free < self.refill):
                take_next(STOP_CHECK_SECONDS)
                continue
            batch = self.claim(min(free, self.claim_size))
            if not batch:
                if not in_flight:
                    break
                take_next(STOP_CHECK_SECONDS)
                continue
            for claimed in batch:
                in_flight[claimed.outgoing.delivery_id] = claimed
                future = self._pool.submit(self._send, claimed)
                future.add_done_callback(lambda done: finished.put(done.result()))
        while in_flight:
            take_next(None)
        if outcomes:
            requests += self.flush(outcomes)
        return requests

    def check_stops(self, waiting: Iterable[Claimed]) -> None:
        """Learns which claimed-but-unsent rows a cancel or an opt-out has since stopped."""
        checked_at = time.monotonic()
        pending = list(waiting)
        broadcast_ids = {c.broadcast_id for c in pending if c.broadcast_id is not None}
        member_ids = {c.member_id for c in pending}
        with self.database.transaction() as session:
            stopped_broadcasts = set(
                session.scalars(
                    select(Broadcast.id).where(
                        Broadcast.id.in_(broadcast_ids),
                        Broadcast.state.in_(
                            (BroadcastState.CANCELLED.value, BroadcastState.REJECTED.value)
                        ),
                    )
                )
            )
            stopped_members = set(
                session.scalars(
                    select(Member.id).where(
                        Member.id.in_(member_ids), Member.opted_out_at.is_not(None)
                    )
                )
            )
        # Replaced whole, so sending threads read one consistent set without a lock.
        self._stopped = (checked_at, frozenset(stopped_broadcasts), frozenset(stopped_members))

    # --- recording outcomes ----------------------------------------------------------------------

    def flush(self, outcomes: list[Outcome]) -> int:
        """Writes the outcomes of finished sends, in one transaction; returns requests made."""
        now = self.clock.now()
        touched: set[int] = set()
        with self.database.transaction() as session:
            sent = []
            for claimed, result in outcomes:
                if isinstance(result, SendResult):
                    sent.append((claimed.outgoing.delivery_id, result.sid))
                elif isinstance(result, Stopped):
                    outbox.record_stopped(
                        session, claimed.outgoing.delivery_id, self.owner, result.reason, now
                    )
                else:
                    self._record_failure(session, claimed, result, now)
                if claimed.broadcast_id is not None:
                    touched.add(claimed.broadcast_id)
            outbox.record_all_sent(session, sent, now)
            done = outbox.mark_done(session, now, touched)
        self._report(touched, force=bool(done))
        return sum(not isinstance(result, Stopped) for _, result in outcomes)

    def _record_failure(
        self, session: Session, claimed: Claimed, error: SendError, now: datetime
    ) -> None:
        state = outbox.record_failure(
            session,
            claimed.outgoing.delivery_id,
            self.owner,
            claimed.member_id,
            error,
            claimed.attempts,
            now,
        )
        if state is not DeliveryState.QUEUED:
            return
        if error.failure is Failure.SLOW_DOWN:
            self.limiter.slow_down()
        else:
            # Too many concurrent requests: everyone waits as Twilio asked (bounded).
            self.limiter.pause(min(error.retry_after or 1.0, 5.0))

    def _report(self, touched: set[int], force: bool = False) -> None:
        if not touched:
            return
        moment = time.monotonic()
        if self.progress is not None and (
            force or moment - self._last_progress >= PROGRESS_SECONDS
        ):
            self._last_progress = moment
            with self.database.transaction() as session:
                for broadcast_id in sorted(touched):
                    self.progress.show(broadcast_id, outbox.counts(session, broadcast_id))

    def close(self) -> None:
        self._pool.shutdown(wait=True)


# --- the worker's job ------------------------------------------------------------------------


def freeze_startup_objects() -> None:
    """Keeps the objects that exist once the process is set up out of garbage collection.

    A full collection scans every tracked object while holding the GIL: with all of
    SQLAlchemy, twilio and Flask loaded that is a 100 ms pause, which the pacing of sends
    cannot make up. Frozen, those objects are never scanned; only what the work creates is.
    """
    gc.collect()
    gc.freeze()


def tune_process_for_sending() -> None:
    """What the sending process does once set up (the benchmarks do the same)."""
    freeze_startup_objects()


_dispatchers: dict[int, Dispatcher] = {}
_dispatchers_lock = threading.Lock()


def dispatcher_for(services: Runtime) -> Dispatcher:
    """The process's dispatcher for these services (made on first use)."""
    with _dispatchers_lock:
        found = _dispatchers.get(id(services))
        if found is None:
            progress = TerminalProgress() if sys.stderr.isatty() else None
            found = Dispatcher(
                services.settings, services.database, services.clock, progress=progress
            )
            tune_process_for_sending()
            _dispatchers[id(services)] = found
            log.info(
                "dispatcher %s: %s transport, %d/s, %d in flight",
                found.owner,
                found.transport.name,
                services.settings.send_rate_per_second,
                found.concurrency,
            )
        return found


_complained: set[tuple[int, str]] = set()


def configured_dispatcher(services: Runtime) -> Dispatcher | None:
    """The dispatcher, or None (said once, not every second) when the settings forbid one."""
    try:
        return dispatcher_for(services)
    except NotConfigured as error:
        if (id(services), str(error)) not in _complained:
            _complained.add((id(services), str(error)))
            log.error("not sending: %s", error)
        return None


def dispatch_job(services: Runtime) -> None:
    dispatcher = configured_dispatcher(services)
    if dispatcher is not None:
        dispatcher.drain()
