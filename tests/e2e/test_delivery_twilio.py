"""Delivery end to end over real HTTP: the worker's dispatcher sends to the fake Twilio, which
posts signed status callbacks to the app served on a real socket; the CLI syncs templates."""

from __future__ import annotations

import re
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from urllib.parse import urlencode
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update
from twilio.request_validator import RequestValidator
from werkzeug.serving import BaseWSGIServer, make_server

from bot.cli import main
from bot.web.app import create_app
from broadcasts.clock import SystemClock
from broadcasts.db.database import Database
from broadcasts.db.models import DeliveryState, Member, OutboundMessage, Role, WhatsAppTemplate
from broadcasts.delivery import planning
from broadcasts.delivery.dispatch import Dispatcher
from broadcasts.delivery.reconcile import Reconciler
from broadcasts.people import membership
from broadcasts.runtime import Runtime
from config.settings import Settings
from tests.delivery_fixtures import deliveries, seed_broadcast, states
from tests.fake_twilio import FakeTwilio
from tests.signing import new_message_sid

OWNER = "e2e-dispatcher"


@pytest.fixture
def server(settings: Settings, database: Database) -> Iterator[tuple[BaseWSGIServer, Settings]]:
    """The app on a real port; PUBLIC_BASE_URL is that port, so callbacks reach it."""
    running = make_server("127.0.0.1", 0, lambda environ, start: [], threaded=True)
    public = f"http://127.0.0.1:{running.server_port}"
    served = settings.replace(public_base_url=public)
    running.app = create_app(served, database=database, clock=SystemClock())
    thread = threading.Thread(target=running.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield running, served
    running.shutdown()
    thread.join()


@pytest.fixture
def fake(settings: Settings) -> Iterator[FakeTwilio]:
    with FakeTwilio(auth_token=settings.twilio_auth_token or "", callbacks=True) as running:
        yield running


@pytest.fixture
def delivery(
    server: tuple[BaseWSGIServer, Settings], fake: FakeTwilio, database: Database
) -> Iterator[Dispatcher]:
    _, served = server
    configured = served.replace(
        twilio_account_sid=fake.account_sid,
        twilio_whatsapp_from="whatsapp:+14155238886",
        twilio_api_base_url=fake.url,
    )
    dispatcher = Dispatcher(configured, database, SystemClock(), owner=OWNER)
    yield dispatcher
    dispatcher.close()


def post_status(url: str, form: dict[str, str], signature: str) -> int:
    request = urllib.request.Request(url, data=urlencode(form).encode(), method="POST")
    request.add_header("X-Twilio-Signature", signature)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_callbacks_move_deliveries_to_delivered_or_failed_with_the_code(
    delivery: Dispatcher, fake: FakeTwilio, database: Database
) -> None:
    broadcast_id = seed_broadcast(database, SystemClock().now(), 6)
    rows = deliveries(database, broadcast_id)
    fake.async_errors[rows[0].address] = 63016
    fake.async_errors[rows[1].address] = 21610
    assert delivery.drain() == 6
    fake.wait_for_callbacks()
    after = {r.id: r for r in deliveries(database, broadcast_id)}
    assert states(database, broadcast_id) == {
        DeliveryState.DELIVERED.value: 4,
        DeliveryState.FAILED.value: 2,
    }
    failed = after[rows[0].id]
    assert failed.error_code == 63016 and "outside the 24-hour window" in (failed.reason or "")
    with database.transaction() as session:
        unsubscribed = session.get(Member, rows[1].member_id)
        assert unsubscribed is not None and unsubscribed.opted_out_at is not None
    assert all(fake.counts[r.address] == 1 for r in rows)


def test_read_is_never_undone_by_a_late_callback_and_strangers_are_ignored(
    delivery: Dispatcher, fake: FakeTwilio, database: Database
) -> None:
    fake.callbacks = False
    broadcast_id = seed_broadcast(database, SystemClock().now(), 1)
    delivery.drain()
    [row] = deliveries(database, broadcast_id)
    assert row.twilio_sid is not None
    for status in ("read", "delivered", "sent", "failed"):
        fake.send_status(row.twilio_sid, status, 30007 if status == "failed" else None)
    fake.wait_for_callbacks()
    [after] = deliveries(database, broadcast_id)
    assert after.state == DeliveryState.READ.value and after.error_code is None
    base = delivery.settings.public_base_url
    validator = RequestValidator(delivery.settings.twilio_auth_token or "")
    form = {"MessageSid": "SM" + "9" * 32, "MessageStatus": "delivered"}
    unknown = f"{base}/twilio/status?delivery=987654"
    assert post_status(unknown, form, validator.compute_signature(unknown, form)) == 200
    own = f"{base}/twilio/status?delivery={row.id}"
    assert post_status(own, form, validator.compute_signature(own, form)) == 200  # other sid
    assert post_status(own, form, "bm90IHNpZ25lZA==") == 403
    malformed = f"{base}/twilio/status?delivery=abc"
    assert post_status(malformed, form, validator.compute_signature(malformed, form)) == 400
    [still] = deliveries(database, broadcast_id)
    assert still.state == DeliveryState.READ.value and still.twilio_sid == row.twilio_sid


def test_a_callback_settles_a_delivery_in_doubt_and_nothing_is_sent_twice(
    delivery: Dispatcher, fake: FakeTwilio, database: Database
) -> None:
    broadcast_id = seed_broadcast(database, SystemClock().now(), 2)
    fake.fail_after_create_next = 2  # created at Twilio, answered 500
    delivery.drain()
    fake.wait_for_callbacks()
    for row in deliveries(database, broadcast_id):
        [message] = fake.sent_to(row.address)
        assert row.state == DeliveryState.DELIVERED.value and row.twilio_sid == message.sid
    reconciler = Reconciler(
        delivery.settings, database, SystemClock(), delivery.transport, owner=OWNER
    )
    report = reconciler.run()
    assert report.confirmed == 0 and report.resend == 0
    assert delivery.drain() == 0 and fake.total() == 2


def test_an_unknown_outcome_without_callbacks_is_found_by_listing_messages(
    delivery: Dispatcher, fake: FakeTwilio, database: Database
) -> None:
    fake.callbacks = False
    broadcast_id = seed_broadcast(database, SystemClock().now(), 3)
    fake.fail_after_create_next = 3
    delivery.drain()
    assert states(database, broadcast_id) == {DeliveryState.UNKNOWN.value: 3}
    reconciler = Reconciler(
        delivery.settings, database, SystemClock(), delivery.transport, owner=OWNER
    )
    assert reconciler.run().confirmed == 3
    assert fake.requests["GET list"] == 3 and fake.total() == 3
    assert states(database, broadcast_id) == {DeliveryState.SENT.value: 3}


def cli(settings: Settings, database: Database, *args: str) -> tuple[int, str]:
    """The CLI as an operator runs it, on the test's settings and database."""
    context = Runtime(settings, database, SystemClock())
    result = CliRunner().invoke(main, list(args), obj=context)
    return result.exit_code, result.output


@pytest.fixture
def twilio_settings(settings: Settings, fake: FakeTwilio) -> Settings:
    return settings.replace(
        twilio_account_sid=fake.account_sid,
        twilio_whatsapp_from="whatsapp:+14155238886",
        twilio_api_base_url=fake.url,
    )


def test_templates_sync_list_and_map_through_the_cli(
    twilio_settings: Settings, fake: FakeTwilio, database: Database
) -> None:
    fake.add_template("HX" + "1" * 32, "Info pemilu: {{1}}", name="literasi_id")
    fake.add_template("HX" + "2" * 32, "Klarifikasi: {{1}}", name="klarifikasi", status="pending")
    fake.add_template(
        "HX" + "3" * 32, "{{1}} {{2}}", name="dua_variabel", variables={"1": "a", "2": "b"}
    )
    code, output = cli(twilio_settings, database, "templates", "sync")
    assert code == 0, output
    assert "3 templates at Twilio: 3 new" in output
    code, output = cli(
        twilio_settings, database, "templates", "map", "HX" + "1" * 32, "--kind", "literacy"
    )
    assert code == 0 and "now carries literacy" in output
    code, output = cli(
        twilio_settings, database, "templates", "map", "HX" + "2" * 32, "--kind", "notice"
    )
    assert code == 0 and "pending" in output
    code, output = cli(
        twilio_settings, database, "templates", "map", "HX" + "3" * 32, "--kind", "notice"
    )
    assert code == 1 and "{{2}}" in output and "Traceback" not in output
    code, output = cli(twilio_settings, database, "templates", "map", "HXnope", "--kind", "notice")
    assert code == 1 and "templates sync" in output
    code, output = cli(twilio_settings, database, "templates", "list")
    assert code == 0 and "literasi_id" in output and "literacy" in output
    # Approved later at Twilio, and one deleted there: a new sync keeps the mapping.
    fake.templates["HX" + "2" * 32].status = "approved"
    del fake.templates["HX" + "3" * 32]
    code, output = cli(twilio_settings, database, "templates", "sync")
    assert code == 0 and "1 no longer listed" in output
    with database.transaction() as session:
        found = {t.content_sid: t for t in session.scalars(select(WhatsAppTemplate))}
    assert found["HX" + "2" * 32].approval_status == "approved"
    assert found["HX" + "2" * 32].kind == "notice"
    assert found["HX" + "1" * 32].category == "utility"
    assert found["HX" + "3" * 32].approval_status == "deleted"


def test_templates_sync_without_twilio_settings_is_a_clear_error(
    settings: Settings, database: Database
) -> None:
    code, output = cli(settings, database, "templates", "sync")
    assert code == 1 and "TWILIO_ACCOUNT_SID" in output and "Traceback" not in output


def test_an_opt_out_mid_broadcast_stops_the_sends_not_yet_claimed(
    delivery: Dispatcher, fake: FakeTwilio, database: Database
) -> None:
    fake.callbacks = False
    now = SystemClock().now()
    broadcast_id = seed_broadcast(database, now, 4)
    [first] = delivery.claim(1)
    others = [r for r in deliveries(database, broadcast_id) if r.id != first.outgoing.delivery_id]
    stopped = {r.member_id for r in others[:2]}
    with database.transaction() as session:
        session.execute(update(Member).where(Member.id.in_(stopped)).values(opted_out_at=now))
    delivery.flush([(first, delivery.transport.send(first.outgoing))])
    delivery.drain()
    with database.transaction() as session:
        skipped = session.scalars(
            select(OutboundMessage.member_id).where(
                OutboundMessage.state == DeliveryState.SKIPPED.value
            )
        ).all()
    assert set(skipped) == stopped and fake.total() == 2


def say(base: str, phone: str, text: str, token: str) -> str:
    """One WhatsApp message to the served app, signed as Twilio signs it; the reply text."""
    url = f"{base}/twilio/whatsapp"
    form = {
        "MessageSid": new_message_sid(),
        "From": f"whatsapp:{phone}",
        "To": "whatsapp:+14155238886",
        "Body": text,
    }
    request = urllib.request.Request(url, data=urlencode(form).encode(), method="POST")
    request.add_header("X-Twilio-Signature", RequestValidator(token).compute_signature(url, form))
    with urllib.request.urlopen(request, timeout=10) as response:
        root = ElementTree.fromstring(response.read())
    return "".join(message.text or "" for message in root.iter("Message"))


def test_journey_a_broadcast_proposed_and_approved_by_chat_reaches_each_member_once(
    delivery: Dispatcher, fake: FakeTwilio, database: Database
) -> None:
    """The whole journey: SIARKAN, SETUJUI, the worker's planning and dispatch jobs, Twilio's
    callbacks, STATUS, all over real HTTP."""
    coordinator, editor = "+6281300000002", "+6281300000003"
    members = [f"+628122{n:07d}" for n in range(1, 5)]
    with database.transaction() as session:
        membership.create_group(session, "KALBAR", "Bakohumas Kalbar", timezone="Asia/Pontianak")
        membership.add_member(session, coordinator, "KALBAR", role=Role.COORDINATOR, name="Cici")
        membership.add_member(session, editor, "KALBAR", role=Role.EDITOR, name="Edi")
        for phone in members:
            membership.add_member(session, phone, "KALBAR")
    base, token = delivery.settings.public_base_url, delivery.settings.twilio_auth_token or ""
    for phone in members[:3]:  # they write in, so their window is open; the last one does not
        say(base, phone, "MENU", token)
    text = "Pemungutan suara Rabu 14 Februari 2024. Bawa KTP-el ke TPS"
    proposed = say(base, coordinator, f"SIARKAN KALBAR {text}", token)
    assert re.search(r"#(\d+)", proposed), proposed
    number = int(re.findall(r"#(\d+)", proposed)[0])
    approved = say(base, editor, f"SETUJUI {number}", token)
    # Planned at once: the four members, the coordinator and the editor.
    assert approved.startswith(f"Siaran *#{number}* (KALBAR) disetujui."), approved
    assert "Sedang dikirim ke 6 penerima." in approved, approved
    services = Runtime(delivery.settings, database, SystemClock())
    planning.plan_due_job(services)
    delivery.drain()
    fake.wait_for_callbacks()
    framed = f"*Bakohumas Kalbar*\n\n{text}\n\n_Ketik BERHENTI untuk berhenti menerima siaran._"
    for phone in members[:3]:
        assert [m.body for m in fake.sent_to(f"whatsapp:{phone}")].count(framed) == 1
    assert [m.body for m in fake.sent_to(f"whatsapp:{members[3]}")] == []
    status = say(base, coordinator, f"STATUS {number}", token)
    assert f"#{number}" in status and "selesai" in status
    assert "• sampai: 5" in status  # three members, and the two who wrote (in the group too)
    # Outside the window, with no template mapped:
    assert "• tidak dikirim: 1 — tanpa templat WhatsApp yang disetujui" in status
