"""Amplification as officers and coordinators live it in WhatsApp (issue 14): a broadcast with a
link carries a share kit; SUDAH records where an office reposted it; REKAP shows which offices
under a coordinator did, by platform, and which did not; INGATKAN reminds those that did not, at
most once per office per day. Signed webhooks in, TwiML out, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from broadcasts.amplification.kit import X_LIMIT, share_kit, x_caption
from broadcasts.clock import FixedClock
from broadcasts.db.database import Database
from broadcasts.db.models import (
    Amplification,
    Broadcast,
    DeliveryState,
    Member,
    OutboundMessage,
    Role,
)
from broadcasts.delivery.framing import framed
from broadcasts.people.membership import add_member, create_group
from tests.signing import SignedClient

PROVINCE = "+6281600000001"  # coordinates KALBAR
EDITOR = "+6281600000002"  # edits KALBAR
CITY = "+6281600000003"  # coordinates PONTIANAK
PONTIANAK = ["+6281600000011", "+6281600000012"]
KUBURAYA = ["+6281600000021", "+6281600000022"]
SAMBAS = ["+6281600000031"]
KALTIM = "+6281600000041"  # coordinates KALTIM, which the broadcast never reaches
STRANGER = "+6281600000099"  # in no group
LINK = "https://kpu.go.id/berita/cek-dpt"
TEXT = f"Cek nama Anda di DPT sebelum 14 Februari 2024. Caranya di {LINK}"
POST = "https://www.instagram.com/p/C3xYz12Ab/"


@pytest.fixture
def groups(database: Database) -> None:
    """KALBAR ⊃ PONTIANAK ⊃ KUBURAYA, KALBAR ⊃ SAMBAS; KALTIM apart."""
    with database.transaction() as session:
        create_group(session, "KALBAR", "Diskominfo Kalbar", timezone="Asia/Pontianak")
        create_group(session, "PONTIANAK", "Diskominfo Kota Pontianak", parent_code="KALBAR")
        create_group(session, "KUBURAYA", "Diskominfo Kubu Raya", parent_code="PONTIANAK")
        create_group(session, "SAMBAS", "Diskominfo Sambas", parent_code="KALBAR")
        create_group(session, "KALTIM", "Diskominfo Kaltim", timezone="Asia/Makassar")
        add_member(session, PROVINCE, "KALBAR", role=Role.COORDINATOR, name="Pras")
        add_member(session, EDITOR, "KALBAR", role=Role.EDITOR, name="Edi")
        add_member(session, CITY, "PONTIANAK", role=Role.COORDINATOR, name="Cici")
        add_member(session, KALTIM, "KALTIM", role=Role.COORDINATOR)
        for code, phones in (("PONTIANAK", PONTIANAK), ("KUBURAYA", KUBURAYA), ("SAMBAS", SAMBAS)):
            for phone in phones:
                add_member(session, phone, code)


def sent(twilio: SignedClient, database: Database, text: str = TEXT) -> int:
    """A broadcast to KALBAR proposed, approved and (as the dispatcher would) sent to all."""
    reply = twilio.say(PROVINCE, f"SIARKAN KALBAR {text}")
    found = re.search(r"#(\d+)", reply)
    assert found, reply
    number = int(found.group(1))
    assert "disetujui" in twilio.say(EDITOR, f"SETUJUI {number}")
    with database.transaction() as session:
        session.execute(
            update(OutboundMessage)
            .where(OutboundMessage.broadcast_id == number)
            .values(state=DeliveryState.SENT.value)
        )
    return number


def links(database: Database) -> list[tuple[str, str, str]]:
    with database.transaction() as session:
        rows = session.execute(
            select(Amplification.broadcast_id, Amplification.url, Amplification.platform).order_by(
                Amplification.id
            )
        )
        return [(str(b), url, platform) for b, url, platform in rows]


def test_a_broadcast_with_a_link_carries_a_share_kit(
    twilio: SignedClient, database: Database, groups: None
) -> None:
    number = sent(twilio, database)
    with database.transaction() as session:
        broadcast = session.get(Broadcast, number)
        assert broadcast is not None
        text = framed(broadcast.body, broadcast, "id")
        english = framed(broadcast.body, broadcast, "en")
        broadcast.tags = ["pemilu 2024", "cek-dpt"]
        tagged = framed(broadcast.body, broadcast, "id")
    assert text.startswith(f"*Diskominfo Kalbar*\n\n{TEXT}\n\n*Bahan unggah")
    assert f"Tautan sumber: {LINK}" in text
    assert "muat untuk X, Instagram, dan Facebook" in text
    assert f"ketik *SUDAH {number}* + tautan unggahan" in text
    assert text.endswith("_Ketik BERHENTI untuk berhenti menerima siaran._")
    assert f"send *DONE {number}* + the link" in english
    assert "Tagar: #Pemilu2024 #CekDpt" in tagged

    # A long text: the X caption is cut at a word to fit 280 (a link counts 23), with its link.
    long_text = ("Pemungutan suara Pemilu 2024 digelar Rabu, 14 Februari 2024. " * 8) + LINK
    caption, fits = x_caption(long_text, ("#Pemilu2024",), LINK)
    assert not fits and caption.endswith(f"… #Pemilu2024 {LINK}")
    assert len(caption) - len(LINK) + 23 <= X_LIMIT
    # Plain words (no link, no tags): no kit, the frame as before.
    with database.transaction() as session:
        plain = session.get(Broadcast, number)
        assert plain is not None
        plain.body, plain.tags = "Datang ke TPS", []
        assert share_kit(plain) is None


def test_done_records_a_link_once_per_office_and_refuses_bad_input(
    twilio: SignedClient, database: Database, groups: None
) -> None:
    number = sent(twilio, database)
    twilio.say(STRANGER, "halo")
    other = sent(twilio, database, "Datang ke TPS 14 Februari 2024")
    with database.transaction() as session:  # planned for everyone, sent to nobody
        session.execute(
            update(OutboundMessage)
            .where(OutboundMessage.broadcast_id == other)
            .values(state=DeliveryState.SKIPPED.value)
        )

    refusals = {
        f"SUDAH {number}": "Tautan unggahannya belum ada",
        f"SUDAH {number} instagram saya": '"instagram saya" bukan tautan',
        f"SUDAH {number} ftp://kalbar.go.id/a": "bukan tautan",
        f"SUDAH {number} javascript:alert(1)": "bukan tautan",
        f"SUDAH 999 {POST}": "Siaran #999 tidak ditemukan",
        f"SUDAH {other} {POST}": f"Siaran #{other} tidak dikirim ke grup Anda",
        f"SUDAH {POST}": "Ketik *SUDAH* + nomor siaran + tautan unggahan",
    }
    for message, words in refusals.items():
        reply = twilio.say(PONTIANAK[0], message)
        assert words in reply, (message, reply)
    assert "belum terdaftar di grup kantor mana pun" in twilio.say(
        STRANGER, f"SUDAH {number} {POST}"
    )
    assert "not sent to your group" in twilio.say(KALTIM, f"DONE {number} {POST}")
    assert links(database) == []  # nothing stored

    reply = twilio.say(PONTIANAK[0], f"SUDAH #{number} {POST}")
    assert reply.startswith(
        f"Terima kasih, Bapak/Ibu. Unggahan siaran *#{number}* di Instagram tercatat untuk"
        " Diskominfo Kota Pontianak (PONTIANAK)."
    ), reply
    # The same post again, written another way, by another officer of the office: once.
    again = twilio.say(PONTIANAK[1], f"/sudah {number} http://instagram.com/p/C3xYz12Ab")
    assert "sudah tercatat" in again and "kami menghitungnya sekali" in again
    assert "recorded for Diskominfo Kubu Raya" in twilio.say(
        KUBURAYA[0], f"DONE {number} https://x.com/kominfo_kkr/status/1755*_~`1"
    )
    assert "situs web kantor" in twilio.say(
        PONTIANAK[1], f"SUDAH {number} https://pontianak.go.id/berita/dpt."
    )
    stored = links(database)
    assert stored == [
        (str(number), POST, "instagram"),
        (str(number), "https://x.com/kominfo_kkr/status/1755*_~`1", "x"),
        (str(number), "https://pontianak.go.id/berita/dpt", "website"),
    ]


def test_coverage_for_the_offices_under_a_coordinator_by_platform(
    twilio: SignedClient, database: Database, groups: None
) -> None:
    number = sent(twilio, database)
    twilio.say(PONTIANAK[0], f"SUDAH {number} {POST}")
    twilio.say(PONTIANAK[1], f"SUDAH {number} https://web.facebook.com/diskominfo.ptk/posts/9")
    twilio.say(KUBURAYA[0], f"SUDAH {number} https://vt.tiktok.com/ZS8abc/")

    province = twilio.say(PROVINCE, f"REKAP {number}")
    assert f"Rekap unggahan siaran *#{number}* (KALBAR), per Minggu, 4 Februari 2024 pukul" in (
        province
    )
    assert "WIB:" in province
    assert "*2 dari 4 kantor* sudah mengunggah." in province
    assert "• Instagram: 1 kantor, 1 tautan" in province
    assert "• Facebook: 1 kantor, 1 tautan" in province
    assert "• TikTok: 1 kantor, 1 tautan" in province
    assert (
        "Belum mengonfirmasi (2):\n• KALBAR — Diskominfo Kalbar\n• SAMBAS — Diskominfo Sambas"
        in (province)
    )
    assert f"Ketik *INGATKAN {number}*" in province

    # The city's coordinator sees the city and Kubu Raya below it, not Sambas.
    city = twilio.say(CITY, f"COVERAGE #{number}")
    assert "*2 of 2 offices* have posted it (your groups)." in city, city
    assert "Every office it reached has posted it." in city and "SAMBAS" not in city
    assert f"Broadcast #{number} was not sent to any group you coordinate" in twilio.say(
        KALTIM, f"COVERAGE {number}"
    )
    member = twilio.say(SAMBAS[0], f"REKAP {number}")  # a member: not theirs to use
    assert "*REKAP*" in member and "MENU" in member and "kantor" not in member
    assert "Siaran #999 tidak ditemukan" in twilio.say(PROVINCE, "REKAP 999")


def test_remind_the_offices_that_have_not_posted_once_a_day(
    twilio: SignedClient, database: Database, groups: None, clock: FixedClock
) -> None:
    number = sent(twilio, database)
    twilio.say(PONTIANAK[0], f"SUDAH {number} {POST}")
    twilio.say(SAMBAS[0], "halo")  # inside the 24-hour window: told at once

    def reminders() -> dict[str, int]:
        with database.transaction() as session:
            rows = session.execute(
                select(Member.phone, func.count())
                .join(OutboundMessage, OutboundMessage.member_id == Member.id)
                .where(OutboundMessage.dedupe_key.like(f"amplify-remind:{number}:%"))
                .group_by(Member.phone)
            )
            return {str(phone): count for phone, count in rows}

    reply = twilio.say(PROVINCE, f"INGATKAN {number}")
    # KALBAR (the editor; not the coordinator asking), KUBURAYA (2), SAMBAS (1).
    assert f"Pengingat siaran *#{number}* dikirim ke 3 kantor yang belum mengunggah." in reply
    # The editor (who approved) and Sambas wrote today: told now; Kubu Raya's two wait.
    assert "• 2 anggota menerimanya sekarang." in reply
    assert "• 2 anggota menerimanya begitu mereka menulis ke kami" in reply
    assert reminders() == {EDITOR: 1, KUBURAYA[0]: 1, KUBURAYA[1]: 1, SAMBAS[0]: 1}
    with database.transaction() as session:
        body = session.scalar(
            select(OutboundMessage.body)
            .join(Member, Member.id == OutboundMessage.member_id)
            .where(Member.phone == SAMBAS[0], OutboundMessage.broadcast_id.is_(None))
        )
    assert body is not None and "belum tercatat diunggah oleh *Diskominfo Sambas*" in body
    assert f"ketik *SUDAH {number}* + tautan unggahan" in body

    # Kubu Raya posts; the same day nobody is reminded again.
    twilio.say(KUBURAYA[1], f"SUDAH {number} https://youtu.be/abc123")
    again = twilio.say(PROVINCE, f"INGATKAN {number}")
    assert "sudah diingatkan hari ini" in again and "besok" in again
    assert reminders() == {EDITOR: 1, KUBURAYA[0]: 1, KUBURAYA[1]: 1, SAMBAS[0]: 1}

    clock.advance(timedelta(days=1))
    next_day = twilio.say(PROVINCE, f"REMIND {number}")
    assert "went to 2 offices that have not posted it" in next_day, next_day
    assert reminders() == {EDITOR: 2, KUBURAYA[0]: 1, KUBURAYA[1]: 1, SAMBAS[0]: 2}

    for phone in (KUBURAYA[0], SAMBAS[0], EDITOR):
        twilio.say(phone, f"SUDAH {number} https://kalbarprov.go.id/{phone[-2:]}")
    assert "tidak ada yang perlu diingatkan" in twilio.say(PROVINCE, f"INGATKAN {number}")
    member = twilio.say(SAMBAS[0], f"INGATKAN {number}")  # a member: not theirs to use
    assert "*INGATKAN*" in member and "MENU" in member and "Pengingat" not in member
