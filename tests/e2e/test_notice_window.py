"""Staff notices and WhatsApp's 24-hour window, as people live it: signed webhooks in, TwiML
replies out, the worker's dispatcher sending to the fake Twilio over real HTTP. A notice the
window keeps from going waits for its reader to write, and the reply that caused it says so."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from broadcasts.clock import FixedClock
from broadcasts.db.database import Database
from broadcasts.db.models import DeliveryState, Member, OutboundMessage, Role
from broadcasts.delivery import notices
from broadcasts.delivery.dispatch import Dispatcher
from broadcasts.people import membership
from broadcasts.runtime import Runtime
from config.settings import Settings
from tests.delivery_fixtures import add_template
from tests.fake_twilio import FakeTwilio
from tests.signing import SignedClient

COORDINATOR = "+6281300000002"
EDITOR = "+6281300000003"
PROVINCE_EDITOR = "+6281300000001"
MEMBER = "+6281220000001"
STRANGER = "+6281399999999"
TEXT = "Pemungutan suara Rabu 14 Februari 2024, pukul 07.00–13.00 WIB. Bawa KTP-el ke TPS"


@pytest.fixture
def groups(database: Database) -> None:
    """KALBAR ⊃ PONTIANAK: an editor above, a coordinator, an editor and a member in the city.
    Nobody has written to the bot yet."""
    with database.transaction() as session:
        membership.create_group(session, "KALBAR", "Bakohumas Kalbar", timezone="Asia/Pontianak")
        membership.create_group(session, "PONTIANAK", "Kota Pontianak", parent_code="KALBAR")
        membership.add_member(session, PROVINCE_EDITOR, "KALBAR", role=Role.EDITOR, name="Eka")
        membership.add_member(session, COORDINATOR, "PONTIANAK", role=Role.COORDINATOR, name="Cici")
        membership.add_member(session, EDITOR, "PONTIANAK", role=Role.EDITOR, name="Edi")
        membership.add_member(session, MEMBER, "PONTIANAK")


@pytest.fixture
def fake(settings: Settings) -> Iterator[FakeTwilio]:
    with FakeTwilio(auth_token=settings.twilio_auth_token or "") as running:
        yield running


@pytest.fixture
def worker(
    settings: Settings, fake: FakeTwilio, database: Database, clock: FixedClock
) -> Iterator[Runtime]:
    """The worker's services on the webhook's database and clock, sending to the fake."""
    configured = settings.replace(
        twilio_account_sid=fake.account_sid,
        twilio_whatsapp_from="whatsapp:+14155238886",
        twilio_api_base_url=fake.url,
    )
    yield Runtime(configured, database, clock)


@pytest.fixture
def dispatcher(worker: Runtime) -> Iterator[Dispatcher]:
    running = Dispatcher(worker.settings, worker.database, worker.clock, owner="e2e-notices")
    yield running
    running.close()


def run_worker(worker: Runtime, dispatcher: Dispatcher) -> int:
    """One round of the worker's jobs that concern notices; returns the requests made."""
    notices.release_job(worker)
    return dispatcher.drain()


def to(phone: str) -> str:
    return f"whatsapp:{phone}"


def notice_rows(database: Database, phone: str) -> list[OutboundMessage]:
    with database.transaction() as session:
        return list(
            session.scalars(
                select(OutboundMessage)
                .join(Member, Member.id == OutboundMessage.member_id)
                .where(Member.phone == phone, OutboundMessage.broadcast_id.is_(None))
                .order_by(OutboundMessage.id)
            )
        )


def skipped_notices(database: Database) -> list[OutboundMessage]:
    with database.transaction() as session:
        return list(
            session.scalars(
                select(OutboundMessage).where(
                    OutboundMessage.broadcast_id.is_(None),
                    OutboundMessage.state == DeliveryState.SKIPPED.value,
                )
            )
        )


def number_in(reply: str) -> int:
    found = re.search(r"#(\d+)", reply)
    assert found, reply
    return int(found.group(1))


def test_an_editor_silent_for_three_days_gets_the_review_request_once_they_write_again(
    twilio: SignedClient,
    fake: FakeTwilio,
    database: Database,
    clock: FixedClock,
    groups: None,
    worker: Runtime,
    dispatcher: Dispatcher,
) -> None:
    twilio.say(EDITOR, "ANTRIAN")
    clock.advance(timedelta(days=3))
    twilio.say(PROVINCE_EDITOR, "ANTRIAN")  # the province's editor wrote just now
    proposed = twilio.say(COORDINATOR, f"SIARKAN PONTIANAK {TEXT}")
    number = number_in(proposed)
    assert "1 editor sudah diberi tahu." in proposed
    assert "1 editor lain baru menerimanya begitu menulis lagi ke kami" in proposed
    assert "2 editor sudah" not in proposed

    assert run_worker(worker, dispatcher) == 1
    [review] = fake.sent_to(to(PROVINCE_EDITOR))
    assert f"SETUJUI {number}" in review.body
    assert fake.sent_to(to(EDITOR)) == []
    [waiting] = notice_rows(database, EDITOR)
    assert (waiting.state, waiting.next_attempt_at) == (DeliveryState.QUEUED.value, None)

    clock.advance(timedelta(hours=4))
    assert run_worker(worker, dispatcher) == 0  # still silent: still waiting
    assert f"#{number}" in twilio.say(EDITOR, "ANTRIAN")  # they write: their window opens
    assert run_worker(worker, dispatcher) == 1
    [review] = fake.sent_to(to(EDITOR))
    assert f"SETUJUI {number}" in review.body and "Cici" in review.body
    [sent] = notice_rows(database, EDITOR)
    assert (sent.state, sent.mode) == (DeliveryState.SENT.value, "freeform")
    assert skipped_notices(database) == []


def test_a_held_review_request_is_not_sent_once_another_editor_decided(
    twilio: SignedClient,
    fake: FakeTwilio,
    database: Database,
    clock: FixedClock,
    groups: None,
    worker: Runtime,
    dispatcher: Dispatcher,
) -> None:
    twilio.say(EDITOR, "ANTRIAN")
    clock.advance(timedelta(days=3))
    twilio.say(PROVINCE_EDITOR, "ANTRIAN")
    number = number_in(twilio.say(COORDINATOR, f"SIARKAN PONTIANAK {TEXT}"))
    assert run_worker(worker, dispatcher) == 1  # the province's editor is asked; Edi waits
    assert "disetujui" in twilio.say(PROVINCE_EDITOR, f"SETUJUI {number}")
    twilio.say(EDITOR, "halo")  # Edi writes again: nothing left for Edi to review
    run_worker(worker, dispatcher)
    assert not any(f"SETUJUI {number}" in m.body for m in fake.sent_to(to(EDITOR)))
    [held] = notice_rows(database, EDITOR)
    assert (held.state, held.reason) == (DeliveryState.SKIPPED.value, "already decided")


def test_with_a_notice_template_mapped_the_silent_editors_are_told_at_once_through_it(
    twilio: SignedClient,
    fake: FakeTwilio,
    database: Database,
    groups: None,
    worker: Runtime,
    dispatcher: Dispatcher,
) -> None:
    fake.add_template("HX" + "7" * 32, "Pemberitahuan Humasbot: {{1}}", language="id")
    add_template(database, "HX" + "7" * 32, kind="notice", language="id")
    proposed = twilio.say(COORDINATOR, f"SIARKAN PONTIANAK {TEXT}")
    number = number_in(proposed)
    assert "2 editor sudah diberi tahu." in proposed and "menulis lagi" not in proposed

    assert run_worker(worker, dispatcher) == 2
    for editor in (EDITOR, PROVINCE_EDITOR):
        [review] = fake.sent_to(to(editor))
        assert review.body.startswith("Pemberitahuan Humasbot: Siaran baru")
        assert f"SETUJUI {number}" in review.body
        [row] = notice_rows(database, editor)
        assert (row.state, row.mode) == (DeliveryState.SENT.value, "template")


def test_the_lapor_reply_counts_what_was_planned(
    twilio: SignedClient,
    fake: FakeTwilio,
    database: Database,
    clock: FixedClock,
    groups: None,
    worker: Runtime,
    dispatcher: Dispatcher,
) -> None:
    twilio.say(COORDINATOR, "MENU")  # only the coordinator has written to the bot
    clock.advance(timedelta(minutes=10))
    reported = twilio.say(MEMBER, "LAPOR ada pesan berantai: pencoblosan diundur ke Maret")
    assert "Sudah diteruskan ke 1 koordinator." in reported
    assert "2 koordinator lain akan menerimanya begitu mereka menulis lagi ke kami" in reported
    leads = {
        phone: notice_rows(database, phone) for phone in (COORDINATOR, EDITOR, PROVINCE_EDITOR)
    }
    due = [p for p, rows in leads.items() if rows[0].next_attempt_at is not None]
    held = [p for p, rows in leads.items() if rows[0].next_attempt_at is None]
    assert (due, sorted(held)) == ([COORDINATOR], sorted([EDITOR, PROVINCE_EDITOR]))
    assert all(
        len(rows) == 1 and "diundur ke Maret" in (rows[0].body or "") for rows in leads.values()
    )

    assert run_worker(worker, dispatcher) == 1
    assert len(fake.sent_to(to(COORDINATOR))) == 1
    assert skipped_notices(database) == []

    stranger = twilio.say(STRANGER, "LAPOR ada hoaks soal TPS")
    assert "belum tergabung dalam grup" in stranger and "grup Anda" not in stranger
    assert "not in a group yet" in twilio.say(STRANGER, "REPORT a hoax about the polls")


def test_a_rejection_tells_whether_its_author_has_heard_of_it(
    twilio: SignedClient,
    clock: FixedClock,
    groups: None,
) -> None:
    first, second, third = (
        number_in(twilio.say(COORDINATOR, f"SIARKAN PONTIANAK {TEXT} ({n})")) for n in range(3)
    )
    rejected = twilio.say(EDITOR, f"TOLAK {first} jam TPS belum final")
    assert "Pengusulnya sudah diberi tahu." in rejected
    clock.advance(timedelta(days=2))  # the coordinator has not written since
    rejected = twilio.say(EDITOR, f"TOLAK {second} jam TPS belum final")
    assert "Pengusulnya baru menerima pemberitahuan ini begitu menulis lagi ke kami" in rejected
    assert "sudah diberi tahu" not in rejected
    rejected = twilio.say(PROVINCE_EDITOR, f"REJECT {third} the hours are not final")
    assert "Its author will be told once they message us again" in rejected
