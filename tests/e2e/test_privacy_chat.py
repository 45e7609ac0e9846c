"""Personal data as a member meets it in WhatsApp: consent on joining, DATA SAYA, HAPUS DATA and
YA HAPUS — and afterwards the number is in no table and no column, on SQLite and PostgreSQL,
while the broadcasts and their delivery counts stay."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from broadcasts.clock import FixedClock
from broadcasts.db.database import Database
from broadcasts.db.models import (
    AdminUser,
    AuditEvent,
    Broadcast,
    BroadcastState,
    Consent,
    HoaxReport,
    InboundMessage,
    Member,
    OutboundMessage,
    Role,
)
from broadcasts.delivery import outbox
from broadcasts.delivery.dispatch import Dispatcher
from broadcasts.delivery.transports.console import ConsoleTransport
from broadcasts.elections.stored import load_bundled
from broadcasts.people import membership
from config.settings import Settings
from tests.number_scan import places_holding
from tests.signing import SignedClient, new_message_sid, twiml_text

BUDI = "+6281234567890"  # joins, asks, reports, receives, coordinates — then erases it all
SARI = "+6281298765432"  # a member beside him
CICI = "+6281300000002"  # coordinator of PONTIANAK
EKA = "+6281300000001"  # editor of KALBAR, the top group


@pytest.fixture
def codes(database: Database, clock: FixedClock) -> dict[str, str]:
    """KALBAR ⊃ PONTIANAK ⊃ KUBURAYA; their invitation codes. The election calendars loaded."""
    with database.transaction() as session:
        load_bundled(session, clock.now())
        groups = [
            membership.create_group(session, "KALBAR", "Bakohumas Kalbar"),
            membership.create_group(session, "PONTIANAK", "Kota Pontianak", parent_code="KALBAR"),
            membership.create_group(session, "KUBURAYA", "Kubu Raya", parent_code="PONTIANAK"),
        ]
        membership.add_member(session, EKA, "KALBAR", role=Role.EDITOR, name="Eka")
        membership.add_member(session, CICI, "PONTIANAK", role=Role.COORDINATOR, name="Cici")
        return {group.code: group.join_code for group in groups}


@pytest.fixture
def transport(clock: FixedClock) -> ConsoleTransport:
    return ConsoleTransport(io.StringIO(), clock)


@pytest.fixture
def console(
    settings: Settings, database: Database, clock: FixedClock, transport: ConsoleTransport
) -> Iterator[Dispatcher]:
    dispatcher = Dispatcher(settings, database, clock, transport)
    yield dispatcher
    dispatcher.close()


def number_of(reply: str) -> int:
    found = re.search(r"#(\d+)", reply)
    assert found, reply
    return int(found.group(1))


def hoax_notices(database: Database) -> list[str]:
    with database.transaction() as session:
        return [
            body or ""
            for body in session.scalars(
                select(OutboundMessage.body).where(OutboundMessage.dedupe_key.startswith("hoax:"))
            )
        ]


def counts(database: Database, broadcast_id: int) -> dict[str, int]:
    with database.transaction() as session:
        return outbox.counts(session, broadcast_id)


def test_joining_records_consent_and_says_where_the_privacy_notice_is(
    twilio: SignedClient, database: Database, codes: dict[str, str]
) -> None:
    sid = new_message_sid()
    reply = twiml_text(twilio.message(BUDI, f"DAFTAR {codes['PONTIANAK']}", message_sid=sid))
    assert "setuju menerima siaran" in reply
    assert "https://humasbot.example.go.id/privasi" in reply
    english = twilio.say(SARI, f"JOIN {codes['PONTIANAK']}")
    assert "agree to receive" in english and "/privacy" in english
    with database.transaction() as session:
        budi = membership.find_member(session, phone=BUDI)
        assert budi is not None
        consent = session.scalars(select(Consent).where(Consent.member_id == budi.id)).one()
        assert (consent.source, consent.message_sid, consent.given_by) == ("join_code", sid, None)
        # Those an operator added have theirs too, with who added them.
        cici = session.scalars(
            select(Consent).join(Member, Member.id == Consent.member_id).where(Member.phone == CICI)
        ).one()
        assert (cici.source, cici.given_by, cici.message_sid) == ("cli", "system:cli", None)


def test_my_data_shows_what_is_kept(twilio: SignedClient, codes: dict[str, str]) -> None:
    twilio.say(BUDI, f"DAFTAR {codes['PONTIANAK']}", ProfileName="Budi Santoso")
    twilio.say(BUDI, "BAHASA ID")
    mine = twilio.say(BUDI, "data saya")
    for words in (
        "0812-3456-7890",
        "Budi Santoso",
        "Kota Pontianak (PONTIANAK), anggota",
        "lewat kode undangan",
        "Bahasa balasan: Indonesia",
        "Pesan Anda: 3",
        "90 hari",
        "https://humasbot.example.go.id/privasi",
        "HAPUS DATA",
    ):
        assert words in mine, mine
    english = twilio.say(SARI, "MY DATA")
    assert "Groups: none yet" in english and "0812-9876-5432" in english
    assert "DELETE MY DATA" in english


def test_erasing_leaves_the_number_nowhere_and_the_counts_as_they_were(
    twilio: SignedClient,
    client: FlaskClient,
    database: Database,
    clock: FixedClock,
    codes: dict[str, str],
    console: Dispatcher,
    transport: ConsoleTransport,
) -> None:
    # Budi joins, asks, sets his language, and reports a hoax (with his own number in it).
    join_sid = new_message_sid()
    twilio.message(
        BUDI,
        f"DAFTAR {codes['PONTIANAK']}",
        message_sid=join_sid,
        ProfileName="Budi Santoso",
        WaId=BUDI[1:],
    )
    twilio.say(SARI, f"DAFTAR {codes['PONTIANAK']}")
    assert "Februari 2024" in twilio.say(BUDI, "kapan pencoblosan pemilu 2024?")
    twilio.say(BUDI, "BAHASA ID")
    twilio.say(EKA, "halo")  # the editor wrote today: notices reach her at once
    report = twilio.say(BUDI, "LAPOR Pencoblosan diundur ke Maret, katanya. WA saya 081234567890")
    assert "laporan Anda tercatat" in report
    # He coordinates KUBURAYA, and proposes a broadcast there that waits for Eka.
    with database.transaction() as session:
        membership.add_member(session, BUDI, "KUBURAYA", role=Role.COORDINATOR)
    pending = number_of(twilio.say(BUDI, "SIARKAN KUBURAYA Cek nama Anda di DPT online."))
    # Cici's broadcast reaches him and is sent; her second one is still queued when he erases.
    sent = number_of(twilio.say(CICI, "SIARKAN PONTIANAK Pemungutan suara 14 Februari 2024."))
    assert "disetujui" in twilio.say(EKA, f"SETUJUI {sent}")
    console.drain()
    queued = number_of(twilio.say(CICI, "SIARKAN PONTIANAK Bawa KTP-el ke TPS."))
    twilio.say(EKA, f"SETUJUI {queued}")
    told = hoax_notices(database)
    assert len(told) == 2  # Cici and Eka, who see him masked
    assert all("Budi Santoso (0812-****-7890)" in notice for notice in told), told
    sent_counts = counts(database, sent)
    assert sent_counts["sent"] == 3  # Budi, Sari, Cici
    assert places_holding(database, BUDI)  # the scan finds what there is to find

    # HAPUS DATA asks; YA HAPUS erases.
    asked = twilio.say(BUDI, "HAPUS DATA")
    assert "YA HAPUS" in asked and "10 menit" in asked
    clock.advance(timedelta(minutes=9))
    erase_sid = new_message_sid()
    erased = twiml_text(twilio.message(BUDI, "ya hapus", message_sid=erase_sid))
    assert "sudah kami hapus" in erased

    assert places_holding(database, BUDI) == []
    assert counts(database, sent) == sent_counts
    status = twilio.say(CICI, f"STATUS {queued}")
    assert "tidak dikirim: 1 — data penerima sudah dihapus (1)" in status, status
    console.drain()  # the queued broadcast goes to the others, not to him
    reached = [sent.to for _, sent in transport.sent if "Bawa KTP-el" in (sent.body or "")]
    assert f"whatsapp:{SARI}" in reached and f"whatsapp:{BUDI}" not in reached
    after = counts(database, queued)
    assert (after["sent"], after["skipped"]) == (2, 1)

    with database.transaction() as session:
        ghost = session.scalars(select(Member).where(Member.erased_at.is_not(None))).one()
        assert (ghost.phone, ghost.wa_id, ghost.name, ghost.language) == (None, None, None, None)
        assert session.scalar(select(func.count()).where(Member.id.is_not(None))) == 4
        assert membership.groups_of(session, ghost) == []
        proposal = session.get_one(Broadcast, pending)
        assert proposal.state == BroadcastState.PENDING.value
        assert proposal.author == f"erased:{ghost.id}"
        report_row = session.scalars(select(HoaxReport)).one()
        assert report_row.member_id is None and "Pencoblosan diundur" in report_row.text
        texts = session.scalars(
            select(InboundMessage.body).where(InboundMessage.member_id == ghost.id)
        ).all()
        assert texts == []
        kept_sids = set(session.scalars(select(InboundMessage.message_sid)))
        assert {join_sid, erase_sid} <= kept_sids  # so a repeat is still answered once
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "member_erased")
        ).one()
        assert (event.actor, event.subject_id, event.detail["via"]) == (
            f"erased:{ghost.id}",
            ghost.id,
            "chat",
        )
        consent = session.scalars(select(Consent).where(Consent.member_id == ghost.id)).all()
        assert consent and all(c.withdrawn_at is not None for c in consent)
    for notice in hoax_notices(database):
        assert "dari anggota terhapus:" in notice and "Budi" not in notice, notice
    assert "dari anggota terhapus" in twilio.say(EKA, "ANTRIAN")

    # Twilio sending the join again changes nothing; writing again is a new person.
    twiml_text(twilio.message(BUDI, f"DAFTAR {codes['PONTIANAK']}", message_sid=join_sid))
    assert places_holding(database, BUDI) == []
    assert "belum ada" in twilio.say(BUDI, "DATA SAYA")
    with database.transaction() as session:
        again = membership.find_member(session, phone=BUDI)
        assert again is not None and again.id != ghost.id and again.name is None

    # The dashboard names him as erased too.
    with database.transaction() as session:
        session.add(AdminUser(username="siti", password_hash=generate_password_hash("rahasia-123")))
    page = client.get("/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    client.post(
        "/admin/login",
        data={"username": "siti", "password": "rahasia-123", "csrf_token": token.group(1)},
    )
    shown = client.get(f"/admin/broadcasts/{pending}").get_data(as_text=True)
    assert "anggota terhapus" in shown
    other = client.get(f"/admin/broadcasts/{sent}").get_data(as_text=True)
    assert "0813-****-0002" in other and CICI not in other


def test_ya_hapus_needs_a_request_made_in_the_last_ten_minutes(
    twilio: SignedClient, database: Database, clock: FixedClock, codes: dict[str, str]
) -> None:
    twilio.say(BUDI, f"DAFTAR {codes['PONTIANAK']}")
    nothing = twilio.say(BUDI, "YA HAPUS")
    assert "Tidak ada permintaan hapus data" in nothing and "HAPUS DATA" in nothing
    twilio.say(BUDI, "HAPUS DATA")
    clock.advance(timedelta(minutes=10, seconds=1))
    late = twilio.say(BUDI, "YA HAPUS")
    assert "sudah lewat 10 menit" in late
    assert "ketik *HAPUS DATA* saja" in twilio.say(BUDI, "hapus data semua grup saya")
    assert "ketik *YA HAPUS* saja" in twilio.say(BUDI, "ya hapus semuanya")
    english = twilio.say(BUDI, "YES DELETE")
    assert "more than 10 minutes old, so we deleted nothing" in english
    with database.transaction() as session:
        budi = membership.find_member(session, phone=BUDI)
        assert budi is not None and budi.erased_at is None
        assert [g.code for g, _ in membership.groups_of(session, budi)] == ["PONTIANAK"]
    assert places_holding(database, BUDI)


def test_a_stranger_asking_to_erase_is_told_what_little_is_kept(
    twilio: SignedClient, database: Database
) -> None:
    reply = twilio.say(SARI, "DELETE MY DATA")
    assert "only keep your number and this message" in reply and "90 days" in reply
    assert "deleted" in twilio.say(SARI, "YES DELETE")
    assert places_holding(database, SARI) == []


def test_menu_offers_my_data_and_erasure_but_not_the_confirmation(twilio: SignedClient) -> None:
    menu = twilio.say(BUDI, "MENU")
    assert "*DATA SAYA*" in menu and "*HAPUS DATA*" in menu and "YA HAPUS" not in menu
    assert "HAPUS DATA" in twilio.say(BUDI, "HAPUS")  # the closest command
