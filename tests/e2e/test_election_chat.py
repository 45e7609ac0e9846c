"""Asking about election dates, as a member would in WhatsApp (signed webhook requests).

The clock stands at 2024-02-04 02:00 UTC (Sunday morning in WIB): the campaign of Pemilu 2024,
ten days before voting day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from broadcasts.clock import FixedClock
from broadcasts.db.database import Database
from broadcasts.db.models import Role
from broadcasts.elections import faq
from broadcasts.elections.stored import all_elections, load_bundled
from broadcasts.people import membership
from tests.questions.scoring import dates_in
from tests.signing import SignedClient

MEMBER = "+6281234567890"
PAPUA = "+6281300000001"  # in a group on WIT (Asia/Jayapura)
JAKARTA = "+6281300000002"  # in a group on WIB (Asia/Jakarta)
WHATSAPP_LIMIT = 1500  # a reply stays well under WhatsApp's 4096 characters


@pytest.fixture(autouse=True)
def calendars(database: Database, clock: FixedClock) -> None:
    with database.transaction() as session:
        load_bundled(session, clock.now())
        faq.load_bundled(session, clock.now())


def say(twilio: SignedClient, text: str, sender: str = MEMBER) -> str:
    reply = twilio.say(sender, text)
    assert 0 < len(reply) < WHATSAPP_LIMIT, reply
    return reply


def test_jadwal_gives_the_key_dates_of_the_next_election_the_indonesian_way(
    twilio: SignedClient,
) -> None:
    reply = say(twilio, "JADWAL")
    assert "*Jadwal Pemilu 2024*" in reply
    assert "Pemungutan suara: Rabu, 14 Februari 2024 — _10 hari lagi_" in reply
    assert "Masa tenang: Minggu, 11 Februari 2024 – Selasa, 13 Februari 2024 — _7 hari lagi_" in (
        reply
    )
    assert "Masa kampanye: Selasa, 28 November 2023 – Sabtu, 10 Februari 2024" in reply
    assert "sedang berlangsung, berakhir 6 hari lagi" in reply
    assert "Hari ini, Minggu, 4 Februari 2024 (WIB):" in reply
    assert "Masa kampanye, Debat kelima" in reply  # the last debate is today
    assert "Sumber: PKPU 3/2022" in reply


def test_dates_answers_in_english(twilio: SignedClient) -> None:
    reply = say(twilio, "dates")
    assert "*2024 General Election: key dates*" in reply
    assert "Voting day: Wednesday, 14 February 2024 — _in 10 days_" in reply
    assert "Source: PKPU 3/2022" in reply


def test_jadwal_with_a_code_names_the_election_and_a_past_one_says_so(
    twilio: SignedClient, clock: FixedClock
) -> None:
    reply = say(twilio, "JADWAL pilkada2024")
    assert "*Jadwal Pilkada Serentak 2024*" in reply
    assert "Pemungutan suara: Rabu, 27 November 2024 — _297 hari lagi_" in reply
    assert "Sumber: PKPU 2/2024; Perpres 13/2025" in reply
    assert "Pilkada Serentak 2024" in say(twilio, "/jadwal Pilkada 2024!")
    clock.set(datetime(2024, 3, 1, 2, 0, tzinfo=UTC))
    past = say(twilio, "JADWAL pemilu2024")
    assert "Pemungutan suara: Rabu, 14 Februari 2024 — _selesai_" in past


def test_an_unknown_election_code_gets_the_known_codes(twilio: SignedClient) -> None:
    reply = say(twilio, "JADWAL pemilu2034")
    assert "*pemilu 2034*" in reply and "tidak ada di kalender" in reply
    assert "Kalender kami: Pemilu 2024, Pilkada Serentak 2024, Pemilu 2029, Pemilu Lokal" in reply
    english = say(twilio, "STAGE nowhere")
    assert "*nowhere* is not in our election calendar" in english
    assert "Our calendar: 2024 General Election, 2024 Regional Elections" in english


def test_tahapan_gives_the_stages_in_progress_and_the_next(twilio: SignedClient) -> None:
    reply = say(twilio, "TAHAPAN")
    assert "*Tahapan Pemilu 2024* — Minggu, 4 Februari 2024 (WIB)" in reply
    assert "Sedang berlangsung:" in reply
    assert "Masa kampanye: Selasa, 28 November 2023 – Sabtu, 10 Februari 2024" in reply
    assert (
        "Berikutnya:\n• Batas akhir pindah memilih karena keadaan tertentu: Rabu, 7 Februari"
        in (reply)
    )
    english = say(twilio, "STAGE pilkada2024")
    assert "*2024 Regional Elections: stages*" in english
    assert "No stage is in progress today." in english
    assert "Next:\n• Independent-candidate support: Sunday, 5 May 2024" in english


def test_tahapan_of_an_election_that_is_over_or_on_its_last_stage(
    twilio: SignedClient, clock: FixedClock
) -> None:
    clock.set(datetime(2025, 2, 20, 2, 0, tzinfo=UTC))
    last = say(twilio, "TAHAPAN pilkada2024")
    assert (
        "• Pelantikan serentak kepala daerah (daerah tanpa sengketa): Kamis, 20 Februari 2025"
        " — _hari ini_"
    ) in last
    assert "Berikutnya:\n• Putusan akhir MK" in last
    assert "Sumber: Perpres 13/2025" in last
    clock.set(datetime(2025, 9, 1, 2, 0, tzinfo=UTC))
    assert "Every stage of the 2024 Regional Elections is over." in say(twilio, "STAGE pilkada2024")
    assert "Semua tahapan Pemilu 2024 sudah selesai." in say(twilio, "TAHAPAN pemilu2024")


def test_questions_in_words_are_answered_in_the_language_asked(twilio: SignedClient) -> None:
    reply = say(twilio, "kapan pencoblosan?")
    assert "Pemungutan suara: Rabu, 14 Februari 2024 — _10 hari lagi_" in reply
    assert "Sumber: PKPU 3/2022" in reply
    quiet = say(twilio, "kapan masa tenang pilkada 2024?")
    assert "*Pilkada Serentak 2024*" in quiet
    assert "Masa tenang: Minggu, 24 November 2024 – Selasa, 26 November 2024" in quiet
    english = say(twilio, "when is voting day?")
    assert "Voting day: Wednesday, 14 February 2024 — _in 10 days_" in english
    assert "Source: PKPU 3/2022" in english
    assert "Rabu, 14 Februari 2024" in say(twilio, "tanggal nyoblos")


def test_an_election_not_yet_set_says_so_with_when_it_was_last_held(
    twilio: SignedClient, clock: FixedClock
) -> None:
    clock.set(datetime(2026, 12, 2, 2, 0, tzinfo=UTC))
    reply = say(twilio, "hari H pemilu 2029")
    assert "*Pemilu 2029*: tanggal pemungutan suara belum ditetapkan." in reply
    assert "Per Februari 2026" in reply
    assert (
        "Terakhir dilaksanakan pada Pemilu 2024:\n• Pemungutan suara: Rabu, 14 Februari 2024"
        in (reply)
    )
    assert "hari lagi" not in reply and "2029 —" not in reply  # no date, not even a month
    english = say(twilio, "DATES pemilu2029")
    assert "the dates have not been set yet" in english


def test_after_the_last_decided_election_jadwal_points_at_the_one_not_yet_set(
    twilio: SignedClient, clock: FixedClock
) -> None:
    clock.set(datetime(2025, 3, 1, 2, 0, tzinfo=UTC))
    reply = say(twilio, "JADWAL")
    assert "*Pemilu 2029*: jadwalnya belum ditetapkan." in reply
    assert "Putusan MK 135/PUU-XXII/2024" in reply
    assert "belum ditetapkan" in say(twilio, "kapan pencoblosan?")


def test_an_unknown_stage_or_election_gets_an_honest_reply_not_a_date(
    twilio: SignedClient,
) -> None:
    reply = say(twilio, "kapan debat pilkada 2024?")  # each region held its own
    assert "belum bisa menjawab" in reply and "*Pilkada Serentak 2024*" in reply
    assert "Masa kampanye, Masa tenang, Pemungutan suara" in reply
    assert "*TAHAPAN Pilkada Serentak 2024*" in reply
    assert "2024 —" not in reply
    unknown = say(twilio, "kapan pemilu 2034?")
    assert "*pemilu 2034* tidak ada di kalender" in unknown and "Pemilu 2029" in unknown
    assert "2034" not in unknown.replace("*pemilu 2034*", "")


def test_greetings_and_statements_are_not_unknown_commands(twilio: SignedClient) -> None:
    welcome = say(twilio, "halo apa kabar")
    assert "Halo, Bapak/Ibu" in welcome and "*MENU*" in welcome and "tidak dikenal" not in welcome
    assert "Sama-sama" in say(twilio, "makasih min")
    assert "*LAPOR*" in say(twilio, "kampanye hitam itu hoaks")


def test_today_follows_the_members_group_time_zone(
    twilio: SignedClient, database: Database, clock: FixedClock
) -> None:
    with database.transaction() as session:
        membership.create_group(session, "PAPUA", "Bakohumas Papua", timezone="Asia/Jayapura")
        membership.create_group(session, "DKI", "Bakohumas DKI", timezone="Asia/Jakarta")
        membership.add_member(session, PAPUA, "PAPUA", role=Role.MEMBER)
        membership.add_member(session, JAKARTA, "DKI", role=Role.MEMBER)
    # 16:30 UTC: 23:30 on 13 February in Jakarta, already 01:30 on the 14th in Jayapura.
    clock.set(datetime(2024, 2, 13, 16, 30, tzinfo=UTC))
    jakarta = say(twilio, "JADWAL", JAKARTA)
    papua = say(twilio, "JADWAL", PAPUA)
    assert "Pemungutan suara: Rabu, 14 Februari 2024 — _besok_" in jakarta
    assert "Hari ini, Selasa, 13 Februari 2024 (WIB):" in jakarta
    assert "Masa tenang.\n" in jakarta
    assert "Pemungutan suara: Rabu, 14 Februari 2024 — _hari ini_" in papua
    assert "Hari ini, Rabu, 14 Februari 2024 (WIT):" in papua
    assert "Pemungutan suara, Penghitungan suara" in papua
    assert "Tidak ada tahapan" not in say(twilio, "TAHAPAN", PAPUA)
    assert "Masa tenang: Minggu, 11 Februari 2024" in say(twilio, "TAHAPAN", JAKARTA)


def test_a_repeated_question_is_answered_for_the_day_zone_and_language_it_is_asked_in(
    twilio: SignedClient, database: Database, clock: FixedClock
) -> None:
    """The text of a date answer is kept for the next member who asks the same; it must never
    carry one day's countdown, one zone's "today" or one language's words into another."""
    with database.transaction() as session:
        membership.create_group(session, "PAPUA", "Bakohumas Papua", timezone="Asia/Jayapura")
        membership.add_member(session, PAPUA, "PAPUA", role=Role.MEMBER)
    first = say(twilio, "kapan pencoblosan?")
    assert say(twilio, "kapan pencoblosan?", JAKARTA) == first
    assert "_10 hari lagi_" in first
    assert "_10 hari lagi_" in say(twilio, "JADWAL") and "(WIB)" in say(twilio, "JADWAL")
    assert "(WIT)" in say(twilio, "JADWAL", PAPUA)
    assert "in 10 days" in say(twilio, "when is voting day?")
    clock.set(datetime(2024, 2, 5, 2, 0, tzinfo=UTC))
    assert "_9 hari lagi_" in say(twilio, "kapan pencoblosan?")
    assert "_9 hari lagi_" in say(twilio, "JADWAL", JAKARTA)


def test_a_member_who_chose_a_language_keeps_it_for_questions(twilio: SignedClient) -> None:
    say(twilio, "BAHASA EN")
    assert "Voting day: Wednesday, 14 February 2024" in say(twilio, "kapan pencoblosan?")


def test_the_menu_lists_jadwal_and_tahapan(twilio: SignedClient) -> None:
    menu = say(twilio, "MENU")
    assert "*JADWAL*" in menu and "*TAHAPAN*" in menu
    help_en = say(twilio, "HELP")
    assert "*DATES*" in help_en and "*STAGE*" in help_en


def test_without_calendars_loaded_the_bot_says_so(twilio: SignedClient, database: Database) -> None:
    from sqlalchemy import delete

    from broadcasts.db.models import Election as ElectionRow

    with database.transaction() as session:
        session.execute(delete(ElectionRow))
    assert "belum tersedia" in say(twilio, "JADWAL")
    assert "not available yet" in say(twilio, "STAGE")


@pytest.mark.parametrize(
    "text",
    [
        "kapan pencoblosan " * 400,  # 7,200 characters
        "1234567890",
        "🗳️🗳️🗳️🙏",
        "min when is masa tenang pemilu 2024 ya? thx",
        "kapan pemilu 2019?",
        "pilpres 2030 tanggal berapa",
        "kapan pilkada 2029?",
        "\u202ekapan pemilu\u202c",  # right-to-left override, as forwarded text carries
    ],
)
def test_bad_input_gets_a_clear_reply_and_never_an_invented_date(
    twilio: SignedClient, clock: FixedClock, database: Database, text: str
) -> None:
    clock.set(datetime(2026, 12, 2, 2, 0, tzinfo=UTC))
    reply = say(twilio, text)
    with database.transaction() as session:
        known = {
            day
            for election in all_elections(session)
            for stage in election.stages
            for day in (stage.start, stage.end)
            if day is not None
        }
    assert dates_in(reply) <= known | {date(2025, 6, 26)}  # the day of MK 135, in a note
    if "2024" in text:
        assert "11 Februari 2024" in reply or "11 February 2024" in reply


def test_a_sentence_that_starts_with_a_command_word_is_read_as_a_question(
    twilio: SignedClient, clock: FixedClock
) -> None:
    clock.set(datetime(2026, 12, 2, 2, 0, tzinfo=UTC))
    assert "tanggal penetapan DPT nasional belum ditetapkan" in say(twilio, "cek dpt sampai kapan?")
    assert "Debat pertama" in say(twilio, "jadwal debat capres 2024")
    assert "pindah memilih" in say(twilio, "batas pindah memilih pemilu 2024 kapan?").lower()
    debate = say(twilio, "berhenti kampanye pilkada 2024 kapan?")
    assert "Sabtu, 23 November 2024" in debate
    # …and the command still runs when its words fit it.
    assert (
        "tidak akan menerima siaran" in say(twilio, "BERHENTI")
        or "berhenti" in say(twilio, "BERHENTI").lower()
    )
    assert "*Jadwal Pilkada Serentak 2024*" in say(twilio, "jadwal pilkada 2024")


def test_a_mistyped_command_is_only_offered_what_the_sender_may_use(
    twilio: SignedClient,
) -> None:
    reply = say(twilio, "ANTRIA")  # a member: ANTRIAN is an editor's
    assert "ANTRIAN" not in reply and "MENU" in reply
    assert "*BANTUAN*" in say(twilio, "BANTUN")
    say(twilio, "BAHASA EN")
    assert "*HELP*" in say(twilio, "HLEP")  # in the member's language
