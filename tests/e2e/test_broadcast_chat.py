"""The editorial workflow as coordinators and editors live it in WhatsApp: signed webhooks in,
TwiML replies out, notices planned for the people concerned."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from bot.web.app import create_app
from broadcasts.clock import FixedClock
from broadcasts.db.database import Database
from broadcasts.db.models import Broadcast, ContentKind, Member, OutboundMessage, Role
from broadcasts.editorial import library
from broadcasts.people import membership
from config.settings import Settings
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL
from tests.signing import SignedClient

COORDINATOR = "+6281300000002"
EDITOR = "+6281300000003"
PROVINCE_EDITOR = "+6281300000001"
OUTSIDER = "+6281300000009"  # coordinator of another province
MEMBERS = [f"+628122{n:07d}" for n in range(1, 6)]
TEXT = "Pemungutan suara Rabu 14 Februari 2024, pukul 07.00–13.00 WIB. Bawa KTP-el ke TPS"


@pytest.fixture
def groups(database: Database) -> None:
    """KALBAR ⊃ PONTIANAK ⊃ KUBURAYA; KALTIM apart. Five members, one of them opted out."""
    with database.transaction() as session:
        membership.create_group(session, "KALBAR", "Bakohumas Kalbar", timezone="Asia/Pontianak")
        membership.create_group(session, "PONTIANAK", "Kota Pontianak", parent_code="KALBAR")
        membership.create_group(session, "KUBURAYA", "Kubu Raya", parent_code="PONTIANAK")
        membership.create_group(session, "KALTIM", "Bakohumas Kaltim", timezone="Asia/Makassar")
        membership.add_member(session, PROVINCE_EDITOR, "KALBAR", role=Role.EDITOR, name="Eka")
        membership.add_member(session, COORDINATOR, "PONTIANAK", role=Role.COORDINATOR, name="Cici")
        membership.add_member(session, EDITOR, "PONTIANAK", role=Role.EDITOR, name="Edi")
        membership.add_member(session, OUTSIDER, "KALTIM", role=Role.COORDINATOR)
        for number in MEMBERS[:3]:
            membership.add_member(session, number, "PONTIANAK")
        for number in MEMBERS[2:]:
            membership.add_member(session, number, "KUBURAYA")
    # MEMBERS[4] stops broadcasts by chat before anything is proposed.


def broadcast_id(reply: str) -> int:
    found = re.search(r"#(\d+)", reply)
    assert found, reply
    return int(found.group(1))


def notices_to(database: Database, phone: str) -> list[str]:
    with database.transaction() as session:
        return [
            body or ""
            for body in session.scalars(
                select(OutboundMessage.body)
                .join(Member, Member.id == OutboundMessage.member_id)
                .where(Member.phone == phone, OutboundMessage.broadcast_id.is_(None))
                .order_by(OutboundMessage.id)
            )
        ]


def test_propose_approve_follow_and_cancel_by_chat(
    twilio: SignedClient, database: Database, groups: None
) -> None:
    twilio.say(MEMBERS[4], "BERHENTI")
    proposed = twilio.say(COORDINATOR, f"SIARKAN pontianak {TEXT}")
    number = broadcast_id(proposed)
    # Members of the city and of Kubu Raya (one in both), less the opted-out: 6.
    assert "Pemungutan suara Rabu 14 Februari 2024" in proposed
    assert "*6* anggota" in proposed
    # Neither editor has written to the bot: the review requests wait for them, and it says so.
    assert "Belum ada editor yang menerimanya: 2 editor" in proposed
    assert "sudah diberi tahu" not in proposed
    assert "kuota" not in proposed
    for editor in (EDITOR, PROVINCE_EDITOR):
        (notice,) = notices_to(database, editor)
        assert f"#{number}" in notice and "Cici" in notice and f"SETUJUI {number}" in notice

    queue = twilio.say(EDITOR, "ANTRIAN")
    assert f"#{number}" in queue and "PONTIANAK" in queue and "Cici" in queue
    assert "bukan koordinator" in twilio.say(OUTSIDER, f"SIARKAN PONTIANAK {TEXT}")
    assert "tidak berwenang" in twilio.say(COORDINATOR, f"SETUJUI {number}")

    approved = twilio.say(EDITOR, f"setujui #{number}")
    assert approved.startswith(f"Siaran *#{number}* (PONTIANAK) disetujui."), approved
    assert "Sedang dikirim ke 6 penerima." in approved
    assert any("disetujui" in n for n in notices_to(database, COORDINATOR))
    assert "sudah disetujui" in twilio.say(PROVINCE_EDITOR, f"SETUJUI {number}")
    assert "Tidak ada siaran" in twilio.say(EDITOR, "ANTRIAN")

    status = twilio.say(COORDINATOR, f"STATUS #{number}")
    assert "sedang dikirim" in status and "6 penerima" in status
    assert "• dalam antrean: 6" in status and "tidak dikirim" not in status
    assert "bukan untuk grup" in twilio.say(OUTSIDER, f"STATUS {number}")
    assert "tidak ditemukan" in twilio.say(COORDINATOR, "STATUS 98765")

    cancelled = twilio.say(COORDINATOR, f"BATAL {number}")
    assert "dibatalkan" in cancelled and "Tidak ada penerima yang dikirimi" in cancelled
    after = twilio.say(COORDINATOR, f"STATUS {number}")
    assert "dibatalkan" in after and "antrean" not in after and ": 0" not in after
    assert "• tidak dikirim: 6 — siaran dibatalkan (6)" in after
    assert "sudah dibatalkan" in twilio.say(COORDINATOR, f"BATAL {number}")
    with database.transaction() as session:
        stored = session.get(Broadcast, number)
        assert stored is not None and stored.body == TEXT


def test_an_author_cannot_approve_their_own_and_a_rejection_tells_them_why(
    twilio: SignedClient, database: Database, groups: None
) -> None:
    number = broadcast_id(twilio.say(EDITOR, f"BROADCAST KUBURAYA {TEXT}"))
    assert "another editor" in twilio.say(EDITOR, f"APPROVE {number}")
    assert "Write *REJECT*" in twilio.say(PROVINCE_EDITOR, f"REJECT {number}")
    rejected = twilio.say(PROVINCE_EDITOR, f"TOLAK {number} jam TPS belum final")
    assert "ditolak" in rejected and "jam TPS belum final" in rejected
    (told,) = [n for n in notices_to(database, EDITOR) if "ditolak editor" in n]
    assert "jam TPS belum final" in told
    assert "already rejected" in twilio.say(EDITOR, f"CANCEL {number}")
    status = twilio.say(EDITOR, f"STATUS {number}")
    assert "ditolak" in status and "jam TPS belum final" in status


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("SIARKAN", "Tulis *SIARKAN*"),
        ("SIARKAN PONTIANAK", "Tulis *SIARKAN*"),
        ("SIARKAN NOWHERE halo semua", "tidak ditemukan"),
        ("SETUJUI", "Tulis *SETUJUI*"),
        ("SETUJUI dua belas", "Tulis *SETUJUI*"),
        ("SETUJUI 99999999999999", "Tulis *SETUJUI*"),
        ("SETUJUI 9999999999", "tidak ditemukan"),
        ("SETUJUI #0", "tidak ditemukan"),
        ("TOLAK 5", "Tulis *TOLAK*"),
        ("STATUS", "Tulis *STATUS*"),
        ("BATAL x", "Tulis *BATAL*"),
        ("BATAL 77", "tidak ditemukan"),
    ],
)
def test_bad_input_gets_a_clear_reply(
    twilio: SignedClient, groups: None, message: str, expected: str
) -> None:
    assert expected in twilio.say(EDITOR, message)


def test_a_body_over_twilios_limit_is_refused_with_the_limit(
    twilio: SignedClient, database: Database, groups: None
) -> None:
    reply = twilio.say(COORDINATOR, "SIARKAN PONTIANAK " + "a" * 1501)
    assert "1.501 karakter" in reply and "1.500 karakter" in reply  # numbers as readers write them
    assert "1,500 characters" in twilio.say(COORDINATOR, "BROADCAST PONTIANAK " + "a" * 1700)
    assert broadcast_id(twilio.say(COORDINATOR, "SIARKAN PONTIANAK " + "a" * 1500))
    with database.transaction() as session:
        assert len(session.scalars(select(Broadcast)).all()) == 1


def test_plain_members_may_not_broadcast(twilio: SignedClient, groups: None) -> None:
    for command in (f"SIARKAN PONTIANAK {TEXT}", "SETUJUI 1", "ANTRIAN", "STATUS 1", "BATAL 1"):
        assert "tidak berwenang" in twilio.say(MEMBERS[0], command)


def test_a_warning_when_the_audience_exceeds_what_is_left_of_todays_quota(
    settings: Settings, database: Database, clock: FixedClock, groups: None
) -> None:
    app = create_app(settings.replace(whatsapp_daily_limit=3), database=database, clock=clock)
    twilio = SignedClient(app.test_client(), AUTH_TOKEN, PUBLIC_BASE_URL)
    reply = twilio.say(COORDINATOR, f"BROADCAST PONTIANAK {TEXT}")
    assert "*7* members" in reply and "quota has room for 3 recipients" in reply


def test_report_a_hoax_and_check_the_clarifications(
    twilio: SignedClient, database: Database, clock: FixedClock, groups: None
) -> None:
    with database.transaction() as session:
        item = library.add_content(
            session,
            title="Pemungutan suara tidak diundur",
            body="Pesan berantai bahwa pemungutan suara diundur adalah hoaks.",
            media_url="https://kpu.example.go.id/klarifikasi.jpg",
            tags=["diundur"],
            kind=ContentKind.CLARIFICATION,
            created_by="admin:ani",
            now=clock.now(),
        )
        library.approve_content(session, item.id, actor="admin:budi", now=clock.now())
    reported = twilio.say(MEMBERS[3], "LAPOR ada pesan berantai: pencoblosan diundur ke Maret")
    assert "tercatat" in reported
    assert "akan sampai ke 3 koordinator begitu mereka menulis lagi" in reported
    for lead in (COORDINATOR, EDITOR, PROVINCE_EDITOR):
        assert any("diundur ke Maret" in n for n in notices_to(database, lead))
    assert "teruskan (forward) ke sini" in twilio.say(MEMBERS[3], "LAPOR")  # then a forward

    found = twilio.say(MEMBERS[3], "CEK apakah pemilu diundur?")
    assert "Pemungutan suara tidak diundur" in found and "klarifikasi.jpg" in found
    assert "No official clarification" in twilio.say(MEMBERS[3], "CHECK tinta luntur")
    assert "Tulis *CEK*" in twilio.say(MEMBERS[3], "CEK ?")
    stranger = twilio.say("+6281399999999", "LAPOR ada hoaks")
    assert "belum tergabung dalam grup" in stranger and "ditinjau admin" in stranger


def test_a_broadcast_keeps_its_final_punctuation(
    twilio: SignedClient, database: Database, groups: None
) -> None:
    twilio.say(COORDINATOR, "SIARKAN PONTIANAK Datang ke TPS!")
    with database.transaction() as session:
        assert session.scalars(select(Broadcast.body)).one() == "Datang ke TPS!"
