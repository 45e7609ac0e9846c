"""What stops a send and what a send's record says, against the fake Twilio on SQLite and
PostgreSQL: an opt-out landing while claimed rows wait for the rate limiter stops them (with the
reason), a send in doubt that reconciliation finds at Twilio is recorded as sent now with its
error cleared, and a row already final is never reopened. Written against the mutants of the
opt-out and forward-only rules that `make mutate` found surviving."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import update

from broadcasts.clock import FixedClock
from broadcasts.db.database import Database
from broadcasts.db.models import DeliveryState, Member, OutboundMessage
from broadcasts.delivery import outbox
from broadcasts.delivery.dispatch import Dispatcher
from broadcasts.delivery.reconcile import Reconciler
from config.settings import Settings
from tests.delivery_fixtures import deliveries, seed_broadcast, wait_until
from tests.fake_twilio import FakeTwilio

OWNER = "stops-test"


def test_an_opt_out_landing_while_sends_wait_stops_each_one_not_yet_started(
    delivery_settings: Settings, fake: FakeTwilio, database: Database, clock: FixedClock
) -> None:
    broadcast_id = seed_broadcast(database, clock.now(), 8)
    slow = Dispatcher(delivery_settings.replace(send_rate_per_second=1), database, clock)
    draining = threading.Thread(target=slow.drain, kwargs={"seconds": 30})
    try:
        draining.start()
        assert wait_until(lambda: fake.total() >= 1, timeout=10)
        with database.transaction() as session:  # everyone sends BERHENTI at once
            session.execute(update(Member).values(opted_out_at=clock.now()))
        draining.join(timeout=30)
        assert not draining.is_alive(), "the drain did not end within 30 s of the opt-outs"
    finally:
        slow.close()
    rows = deliveries(database, broadcast_id)
    sent = [r for r in rows if r.state == DeliveryState.SENT.value]
    stopped = [r for r in rows if r.state == DeliveryState.SKIPPED.value]
    assert len(sent) + len(stopped) == 8 and len(sent) == fake.total() < 8
    for row in stopped:
        assert fake.sent_to(row.address) == []
    # Rows already claimed (waiting for the rate limiter) were stopped too, not just later ones.
    reasons = {r.reason for r in stopped}
    assert reasons <= {"member opted out", "member opted out before the send started"}
    assert "member opted out before the send started" in reasons


def test_a_send_in_doubt_found_at_twilio_is_recorded_as_sent_then(
    delivery_settings: Settings, fake: FakeTwilio, database: Database, clock: FixedClock
) -> None:
    broadcast_id = seed_broadcast(database, clock.now(), 2)
    fake.fail_after_create_next = 2  # created at Twilio, answered 500: the outcome is unknown
    dispatcher = Dispatcher(delivery_settings, database, clock, owner=OWNER)
    try:
        dispatcher.drain()
        in_doubt = deliveries(database, broadcast_id)
        assert {r.state for r in in_doubt} == {DeliveryState.UNKNOWN.value}
        assert all(r.reason and r.error_code for r in in_doubt)  # why it is in doubt
        clock.advance(timedelta(minutes=5))
        reconciler = Reconciler(delivery_settings, database, clock, dispatcher.transport)
        assert reconciler.run().confirmed == 2
    finally:
        dispatcher.close()
    for row in deliveries(database, broadcast_id):
        [message] = fake.sent_to(row.address)
        assert (row.state, row.twilio_sid) == (DeliveryState.SENT.value, message.sid)
        assert (row.sent_at, row.updated_at) == (clock.now(), clock.now())
        assert (row.reason, row.error_code, row.lease_owner) == (None, None, None)
    assert fake.total() == 2


def test_a_row_already_final_is_never_reopened_as_sent(
    database: Database, clock: FixedClock
) -> None:
    broadcast_id = seed_broadcast(database, clock.now(), 2)
    skipped, read = deliveries(database, broadcast_id)
    with database.transaction() as session:
        session.execute(
            update(OutboundMessage)
            .where(OutboundMessage.id == skipped.id)
            .values(state="skipped", reason="member opted out")
        )
        session.execute(
            update(OutboundMessage)
            .where(OutboundMessage.id == read.id)
            .values(state="read", twilio_sid="SM" + "1" * 32)
        )
    later = clock.now() + timedelta(hours=1)
    with database.transaction() as session:
        assert not outbox.record_sent(session, skipped.id, "SM" + "2" * 32, later)
        assert not outbox.record_sent(session, read.id, "SM" + "3" * 32, later)
    after = {row.id: row for row in deliveries(database, broadcast_id)}
    assert (after[skipped.id].state, after[skipped.id].twilio_sid) == ("skipped", None)
    assert after[skipped.id].reason == "member opted out"
    assert (after[read.id].state, after[read.id].twilio_sid) == ("read", "SM" + "1" * 32)
