"""Twilio's status callbacks, signed as Twilio signs them, against rows in every state: a
delivery's state only moves forward, a callback for another message or an unknown delivery
changes nothing, an unsubscribed error stops that member (and only that member), and each
outcome is counted in /metrics under its own label. Written against the mutants of the
forward-only rule that `make mutate` found surviving."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select, update

from broadcasts.clock import FixedClock
from broadcasts.db.database import Database
from broadcasts.db.models import DeliveryState, Member, OutboundMessage
from tests.delivery_fixtures import deliveries, seed_broadcast
from tests.signing import SignedClient

OUTCOMES = ("applied", "stale", "other_message", "unknown_delivery", "ignored_status")


def outcome_counts(client: FlaskClient) -> dict[str, float]:
    found = dict.fromkeys(OUTCOMES, 0.0)
    text = client.get("/metrics").get_data(as_text=True)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "humasbot_status_callbacks_total":
                found[sample.labels["outcome"]] = float(sample.value)
    return found


class Callbacks:
    """Posts callbacks and tells which outcome each was counted under."""

    def __init__(self, twilio: SignedClient, client: FlaskClient) -> None:
        self.twilio, self.client = twilio, client

    def post(self, delivery_id: int, sid: str, status: str, error_code: int | None = None) -> str:
        before = outcome_counts(self.client)
        form = {"MessageSid": sid, "MessageStatus": status}
        if error_code is not None:
            form["ErrorCode"] = str(error_code)
        response = self.twilio.post(f"/twilio/status?delivery={delivery_id}", form)
        assert response.status_code == 200, response.get_data(as_text=True)
        after = outcome_counts(self.client)
        [counted] = [name for name in OUTCOMES if after[name] == before[name] + 1]
        assert sum(after.values()) == sum(before.values()) + 1
        return counted


@pytest.fixture
def callbacks(twilio: SignedClient, client: FlaskClient) -> Callbacks:
    return Callbacks(twilio, client)


def row(database: Database, delivery_id: int) -> OutboundMessage:
    with database.transaction() as session:
        found = session.get(OutboundMessage, delivery_id)
        assert found is not None
        return found


def put(database: Database, delivery_id: int, **values: object) -> None:
    with database.transaction() as session:
        session.execute(
            update(OutboundMessage).where(OutboundMessage.id == delivery_id).values(**values)
        )


def sid(n: int) -> str:
    return f"SM{n:032x}"


def test_states_only_move_forward_and_a_repeat_changes_nothing(
    callbacks: Callbacks, database: Database, clock: FixedClock
) -> None:
    broadcast = seed_broadcast(database, clock.now(), 1)
    [queued] = deliveries(database, broadcast)
    sent_at = clock.now()
    put(database, queued.id, state="sent", twilio_sid=sid(1), sent_at=sent_at, lease_owner="w1")
    clock.advance(timedelta(minutes=1))
    assert callbacks.post(queued.id, sid(1), "delivered") == "applied"
    delivered = row(database, queued.id)
    assert (delivered.state, delivered.updated_at, delivered.lease_owner) == (
        "delivered",
        clock.now(),
        None,
    )
    assert delivered.sent_at == sent_at  # kept: it was sent before it was delivered
    clock.advance(timedelta(minutes=1))
    assert callbacks.post(queued.id, sid(1), "delivered") == "stale"  # the same state again
    assert row(database, queued.id).updated_at == delivered.updated_at
    assert callbacks.post(queued.id, sid(1), "read") == "applied"
    for late in ("delivered", "sent", "queued", "failed"):
        assert callbacks.post(queued.id, sid(1), late) == "stale"
    final = row(database, queued.id)
    assert (final.state, final.error_code, final.reason) == ("read", None, None)


def test_a_failure_says_why_and_an_unsubscribed_member_alone_is_stopped(
    callbacks: Callbacks, database: Database, clock: FixedClock
) -> None:
    broadcast = seed_broadcast(database, clock.now(), 4)
    plain, coded, unsubscribed, already = deliveries(database, broadcast)
    for n, each in enumerate((plain, coded, unsubscribed, already), 1):
        put(database, each.id, state="sent", twilio_sid=sid(n), sent_at=clock.now())
    earlier = clock.now() - timedelta(days=2)
    with database.transaction() as session:
        session.execute(
            update(Member).where(Member.id == already.member_id).values(opted_out_at=earlier)
        )
    assert callbacks.post(plain.id, sid(1), "undelivered") == "applied"
    assert callbacks.post(coded.id, sid(2), "failed", 63016) == "applied"
    assert callbacks.post(unsubscribed.id, sid(3), "failed", 21610) == "applied"
    assert callbacks.post(already.id, sid(4), "failed", 21610) == "applied"
    assert (row(database, plain.id).reason, row(database, plain.id).error_code) == (
        "undelivered",
        None,
    )
    failed = row(database, coded.id)
    assert (failed.state, failed.error_code) == ("failed", 63016)
    assert failed.reason == "failed: outside the 24-hour window (63016)"
    assert row(database, unsubscribed.id).reason == "failed: recipient unsubscribed (21610)"
    with database.transaction() as session:
        found = session.execute(select(Member.id, Member.opted_out_at))
        stopped = {member_id: at for member_id, at in found}
    # Only the unsubscribed member is stopped now; one who had stopped keeps the first time.
    assert stopped == {
        plain.member_id: None,
        coded.member_id: None,
        unsubscribed.member_id: clock.now(),
        already.member_id: earlier,
    }


def test_a_callback_for_another_message_or_no_delivery_changes_nothing(
    callbacks: Callbacks, database: Database, clock: FixedClock
) -> None:
    broadcast = seed_broadcast(database, clock.now(), 2)
    known, waiting = deliveries(database, broadcast)
    put(database, known.id, state="sent", twilio_sid=sid(1), sent_at=clock.now())
    put(database, waiting.id, state="sending", lease_owner="w1")
    assert callbacks.post(known.id, sid(2), "delivered") == "other_message"
    # A row with no sid yet, told of a message another row already has: not its message.
    assert callbacks.post(waiting.id, sid(1), "delivered") == "other_message"
    assert callbacks.post(987_654, sid(3), "delivered") == "unknown_delivery"
    assert callbacks.post(known.id, sid(1), "partially_delivered") == "ignored_status"
    assert (row(database, known.id).state, row(database, known.id).twilio_sid) == (
        "sent",
        sid(1),
    )
    still = row(database, waiting.id)
    assert (still.state, still.twilio_sid, still.lease_owner) == ("sending", None, "w1")


def test_a_callback_records_the_sid_the_worker_never_committed_but_not_on_a_closed_row(
    callbacks: Callbacks, database: Database, clock: FixedClock
) -> None:
    """A worker killed between its request and its commit leaves a SENDING or UNKNOWN row with
    no sid: Twilio's callback brings it. A row already closed (skipped) stays closed."""
    broadcast = seed_broadcast(database, clock.now(), 3)
    sending, unknown, skipped = deliveries(database, broadcast)
    attempted = clock.now() - timedelta(minutes=3)
    put(database, sending.id, state="sending", lease_owner="w1")
    put(database, unknown.id, state="unknown", sent_at=attempted, reason="outcome unknown")
    put(database, skipped.id, state="skipped", reason="broadcast cancelled")
    assert callbacks.post(sending.id, sid(1), "sent") == "applied"
    assert callbacks.post(unknown.id, sid(2), "delivered") == "applied"
    assert callbacks.post(skipped.id, sid(3), "delivered") == "stale"
    first = row(database, sending.id)
    assert (first.state, first.twilio_sid, first.sent_at) == ("sent", sid(1), clock.now())
    second = row(database, unknown.id)
    assert (second.state, second.twilio_sid, second.sent_at) == ("delivered", sid(2), attempted)
    closed = row(database, skipped.id)
    assert (closed.state, closed.twilio_sid, closed.reason) == (
        DeliveryState.SKIPPED.value,
        None,
        "broadcast cancelled",
    )
