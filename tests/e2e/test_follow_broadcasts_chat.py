"""Coordinators following their broadcasts by chat: MENU names the groups they lead, SIARAN SAYA
lists their latest, STATUS says what a broadcast waits for or how its delivery went (with the
reasons, in words), and members receive it framed by the sending group and how to stop.

Signed webhooks in, TwiML out; deliveries through the fake Twilio over real HTTP."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from broadcasts.clock import FixedClock
from broadcasts.db.database import Database
from broadcasts.db.models import Role
from broadcasts.delivery.dispatch import Dispatcher
from broadcasts.delivery.framing import frame
from broadcasts.people.membership import add_member, create_group
from config.settings import Settings
from tests.fake_twilio import FakeTwilio
from tests.signing import SignedClient

COORDINATOR = "+6281500000001"  # coordinates PONTIANAK, edits KALTIM
EDITOR = "+6281500000002"  # edits KALBAR (so approves for PONTIANAK)
OTHER = "+6281500000003"  # coordinates PONTIANAK too
ENGLISH = "+6281500000011"  # a member who reads English
MEMBER = "+6281500000012"
SILENT = "+6281500000013"  # never wrote: outside the 24-hour window
STOPPING = "+6281500000014"  # stops broadcasts once one is on its way
INVALID = "+6281500000015"  # not on WhatsApp
TEXT = "Cek nama Anda di DPT: cekdptonline.kpu.go.id"
FOOTER_ID = "_Ketik BERHENTI untuk berhenti menerima siaran._"
FOOTER_EN = "_Send STOP to stop receiving broadcasts._"


@pytest.fixture
def groups(database: Database) -> None:
    with database.transaction() as session:
        create_group(session, "KALBAR", "Bakohumas Kalbar", timezone="Asia/Pontianak")
        create_group(session, "PONTIANAK", "Kota Pontianak", parent_code="KALBAR")
        create_group(session, "KALTIM", "Bakohumas Kaltim", timezone="Asia/Makassar")
        add_member(session, COORDINATOR, "PONTIANAK", role=Role.COORDINATOR, name="Cici")
        add_member(session, COORDINATOR, "KALTIM", role=Role.EDITOR)
        add_member(session, EDITOR, "KALBAR", role=Role.EDITOR, name="Edi")
        add_member(session, OTHER, "PONTIANAK", role=Role.COORDINATOR)
        for phone in (ENGLISH, MEMBER, SILENT, STOPPING, INVALID):
            add_member(session, phone, "PONTIANAK")


@pytest.fixture
def fake(settings: Settings) -> Iterator[FakeTwilio]:
    with FakeTwilio(auth_token=settings.twilio_auth_token or "") as running:
        yield running


@pytest.fixture
def dispatcher(
    settings: Settings, database: Database, clock: FixedClock, fake: FakeTwilio
) -> Iterator[Dispatcher]:
    configured = settings.replace(
        twilio_account_sid=fake.account_sid,
        twilio_whatsapp_from="whatsapp:+14155238886",
        twilio_api_base_url=fake.url,
    )
    running = Dispatcher(configured, database, clock, owner="follow-test")
    yield running
    running.close()


def number_in(reply: str) -> int:
    found = re.search(r"#(\d+)", reply)
    assert found, reply
    return int(found.group(1))


def propose(twilio: SignedClient, code: str = "PONTIANAK", text: str = TEXT) -> int:
    return number_in(twilio.say(COORDINATOR, f"SIARKAN {code} {text}"))


def approve(twilio: SignedClient, number: int, code: str = "PONTIANAK") -> str:
    """SETUJUI by the editor; fails unless the reply says it was approved."""
    reply = twilio.say(EDITOR, f"SETUJUI {number}")
    assert reply.startswith(f"Siaran *#{number}* ({code}) disetujui."), reply
    return reply


@pytest.mark.usefixtures("groups")
def test_menu_names_the_groups_a_coordinator_or_editor_leads(twilio: SignedClient) -> None:
    menu = twilio.say(COORDINATOR, "MENU")
    assert "Grup yang Anda kelola (beserta subgrupnya):" in menu
    assert "• Bakohumas Kaltim (*KALTIM*) — editor" in menu
    assert "• Kota Pontianak (*PONTIANAK*) — koordinator" in menu
    assert "*SIARAN SAYA* — siaran Anda yang terakhir" in menu
    english = twilio.say(COORDINATOR, "HELP")
    assert "Groups you manage (with their sub-groups):" in english
    assert "• Kota Pontianak (*PONTIANAK*) — coordinator" in english
    assert "*MY BROADCASTS* — your latest broadcasts" in english
    plain = twilio.say(MEMBER, "MENU")
    assert "Grup yang Anda kelola" not in plain and "SIARAN SAYA" not in plain


@pytest.mark.usefixtures("groups")
def test_status_of_a_broadcast_not_yet_sent_says_what_it_waits_for(
    twilio: SignedClient,
) -> None:
    number = propose(twilio)
    waiting = twilio.say(COORDINATOR, f"STATUS {number}")
    assert f"Siaran *#{number}* untuk *Kota Pontianak* (PONTIANAK): _menunggu persetujuan_" in (
        waiting
    )
    assert "dikirim begitu disetujui editor" in waiting
    assert "antrean" not in waiting and ": 0" not in waiting

    set_time = twilio.say(COORDINATOR, f"JADWALKAN {number} besok 08.00")
    assert "dijadwalkan *Senin, 5 Februari 2024 pukul 08.00 WIB*" in set_time
    scheduled = twilio.say(COORDINATOR, f"STATUS #{number}")
    assert "Dijadwalkan Senin, 5 Februari 2024 pukul 08.00 WIB" in scheduled
    assert "antrean" not in scheduled

    # At its time, not now.
    assert "Akan dikirim Senin, 5 Februari 2024 pukul 08.00 WIB." in approve(twilio, number)
    approved = twilio.say(COORDINATOR, f"STATUS {number}")
    assert "_disetujui, menunggu waktu kirim_" in approved
    assert "Akan dikirim Senin, 5 Februari 2024 pukul 08.00 WIB." in approved
    assert "antrean" not in approved and ": 0" not in approved

    # Kalimantan Timur reads WITA.
    kaltim = propose(twilio, "KALTIM")
    twilio.say(COORDINATOR, f"JADWALKAN {kaltim} Senin 09.00")
    assert "Dijadwalkan Senin, 5 Februari 2024 pukul 09.00 WITA" in twilio.say(
        COORDINATOR, f"STATUS {kaltim}"
    )

    cancelled = propose(twilio)
    cancel = twilio.say(COORDINATOR, f"BATAL {cancelled}")
    assert cancel.startswith(f"Siaran *#{cancelled}* (PONTIANAK) dibatalkan."), cancel
    reply = twilio.say(COORDINATOR, f"STATUS {cancelled}")
    assert "_dibatalkan_" in reply and "Tidak ada penerima yang dikirimi." in reply


@pytest.mark.usefixtures("groups")
def test_status_of_a_sent_broadcast_counts_each_state_with_the_reasons_in_words(
    twilio: SignedClient, dispatcher: Dispatcher, fake: FakeTwilio
) -> None:
    for phone in (ENGLISH, MEMBER, STOPPING, INVALID):
        twilio.say(phone, "halo")  # they write in: free-form may reach them for 24 hours
    twilio.say(ENGLISH, "BAHASA EN")
    fake.errors[f"whatsapp:{INVALID}"] = 63024
    number = propose(twilio)
    # No time set: planned at once, for everyone in Pontianak (seven, none stopped yet).
    assert "Sedang dikirim ke 7 penerima." in approve(twilio, number)
    twilio.say(STOPPING, "BERHENTI")
    dispatcher.drain()

    status = twilio.say(COORDINATOR, f"STATUS {number}")
    # Everyone in Pontianak: the two coordinators and five members.
    assert "_selesai dikirim_" in status
    assert "Dikirim Minggu, 4 Februari 2024 pukul 09.00 WIB ke 7 penerima:" in status
    assert "• terkirim: 3" in status
    # Only the states someone is in: no line of zeros.
    assert "antrean" not in status and "sampai" not in status and ": 0" not in status
    assert "• gagal: 1 — nomor tidak terdaftar di WhatsApp (1)" in status
    assert (
        "• tidak dikirim: 3 — tanpa templat WhatsApp yang disetujui (penerima tidak menulis"
        " dalam 24 jam) (2); penerima berhenti menerima siaran (1)"
    ) in status
    assert "opted out" not in status and "63024" not in status

    # Each reads it framed by the group that sends it, in their own language.
    [english] = fake.sent_to(f"whatsapp:{ENGLISH}")
    assert english.body == f"*Kota Pontianak*\n\n{TEXT}\n\n{FOOTER_EN}"
    [indonesian] = fake.sent_to(f"whatsapp:{MEMBER}")
    assert indonesian.body == f"*Kota Pontianak*\n\n{TEXT}\n\n{FOOTER_ID}"
    assert fake.sent_to(f"whatsapp:{SILENT}") == fake.sent_to(f"whatsapp:{STOPPING}") == []


@pytest.mark.usefixtures("groups")
def test_the_longest_broadcast_allowed_keeps_its_group_name_and_stop_line(
    twilio: SignedClient, dispatcher: Dispatcher, fake: FakeTwilio
) -> None:
    twilio.say(MEMBER, "halo")
    assert "1.500 karakter" in twilio.say(COORDINATOR, "SIARKAN PONTIANAK " + "b" * 1501)
    approve(twilio, propose(twilio, text="a" * 1500))
    dispatcher.drain()
    (body,) = [message.body for message in fake.sent_to(f"whatsapp:{MEMBER}")]
    assert body.startswith("*") and f"{'a' * 1500}\n\n{FOOTER_ID}" in body
    assert len(body) <= 1600


@pytest.mark.usefixtures("groups")
def test_my_broadcasts_lists_the_latest_newest_first_with_state_and_time(
    twilio: SignedClient,
) -> None:
    empty = twilio.say(COORDINATOR, "SIARAN SAYA")
    assert "Anda belum mengajukan siaran." in empty
    assert "contoh: *SIARKAN PONTIANAK Cek nama Anda di DPT*" in empty
    propose_by_other = number_in(twilio.say(OTHER, f"SIARKAN PONTIANAK {TEXT}"))
    numbers = [propose(twilio) for _ in range(9)]
    kaltim = propose(twilio, "KALTIM")
    scheduled, approved, rejected, cancelled = numbers[-4:]
    assert "dijadwalkan *Selasa, 6 Februari 2024 pukul 09.00 WIB*" in twilio.say(
        COORDINATOR, f"JADWALKAN {scheduled} lusa 9:00"
    )
    assert "dijadwalkan *Senin, 5 Februari 2024 pukul 10.00 WIB*" in twilio.say(
        COORDINATOR, f"JADWALKAN {approved} besok 10.00"
    )
    approve(twilio, approved)
    refusal = twilio.say(EDITOR, f"TOLAK {rejected} belum sesuai")
    assert refusal.startswith(f"Siaran *#{rejected}* ditolak. Alasan: belum sesuai"), refusal
    cancel = twilio.say(COORDINATOR, f"BATAL {cancelled}")
    assert cancel.startswith(f"Siaran *#{cancelled}* (PONTIANAK) dibatalkan."), cancel

    mine = twilio.say(COORDINATOR, "/siaran  saya.")
    listed = [int(n) for n in re.findall(r"• \*#(\d+)\*", mine)]
    assert listed == [kaltim, *reversed(numbers)]  # ten, newest first
    assert propose_by_other not in listed
    assert f"• *#{kaltim}* Bakohumas Kaltim (KALTIM): _menunggu persetujuan_" in mine
    assert (
        f"• *#{scheduled}* Kota Pontianak (PONTIANAK): _menunggu persetujuan_, dijadwalkan"
        " Selasa, 6 Februari 2024 pukul 09.00 WIB"
    ) in mine
    assert (
        f"• *#{approved}* Kota Pontianak (PONTIANAK): _disetujui_, dikirim"
        " Senin, 5 Februari 2024 pukul 10.00 WIB"
    ) in mine
    assert f"• *#{rejected}* Kota Pontianak (PONTIANAK): _ditolak_\n" in mine
    assert f"• *#{cancelled}* Kota Pontianak (PONTIANAK): _dibatalkan_\n" in mine
    assert f"Ketik *STATUS {kaltim}* untuk rincian pengiriman." in mine

    assert "Sedang dikirim ke" in approve(twilio, numbers[0])  # no time: goes out at once
    english = twilio.say(COORDINATOR, "MY BROADCASTS")
    assert english.startswith("Your latest broadcasts:")
    assert f"• *#{numbers[0]}* Kota Pontianak (PONTIANAK): _being sent_, since" in english
    assert "Sunday, 4 February 2024 at 09:00 WIB" in english

    assert "tidak berwenang" in twilio.say(MEMBER, "SIARAN SAYA")


def test_the_frame_gives_way_before_the_text_does() -> None:
    assert frame("Teks", "Kota *Pontianak*", "id") == f"*Kota Pontianak*\n\nTeks\n\n{FOOTER_ID}"
    assert frame("Text", "Kota Pontianak", "en") == f"*Kota Pontianak*\n\nText\n\n{FOOTER_EN}"
    fits = "x" * (1600 - len(f"*Kota Pontianak*\n\n\n\n{FOOTER_ID}"))
    assert frame(fits, "Kota Pontianak", "id") == f"*Kota Pontianak*\n\n{fits}\n\n{FOOTER_ID}"
    assert frame(fits + "x", "Kota Pontianak", "id") == f"{fits}x\n\n{FOOTER_ID}"
    assert frame("y" * 1560, "Kota Pontianak", "id") == "y" * 1560
