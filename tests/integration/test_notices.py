"""Notices and WhatsApp's 24-hour window: a notice goes at once (free-form inside the window,
by the `notice` template outside it) or waits for its reader to write; it is never dropped for
want of a template, and what `notify` says is what the dispatcher then does."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from broadcasts.clock import FixedClock
from broadcasts.db.database import Database
from broadcasts.db.models import DeliveryState, Member, OutboundMessage
from broadcasts.delivery import notices
from broadcasts.delivery.dispatch import Dispatcher
from broadcasts.delivery.notices import NoticeOutcome
from broadcasts.delivery.transports.console import ConsoleTransport
from broadcasts.people import membership
from broadcasts.runtime import Runtime
from config.settings import Settings
from tests.delivery_fixtures import add_template, seed_broadcast

DATA = {"id": 7, "code": "KALBAR", "by": "Ani"}


def add_member(
    database: Database, phone: str, *, wrote_ago: timedelta | None, now: FixedClock
) -> int:
    with database.transaction() as session:
        member = Member(
            phone=phone,
            last_inbound_at=now.now() - wrote_ago if wrote_ago is not None else None,
        )
        session.add(member)
        session.flush()
        return member.id


def tell(database: Database, member_id: int, key: str, clock: FixedClock) -> NoticeOutcome:
    with database.transaction() as session:
        member = session.get_one(Member, member_id)
        return notices.notify(
            session, member, "notice_cancelled", DATA, dedupe_key=key, now=clock.now()
        )


def notice(database: Database, key: str) -> OutboundMessage:
    with database.transaction() as session:
        found = notices.planned_notice(session, key)
        assert found is not None
        return found


def release(settings: Settings, database: Database, clock: FixedClock) -> None:
    """The worker's job, as the scheduler runs it."""
    notices.release_job(Runtime(settings, database, clock))


@pytest.fixture
def console(settings: Settings, database: Database, clock: FixedClock) -> Iterator[Dispatcher]:
    """The dispatcher `humasbot run` makes when Twilio is not configured."""
    assert not settings.twilio_enabled
    running = Dispatcher(settings, database, clock, owner="console-test")
    assert isinstance(running.transport, ConsoleTransport)
    running.transport = ConsoleTransport(io.StringIO(), clock)
    yield running
    running.close()


def printed(dispatcher: Dispatcher) -> dict[str, list[str]]:
    transport = dispatcher.transport
    assert isinstance(transport, ConsoleTransport)
    found: dict[str, list[str]] = {}
    for _, message in transport.sent:
        found.setdefault(message.to, []).append(message.body)
    return found


def test_a_notice_goes_now_inside_the_window_or_by_template_and_otherwise_waits(
    database: Database, clock: FixedClock
) -> None:
    recent = add_member(database, "+6281200000001", wrote_ago=timedelta(hours=2), now=clock)
    silent = add_member(database, "+6281200000002", wrote_ago=timedelta(days=3), now=clock)
    never = add_member(database, "+6281200000003", wrote_ago=None, now=clock)
    assert tell(database, recent, "a", clock) is NoticeOutcome.DELIVERING
    assert tell(database, silent, "b", clock) is NoticeOutcome.WAITING
    assert notice(database, "a").next_attempt_at == clock.now()
    held = notice(database, "b")
    assert (held.state, held.next_attempt_at) == (DeliveryState.QUEUED.value, None)
    assert "waiting for the member to write" in (held.reason or "")

    add_template(database, "HXnotice", kind="notice", language="id")
    assert tell(database, never, "c", clock) is NoticeOutcome.DELIVERING
    with database.transaction() as session:
        session.get_one(Member, never).language = "en"
    # No notice template in English: an English reader outside the window waits.
    assert tell(database, never, "d", clock) is NoticeOutcome.WAITING
    assert tell(database, never, "d", clock) is NoticeOutcome.NOT_SENT  # planned before


def test_a_held_notice_goes_once_its_reader_writes_and_not_before(
    settings: Settings, database: Database, clock: FixedClock, console: Dispatcher
) -> None:
    silent = add_member(database, "+6281200000002", wrote_ago=timedelta(days=3), now=clock)
    assert tell(database, silent, "k", clock) is NoticeOutcome.WAITING
    assert console.drain() == 0
    release(settings, database, clock)
    assert console.drain() == 0 and printed(console) == {}

    clock.advance(timedelta(hours=5))
    with database.transaction() as session:
        membership.member_writing(session, "+6281200000002", clock.now())
    assert console.drain() == 0  # writing alone does not send it: the worker's job does
    release(settings, database, clock)
    assert console.drain() == 1
    [body] = printed(console)["whatsapp:+6281200000002"]
    assert "dibatalkan" in body
    assert notice(database, "k").state == DeliveryState.SENT.value


def test_a_template_mapped_later_carries_the_notices_that_waited_for_it(
    settings: Settings, database: Database, clock: FixedClock, console: Dispatcher
) -> None:
    silent = add_member(database, "+6281200000002", wrote_ago=timedelta(days=3), now=clock)
    assert tell(database, silent, "k", clock) is NoticeOutcome.WAITING
    add_template(database, "HXnotice", kind="notice", language="id")
    release(settings, database, clock)
    assert console.drain() == 1
    [body] = printed(console)["whatsapp:+6281200000002"]
    assert body.startswith("[template HXnotice]")
    assert notice(database, "k").mode == "template"


def test_the_dispatcher_holds_a_notice_whose_window_closed_and_never_skips_it(
    settings: Settings, database: Database, clock: FixedClock, console: Dispatcher
) -> None:
    """Planned inside the window, sent only after it closed (the worker was down): the console
    transport, like Twilio, gets nothing free-form outside it. Broadcasts to members keep their
    rule: outside the window with no template, they are not sent, with the reason."""
    reader = add_member(database, "+6281200000001", wrote_ago=timedelta(hours=20), now=clock)
    assert tell(database, reader, "k", clock) is NoticeOutcome.DELIVERING
    broadcast_id = seed_broadcast(database, clock.now(), 1, in_window=False)
    clock.advance(timedelta(hours=6))
    assert console.drain() == 0 and printed(console) == {}
    held = notice(database, "k")
    assert (held.state, held.next_attempt_at) == (DeliveryState.QUEUED.value, None)
    assert "waiting for the member to write" in (held.reason or "")
    with database.transaction() as session:
        [skipped] = session.scalars(
            select(OutboundMessage).where(OutboundMessage.broadcast_id == broadcast_id)
        ).all()
        assert skipped.state == DeliveryState.SKIPPED.value
        assert "no approved WhatsApp template for literacy" in (skipped.reason or "")
        unsent_notices = session.scalars(
            select(OutboundMessage).where(
                OutboundMessage.broadcast_id.is_(None),
                OutboundMessage.state == DeliveryState.SKIPPED.value,
            )
        ).all()
        assert unsent_notices == []

    with database.transaction() as session:
        membership.member_writing(session, "+6281200000001", clock.now())
    release(settings, database, clock)
    assert console.drain() == 1
    assert len(printed(console)["whatsapp:+6281200000001"]) == 1
