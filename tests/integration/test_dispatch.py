"""The dispatcher and reconciliation against the fake Twilio, on SQLite and PostgreSQL.

The clock is fixed; the fake answers over real HTTP at once unless a fault is injected.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import update

from broadcasts.clock import FixedClock
from broadcasts.db.database import Database
from broadcasts.db.models import (
    Broadcast,
    BroadcastState,
    DeliveryState,
    Member,
    OutboundMessage,
)
from broadcasts.delivery.dispatch import Dispatcher, dispatch_job
from broadcasts.delivery.framing import framed
from broadcasts.delivery.reconcile import Reconciler, reconcile_job
from broadcasts.delivery.transports.base import Outgoing
from broadcasts.delivery.transports.console import outbox_path
from broadcasts.delivery.transports.twilio import TwilioTransport
from broadcasts.people.masking import mask_text
from broadcasts.runtime import Runtime
from config.settings import Settings
from tests.delivery_fixtures import (
    add_template,
    broadcast_state,
    deliveries,
    seed_broadcast,
    states,
    wait_until,
)
from tests.fake_twilio import FakeTwilio

OWNER = "test-dispatcher"


@pytest.fixture
def dispatcher(
    delivery_settings: Settings, database: Database, clock: FixedClock
) -> Iterator[Dispatcher]:
    running = Dispatcher(delivery_settings, database, clock, owner=OWNER)
    yield running
    running.close()


@pytest.fixture
def reconciler(
    delivery_settings: Settings, database: Database, clock: FixedClock, dispatcher: Dispatcher
) -> Reconciler:
    return Reconciler(delivery_settings, database, clock, dispatcher.transport, owner=OWNER)


def test_members_in_the_window_get_the_text_free_form_once_and_the_broadcast_is_done(
    dispatcher: Dispatcher, fake: FakeTwilio, database: Database, clock: FixedClock
) -> None:
    broadcast_id = seed_broadcast(
        database, clock.now(), 12, media_url="https://example.go.id/poster.jpg"
    )
    assert dispatcher.drain() == 12
    rows = deliveries(database, broadcast_id)
    assert {r.state for r in rows} == {DeliveryState.SENT.value}
    for row in rows:
        [message] = fake.sent_to(row.address)
        assert message.sid == row.twilio_sid and row.mode == "freeform"
        assert "\n\nPemungutan suara" in message.body and message.media_urls
        assert message.body.endswith("_Ketik BERHENTI untuk berhenti menerima siaran._")
        callback = urlsplit(message.status_callback or "")
        assert f"{callback.scheme}://{callback.netloc}" == dispatcher.settings.public_base_url
        assert callback.path == "/twilio/status"
        assert parse_qs(callback.query) == {"delivery": [str(row.id)]}
    assert broadcast_state(database, broadcast_id) == BroadcastState.DONE.value
    assert dispatcher.drain() == 0 and fake.total() == 12


def test_outside_the_window_an_approved_template_carries_the_text_or_the_row_is_skipped(
    dispatcher: Dispatcher, fake: FakeTwilio, database: Database, clock: FixedClock
) -> None:
    fake.add_template("HXliteracy", "Info pemilu: {{1}}")
    add_template(database, "HXliteracy", kind="literacy")
    add_template(database, "HXpending", kind="clarification", status="pending")
    literacy = seed_broadcast(database, clock.now(), 3, in_window=False, body="Baris satu\nDua")
    clarification = seed_broadcast(database, clock.now(), 2, in_window=False, kind="clarification")
    dispatcher.drain()
    for row in deliveries(database, literacy):
        [message] = fake.sent_to(row.address)
        assert row.state == DeliveryState.SENT.value and row.mode == "template"
        assert message.content_sid == "HXliteracy" and message.body == "Info pemilu: Baris satu Dua"
    for row in deliveries(database, clarification):
        assert row.state == DeliveryState.SKIPPED.value and fake.sent_to(row.address) == []
        assert "no approved WhatsApp template for clarification" in (row.reason or "")
    assert broadcast_state(database, clarification) == BroadcastState.DONE.value


def test_a_cancel_or_an_opt_out_before_the_claim_stops_those_sends(
    dispatcher: Dispatcher, fake: FakeTwilio, database: Database, clock: FixedClock
) -> None:
    cancelled = seed_broadcast(database, clock.now(), 3)
    running = seed_broadcast(database, clock.now(), 3)
    opted_out = deliveries(database, running)[0]
    with database.transaction() as session:
        session.execute(
            update(Broadcast)
            .where(Broadcast.id == cancelled)
            .values(state=BroadcastState.CANCELLED.value)
        )
        session.execute(
            update(Member).where(Member.id == opted_out.member_id).values(opted_out_at=clock.now())
        )
    dispatcher.drain()
    assert states(database, cancelled) == {DeliveryState.SKIPPED.value: 3}
    assert {r.reason for r in deliveries(database, cancelled)} == {"broadcast cancelled"}
    assert states(database, running) == {
        DeliveryState.SENT.value: 2,
        DeliveryState.SKIPPED.value: 1,
    }
    assert fake.sent_to(opted_out.address) == [] and fake.total() == 2
    assert broadcast_state(database, cancelled) == BroadcastState.CANCELLED.value


def test_permanent_errors_fail_with_the_reason_and_21610_opts_the_member_out(
    dispatcher: Dispatcher, fake: FakeTwilio, database: Database, clock: FixedClock
) -> None:
    broadcast_id = seed_broadcast(database, clock.now(), 8)
    rows = deliveries(database, broadcast_id)
    codes = [63016, 63024, 63027, 63032, 63049, 30007, 21610]
    for row, code in zip(rows, codes, strict=False):
        fake.errors[row.address] = code
    dispatcher.drain()
    after = {r.id: r for r in deliveries(database, broadcast_id)}
    for row, code in zip(rows, codes, strict=False):
        failed = after[row.id]
        assert failed.state == DeliveryState.FAILED.value and failed.error_code == code
        assert str(code) in (failed.reason or "")
    assert "not on WhatsApp" in (after[rows[1].id].reason or "")
    assert after[rows[7].id].state == DeliveryState.SENT.value
    with database.transaction() as session:
        opted = session.get(Member, rows[6].member_id)
        assert opted is not None and opted.opted_out_at == clock.now()
    assert broadcast_state(database, broadcast_id) == BroadcastState.DONE.value


def test_429_and_63018_wait_and_are_sent_later(
    dispatcher: Dispatcher, fake: FakeTwilio, database: Database, clock: FixedClock
) -> None:
    broadcast_id = seed_broadcast(database, clock.now(), 2)
    first, second = deliveries(database, broadcast_id)
    fake.throttle_next = 2
    fake.retry_after = 0.05
    dispatcher.drain()
    for row in deliveries(database, broadcast_id):
        assert row.state == DeliveryState.QUEUED.value and row.error_code == 20429
        assert row.next_attempt_at == clock.now() + timedelta(seconds=1)  # backoff > Retry-After
    assert fake.total() == 0
    fake.errors[second.address] = 63018
    clock.advance(timedelta(seconds=2))
    dispatcher.drain()
    rows = {r.id: r for r in deliveries(database, broadcast_id)}
    assert rows[first.id].state == DeliveryState.SENT.value
    held = rows[second.id]
    assert held.state == DeliveryState.QUEUED.value and held.error_code == 63018
    assert held.next_attempt_at == clock.now() + timedelta(seconds=120)  # slower each time
    assert broadcast_state(database, broadcast_id) == BroadcastState.SENDING.value
    del fake.errors[second.address]
    clock.advance(timedelta(hours=1))
    dispatcher.drain()
    assert states(database, broadcast_id) == {DeliveryState.SENT.value: 2}
    assert fake.counts[first.address] == 1 and fake.counts[second.address] == 1
    assert broadcast_state(database, broadcast_id) == BroadcastState.DONE.value


def test_a_5xx_after_create_is_reconciled_to_the_message_twilio_made_not_resent(
    dispatcher: Dispatcher,
    reconciler: Reconciler,
    fake: FakeTwilio,
    database: Database,
    clock: FixedClock,
) -> None:
    broadcast_id = seed_broadcast(database, clock.now(), 3)
    fake.fail_after_create_next = 3
    dispatcher.drain()
    assert states(database, broadcast_id) == {DeliveryState.UNKNOWN.value: 3}
    assert dispatcher.drain() == 0  # an UNKNOWN row is never sent again by the dispatcher
    report = reconciler.run()
    assert report.confirmed == 3
    for row in deliveries(database, broadcast_id):
        [message] = fake.sent_to(row.address)
        assert row.state == DeliveryState.SENT.value and row.twilio_sid == message.sid
    assert broadcast_state(database, broadcast_id) == BroadcastState.DONE.value


def _as_if_a_dead_worker_claimed(database: Database, row_id: int, clock: FixedClock) -> None:
    with database.transaction() as session:
        session.execute(
            update(OutboundMessage)
            .where(OutboundMessage.id == row_id)
            .values(
                state=DeliveryState.SENDING.value,
                mode="freeform",
                lease_owner="dead-worker",
                lease_expires_at=clock.now() + timedelta(seconds=10),
                attempted_at=clock.now(),
                attempts=1,
            )
        )


def test_a_dead_workers_rows_are_found_at_twilio_or_resent_only_after_the_settle_delay(
    dispatcher: Dispatcher,
    reconciler: Reconciler,
    fake: FakeTwilio,
    database: Database,
    clock: FixedClock,
) -> None:
    broadcast_id = seed_broadcast(database, clock.now(), 2, body="Cek faktanya dulu")
    made, lost = deliveries(database, broadcast_id)
    _as_if_a_dead_worker_claimed(database, made.id, clock)
    _as_if_a_dead_worker_claimed(database, lost.id, clock)
    # The dead worker's request for `made` reached Twilio; the one for `lost` never did.
    with database.transaction() as session:
        text = framed("Cek faktanya dulu", session.get(Broadcast, broadcast_id), "id")
    transport = TwilioTransport(dispatcher.settings)
    sid = transport.send(Outgoing(made.id, made.address, body=text)).sid
    clock.advance(timedelta(seconds=11))  # the leases expire; the settle delay is 30 s
    report = reconciler.run()
    assert report.confirmed == 1 and report.waiting == 1 and report.resend == 0
    rows = {r.id: r for r in deliveries(database, broadcast_id)}
    assert rows[made.id].state == DeliveryState.SENT.value and rows[made.id].twilio_sid == sid
    assert rows[lost.id].state == DeliveryState.UNKNOWN.value
    assert dispatcher.drain() == 0 and fake.counts[lost.address] == 0
    clock.advance(timedelta(seconds=19))
    assert reconciler.run().resend == 1
    assert dispatcher.drain() == 1
    assert fake.counts[made.address] == 1 and fake.counts[lost.address] == 1
    assert states(database, broadcast_id) == {DeliveryState.SENT.value: 2}
    assert broadcast_state(database, broadcast_id) == BroadcastState.DONE.value


def test_another_message_to_the_same_member_is_not_taken_for_ours(
    dispatcher: Dispatcher,
    reconciler: Reconciler,
    fake: FakeTwilio,
    database: Database,
    clock: FixedClock,
) -> None:
    broadcast_id = seed_broadcast(database, clock.now(), 1, body="Teks siaran ini")
    [row] = deliveries(database, broadcast_id)
    _as_if_a_dead_worker_claimed(database, row.id, clock)
    TwilioTransport(dispatcher.settings).send(Outgoing(999, row.address, body="Pesan lain"))
    clock.advance(timedelta(minutes=5))
    report = reconciler.run()
    assert report.confirmed == 0 and report.resend == 1
    dispatcher.drain()
    other, ours = [m.body for m in fake.sent_to(row.address)]
    assert other == "Pesan lain" and "\n\nTeks siaran ini\n\n" in ours


def test_the_daily_tier_holds_template_sends_past_it_for_later(
    delivery_settings: Settings, fake: FakeTwilio, database: Database, clock: FixedClock
) -> None:
    fake.add_template("HXliteracy", "Info: {{1}}")
    add_template(database, "HXliteracy")
    broadcast_id = seed_broadcast(database, clock.now(), 5, in_window=False)
    limited = Dispatcher(
        delivery_settings.replace(whatsapp_daily_limit=2), database, clock, owner=OWNER
    )
    try:
        limited.drain()
        counted = states(database, broadcast_id)
        assert counted == {DeliveryState.SENT.value: 2, DeliveryState.QUEUED.value: 3}
        held = [r for r in deliveries(database, broadcast_id) if r.state == "queued"]
        assert all("daily limit of 2" in (r.reason or "") for r in held)
        assert all(r.next_attempt_at == clock.now() + timedelta(hours=24) for r in held)
        assert fake.total() == 2
        clock.advance(timedelta(hours=24, seconds=1))
        limited.drain()
        assert states(database, broadcast_id) == {
            DeliveryState.SENT.value: 4,
            DeliveryState.QUEUED.value: 1,
        }
    finally:
        limited.close()


def test_notices_are_sent_from_their_own_body(
    dispatcher: Dispatcher, fake: FakeTwilio, database: Database, clock: FixedClock
) -> None:
    fake.add_template("HXnotice", "Humasbot: {{1}}", language="id")
    add_template(database, "HXnotice", kind="notice")
    empty = seed_broadcast(database, clock.now(), 0)
    with database.transaction() as session:
        inside = Member(phone="+6281200000001", last_inbound_at=clock.now())
        outside = Member(phone="+6281200000002", language="id")
        session.add_all([inside, outside])
        session.flush()
        for member, key in ((inside, "a"), (outside, "b")):
            session.add(
                OutboundMessage(
                    member_id=member.id,
                    dedupe_key=f"notice:{key}",
                    address=f"whatsapp:{member.phone}",
                    body="Siaran #3 menunggu persetujuan Anda.",
                    next_attempt_at=clock.now(),
                )
            )
    assert dispatcher.drain() == 2
    [free_form] = fake.sent_to("whatsapp:+6281200000001")
    [template] = fake.sent_to("whatsapp:+6281200000002")
    assert free_form.body == "Siaran #3 menunggu persetujuan Anda."
    assert template.body == "Humasbot: Siaran #3 menunggu persetujuan Anda."
    assert broadcast_state(database, empty) == BroadcastState.SENDING.value
    Reconciler(dispatcher.settings, database, clock, dispatcher.transport, owner=OWNER).run()
    assert broadcast_state(database, empty) == BroadcastState.DONE.value


def test_a_template_without_variables_is_sent_without_any(
    dispatcher: Dispatcher, fake: FakeTwilio, database: Database, clock: FixedClock
) -> None:
    fake.add_template("HXstatic", "Ada info baru: balas MENU.", variables={})
    add_template(database, "HXstatic", variables={})
    broadcast_id = seed_broadcast(database, clock.now(), 1, in_window=False)
    dispatcher.drain()
    [row] = deliveries(database, broadcast_id)
    [message] = fake.sent_to(row.address)
    assert message.body == "Ada info baru: balas MENU." and row.state == "sent"


def test_a_cancel_landing_mid_broadcast_stops_every_send_not_yet_started(
    delivery_settings: Settings, fake: FakeTwilio, database: Database, clock: FixedClock
) -> None:
    broadcast_id = seed_broadcast(database, clock.now(), 8)
    slow = Dispatcher(delivery_settings.replace(send_rate_per_second=1), database, clock)
    draining = threading.Thread(target=slow.drain, kwargs={"seconds": 30})
    try:
        draining.start()
        assert wait_until(lambda: fake.total() >= 1, timeout=10)
        with database.transaction() as session:
            session.execute(
                update(Broadcast)
                .where(Broadcast.id == broadcast_id)
                .values(state=BroadcastState.CANCELLED.value)
            )
        draining.join(timeout=30)
        assert not draining.is_alive(), "the drain did not end within 30 s of the cancel"
    finally:
        slow.close()
    rows = deliveries(database, broadcast_id)
    sent = [r for r in rows if r.state == DeliveryState.SENT.value]
    stopped = [r for r in rows if r.state == DeliveryState.SKIPPED.value]
    assert len(sent) + len(stopped) == 8 and len(sent) == fake.total() < 8
    # Rows already claimed (waiting for the rate limiter) were stopped too, not just queued ones.
    assert {r.reason for r in stopped} <= {
        "broadcast cancelled",
        "broadcast cancelled before its send started",
    }
    assert "broadcast cancelled before its send started" in {r.reason for r in stopped}


def test_without_twilio_credentials_messages_are_printed_and_kept_not_sent(
    settings: Settings,
    database: Database,
    clock: FixedClock,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert not settings.twilio_enabled
    monkeypatch.chdir(tmp_path)  # on PostgreSQL the console's record goes to ./instance/
    broadcast_id = seed_broadcast(database, clock.now(), 2, body="Cek DPT Anda di TPS terdekat")
    console = Dispatcher(settings, database, clock, owner=OWNER)
    try:
        assert console.transport.name == "console"
        assert console.drain() == 2
    finally:
        console.close()
    printed = capsys.readouterr().out
    recorded = outbox_path(settings.database_url).read_text()  # durable, for reconciliation
    for row in deliveries(database, broadcast_id):
        assert row.state == DeliveryState.SENT.value and (row.twilio_sid or "").startswith("CONS")
        # Printed with the number masked, named by the message's id; the record keeps it whole.
        assert f"to {mask_text(row.address)} ({row.twilio_sid})" in printed
        assert row.address not in printed and row.address in recorded
        assert row.twilio_sid in recorded
    assert printed.count("Cek DPT Anda di TPS terdekat") == 2
    assert broadcast_state(database, broadcast_id) == BroadcastState.DONE.value


@pytest.mark.parametrize("variables", [{"1": "contoh"}, {}], ids=["with-text", "static"])
def test_template_sends_in_doubt_are_matched_whether_or_not_they_carry_the_text(
    variables: dict[str, str],
    dispatcher: Dispatcher,
    reconciler: Reconciler,
    fake: FakeTwilio,
    database: Database,
    clock: FixedClock,
) -> None:
    fake.add_template(
        "HXliteracy", "Info: {{1}}" if variables else "Ada info baru.", variables=variables
    )
    add_template(database, "HXliteracy", variables=variables)
    broadcast_id = seed_broadcast(database, clock.now(), 2, in_window=False)
    fake.fail_after_create_next = 2
    dispatcher.drain()
    assert states(database, broadcast_id) == {DeliveryState.UNKNOWN.value: 2}
    clock.advance(timedelta(minutes=5))  # settled: only a match prevents a resend
    assert reconciler.run().confirmed == 2
    assert dispatcher.drain() == 0 and fake.total() == 2


def test_twilio_without_a_sender_attempts_nothing_and_says_so_once(
    delivery_settings: Settings,
    fake: FakeTwilio,
    database: Database,
    clock: FixedClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    broadcast_id = seed_broadcast(database, clock.now(), 2)
    services = Runtime(delivery_settings.replace(twilio_whatsapp_from=None), database, clock)
    for _ in range(3):
        dispatch_job(services)
        reconcile_job(services)
    assert states(database, broadcast_id) == {DeliveryState.QUEUED.value: 2}
    assert fake.total() == 0
    complaints = [r for r in caplog.records if "TWILIO_WHATSAPP_FROM" in r.getMessage()]
    assert len(complaints) == 1 and complaints[0].levelname == "ERROR"
