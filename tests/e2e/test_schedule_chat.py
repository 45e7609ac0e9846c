"""JADWALKAN / SCHEDULE as coordinators use it in WhatsApp: signed webhooks in, TwiML out, the
time read on the group's own wall clock and stored in UTC; approval still required."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from broadcasts.clock import FixedClock
from broadcasts.db.database import Database
from broadcasts.db.models import Broadcast, BroadcastState, Member, OutboundMessage, Role
from broadcasts.delivery import planning
from broadcasts.editorial import workflow as editorial
from broadcasts.editorial_calendar import quiet_hours
from broadcasts.people import membership
from tests.signing import SignedClient

COORDINATOR = "+6281400000001"  # coordinates KALBAR (Pontianak, WIB)
EDITOR = "+6281400000002"  # edits KALBAR
BALIKPAPAN = "+6281400000003"  # coordinates BALIKPAPAN (WITA)
MEMBER = "+6281400000004"
TEXT = "Cek nama Anda di DPT: cekdptonline.kpu.go.id"


@pytest.fixture
def groups(database: Database) -> None:
    with database.transaction() as session:
        membership.create_group(session, "KALBAR", "Bakohumas Kalbar", timezone="Asia/Pontianak")
        membership.create_group(session, "BALIKPAPAN", "Kota Balikpapan", timezone="Asia/Makassar")
        membership.add_member(session, COORDINATOR, "KALBAR", role=Role.COORDINATOR)
        membership.add_member(session, EDITOR, "KALBAR", role=Role.EDITOR)
        membership.add_member(session, BALIKPAPAN, "BALIKPAPAN", role=Role.COORDINATOR)
        membership.add_member(session, MEMBER, "KALBAR")


def proposed(database: Database, code: str = "KALBAR") -> int:
    with database.transaction() as session:
        return editorial.propose(
            session,
            group=membership.group_by_code(session, code),
            author="admin:test",
            author_member=None,
            body=TEXT,
            now=datetime(2024, 2, 4, 1, tzinfo=UTC),
        ).id


def broadcast(database: Database, broadcast_id: int) -> Broadcast:
    with database.transaction() as session:
        found = session.get(Broadcast, broadcast_id)
        assert found is not None
        return found


@pytest.mark.usefixtures("groups")
def test_a_time_in_pontianak_is_wib_and_in_balikpapan_wita(
    twilio: SignedClient, database: Database
) -> None:
    kalbar, balikpapan = proposed(database), proposed(database, "BALIKPAPAN")
    reply = twilio.say(COORDINATOR, f"JADWALKAN {kalbar} 2024-02-10 09:00")
    assert f"Siaran *#{kalbar}*" in reply
    assert "*Sabtu, 10 Februari 2024 pukul 09.00 WIB*" in reply
    assert "menunggu persetujuan" in reply
    reply = twilio.say(BALIKPAPAN, f"/jadwalkan #{balikpapan} 2024-02-10 09.00")
    assert "*Sabtu, 10 Februari 2024 pukul 09.00 WITA*" in reply
    assert broadcast(database, kalbar).scheduled_at == datetime(2024, 2, 10, 2, tzinfo=UTC)
    assert broadcast(database, balikpapan).scheduled_at == datetime(2024, 2, 10, 1, tzinfo=UTC)


@pytest.mark.usefixtures("groups")
def test_approved_it_waits_for_its_time_then_goes_out(
    twilio: SignedClient, database: Database, clock: FixedClock
) -> None:
    kalbar = proposed(database)
    twilio.say(COORDINATOR, f"JADWALKAN {kalbar} 2024-02-05 09:00")
    twilio.say(EDITOR, f"SETUJUI {kalbar}")
    assert broadcast(database, kalbar).state == BroadcastState.APPROVED.value  # not yet
    reply = twilio.say(COORDINATOR, f"JADWALKAN {kalbar} 2024-02-05 10:00")
    assert "dipindahkan" in reply and "sudah disetujui" in reply
    # The editor who approved it for 09.00 is told, with both times on the group's clock.
    with database.transaction() as session:
        bodies = session.scalars(
            select(OutboundMessage.body)
            .join(Member, Member.id == OutboundMessage.member_id)
            .where(Member.phone == EDITOR, OutboundMessage.dedupe_key.contains(":moved:"))
        ).all()
    assert len(bodies) == 1 and f"Siaran *#{kalbar}* untuk KALBAR yang Anda setujui" in bodies[0]
    assert "pukul 10.00 WIB (sebelumnya Senin, 5 Februari 2024 pukul 09.00 WIB)" in bodies[0]
    with database.transaction() as session:
        assert planning.plan_due(session, datetime(2024, 2, 5, 2, 30, tzinfo=UTC)) == []
        assert planning.plan_due(session, datetime(2024, 2, 5, 3, 0, tzinfo=UTC)) == [kalbar]
    assert broadcast(database, kalbar).state == BroadcastState.SENDING.value
    assert "sudah (atau sedang) dikirim" in twilio.say(
        COORDINATOR, f"JADWALKAN {kalbar} 2024-02-06 09:00"
    )


@pytest.mark.usefixtures("groups")
def test_approved_after_its_time_it_goes_out_at_once(
    twilio: SignedClient, database: Database, clock: FixedClock
) -> None:
    kalbar = proposed(database)
    twilio.say(COORDINATOR, f"JADWALKAN {kalbar} 2024-02-04 10:00")
    clock.advance(timedelta(hours=2))  # 11:00 WIB: its time has passed, nobody approved yet
    twilio.say(EDITOR, f"SETUJUI {kalbar}")
    assert broadcast(database, kalbar).state == BroadcastState.SENDING.value


@pytest.mark.usefixtures("groups")
def test_english_replies_follow_the_english_command(
    twilio: SignedClient, database: Database
) -> None:
    kalbar = proposed(database)
    reply = twilio.say(COORDINATOR, f"SCHEDULE {kalbar} 2024-02-10 16:30")
    assert "scheduled for *Saturday, 10 February 2024 at 16:30 WIB*" in reply
    assert "needs an editor" in reply


@pytest.mark.usefixtures("groups")
@pytest.mark.parametrize(
    ("message", "words"),
    [
        ("JADWALKAN {id} 2024-02-30 09:00", 'Tanggal "2024-02-30" tidak ada di kalender'),
        ("JADWALKAN {id} 31/2 09.00", 'Tanggal "31/2" tidak ada di kalender'),
        ("JADWALKAN {id} 29/2/2025 09.00", "tidak ada di kalender"),
        ("JADWALKAN {id} 2024-02-10 25:00", '"25:00" bukan jam'),
        ("JADWALKAN {id} besok pagi", '"pagi" bukan jam'),
        ("JADWALKAN {id} 2024-02-04 08:59", "pukul 08.59 WIB sudah lewat"),
        ("JADWALKAN {id} hari ini 08.00", "sekarang Minggu, 4 Februari 2024 pukul 09.00 WIB"),
        ("JADWALKAN {id} besok", "Sebutkan jamnya juga, contoh: *JADWALKAN {id} besok 08.00*"),
        ("JADWALKAN {id} Senin", "Sebutkan jamnya"),
        ("JADWALKAN {id} kemarin 08.00", 'tidak dapat membaca waktu "kemarin 08.00"'),
        ("JADWALKAN {id} besok 08.00 09.00", "tidak dapat membaca"),
        ("JADWALKAN {id} Selasa 5/2/2024 08.00", "Senin, 5 Februari 2024 bukan hari Selasa"),
        ("JADWALKAN {id} besok 08.00 WITA", "menurut jam grup ini (WIB), bukan WITA"),
        ("JADWALKAN 99999 2024-02-10 09:00", "tidak ditemukan"),
        ("JADWALKAN 99999999999 2024-02-10 09:00", "Tulis *JADWALKAN*"),
        ("JADWALKAN {id}", "Tulis *JADWALKAN*"),
        ("JADWALKAN abc 2024-02-10 09:00", "Tulis *JADWALKAN*"),
        ("SCHEDULE {id} 2024-02-10 9am", '"9am" is not a time'),
        (
            "SCHEDULE {id} tomorrow",
            "Give the time too, for example: *SCHEDULE {id} tomorrow 08:00*",
        ),
    ],
)
def test_bad_input_gets_a_clear_reply_and_changes_nothing(
    twilio: SignedClient, database: Database, message: str, words: str
) -> None:
    kalbar = proposed(database)
    reply = twilio.say(COORDINATOR, message.format(id=kalbar))
    assert words.format(id=kalbar) in reply
    assert broadcast(database, kalbar).scheduled_at is None


@pytest.mark.usefixtures("groups")
def test_somebody_elses_group_and_members_are_refused(
    twilio: SignedClient, database: Database
) -> None:
    kalbar = proposed(database)
    assert "tidak Anda koordinasikan" in twilio.say(
        BALIKPAPAN, f"JADWALKAN {kalbar} 2024-02-10 09:00"
    )
    assert "tidak berwenang" in twilio.say(MEMBER, f"JADWALKAN {kalbar} 2024-02-10 09:00")
    assert broadcast(database, kalbar).scheduled_at is None


@pytest.mark.usefixtures("groups")
def test_a_cancelled_or_rejected_broadcast_cannot_be_scheduled(
    twilio: SignedClient, database: Database
) -> None:
    cancelled, rejected = proposed(database), proposed(database)
    twilio.say(COORDINATOR, f"BATAL {cancelled}")
    twilio.say(EDITOR, f"TOLAK {rejected} belum sesuai")
    assert "sudah dibatalkan" in twilio.say(COORDINATOR, f"JADWALKAN {cancelled} 2024-02-10 09:00")
    assert "sudah ditolak" in twilio.say(COORDINATOR, f"JADWALKAN {rejected} 2024-02-10 09:00")
    with database.transaction() as session:
        times = session.scalars(select(Broadcast.scheduled_at)).all()
    assert times == [None, None]


@pytest.mark.usefixtures("groups")
def test_the_menu_of_a_coordinator_shows_jadwalkan(twilio: SignedClient) -> None:
    assert "contoh: *JADWALKAN 12 besok 08.00*" in twilio.say(COORDINATOR, "MENU")
    assert "JADWALKAN" not in twilio.say(MEMBER, "MENU")


# The fixed clock stands at Sunday 4 February 2024, 09:00 WIB (10:00 WITA).
FORMS = [
    ("2024-02-10 08:00", datetime(2024, 2, 10, 8), "Sabtu, 10 Februari 2024 pukul 08.00"),
    ("10/2/2024 08.00", datetime(2024, 2, 10, 8), "Sabtu, 10 Februari 2024 pukul 08.00"),
    ("10-2-2024 8.00", datetime(2024, 2, 10, 8), "Sabtu, 10 Februari 2024 pukul 08.00"),
    ("10/2 08.00", datetime(2024, 2, 10, 8), "Sabtu, 10 Februari 2024 pukul 08.00"),
    # That day has passed this year: next year's.
    ("3/2 08.00", datetime(2025, 2, 3, 8), "Senin, 3 Februari 2025 pukul 08.00"),
    ("besok 08.00", datetime(2024, 2, 5, 8), "Senin, 5 Februari 2024 pukul 08.00"),
    ("lusa 9:00", datetime(2024, 2, 6, 9), "Selasa, 6 Februari 2024 pukul 09.00"),
    ("Senin 09.00", datetime(2024, 2, 5, 9), "Senin, 5 Februari 2024 pukul 09.00"),
    # Today is Sunday: later today, or next week's once today's time has passed.
    ("Minggu 15.00", datetime(2024, 2, 4, 15), "Minggu, 4 Februari 2024 pukul 15.00"),
    ("minggu 08.00", datetime(2024, 2, 11, 8), "Minggu, 11 Februari 2024 pukul 08.00"),
    ("Minggu depan 15.00", datetime(2024, 2, 11, 15), "Minggu, 11 Februari 2024 pukul 15.00"),
    ("hari ini pukul 16.30", datetime(2024, 2, 4, 16, 30), "Minggu, 4 Februari 2024 pukul 16.30"),
    ("10 Feb jam 8", datetime(2024, 2, 10, 8), "Sabtu, 10 Februari 2024 pukul 08.00"),
    # As the bot itself writes it.
    (
        "Sabtu, 10 Februari 2024 pukul 08.00",
        datetime(2024, 2, 10, 8),
        "Sabtu, 10 Februari 2024 pukul 08.00",
    ),
]


@pytest.mark.usefixtures("groups")
@pytest.mark.parametrize(("written", "local", "echoed"), FORMS, ids=[f[0] for f in FORMS])
def test_every_form_people_write_is_read_on_the_groups_own_clock(
    twilio: SignedClient, database: Database, written: str, local: datetime, echoed: str
) -> None:
    for phone, code, zone, name in (
        (COORDINATOR, "KALBAR", "Asia/Pontianak", "WIB"),
        (BALIKPAPAN, "BALIKPAPAN", "Asia/Makassar", "WITA"),
    ):
        number = proposed(database, code)
        reply = twilio.say(phone, f"JADWALKAN {number} {written}")
        assert f"dijadwalkan *{echoed} {name}*" in reply, reply
        expected = local.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
        assert broadcast(database, number).scheduled_at == expected


@pytest.mark.usefixtures("groups")
def test_the_same_words_mean_each_groups_own_time(twilio: SignedClient, database: Database) -> None:
    kalbar, balikpapan = proposed(database), proposed(database, "BALIKPAPAN")
    # 09:30 is still to come in Pontianak (09:00 WIB), already past in Balikpapan (10:00 WITA).
    assert "pukul 09.30 WIB*" in twilio.say(COORDINATOR, f"JADWALKAN {kalbar} hari ini 09.30")
    late = twilio.say(BALIKPAPAN, f"JADWALKAN {balikpapan} hari ini 09.30")
    assert "pukul 09.30 WITA sudah lewat" in late and "pukul 10.00 WITA" in late
    assert broadcast(database, balikpapan).scheduled_at is None
    english = twilio.say(BALIKPAPAN, f"SCHEDULE {balikpapan} tomorrow at 8:00")
    assert "scheduled for *Monday, 5 February 2024 at 08:00 WITA*" in english


@pytest.mark.usefixtures("groups")
def test_a_time_in_the_quiet_hours_is_set_with_a_warning(
    twilio: SignedClient, database: Database, clock: FixedClock
) -> None:
    with database.transaction() as session:
        quiet_hours.set_quiet_hours(
            session, "BALIKPAPAN", time(20, 0), time(5, 0), actor="admin:test", now=clock.now()
        )
    kalbar, balikpapan = proposed(database), proposed(database, "BALIKPAPAN")
    night = twilio.say(COORDINATOR, f"JADWALKAN {kalbar} besok 22.00")
    assert "*Senin, 5 Februari 2024 pukul 22.00 WIB*" in night
    assert "⚠️ Waktu itu masuk jam senyap grup ini (21.00–06.00 WIB)" in night
    assert f"*JADWALKAN {kalbar} besok 08.00*" in night
    assert broadcast(database, kalbar).scheduled_at == datetime(2024, 2, 5, 15, tzinfo=UTC)
    assert "⚠️" not in twilio.say(COORDINATOR, f"JADWALKAN {kalbar} besok 08.00")
    # Balikpapan keeps its own quiet hours, 20:00–05:00.
    evening = twilio.say(BALIKPAPAN, f"SCHEDULE {balikpapan} tomorrow 20:30")
    assert "⚠️ That time falls in this group's quiet hours (20:00–05:00 WITA)" in evening
    assert "⚠️" not in twilio.say(BALIKPAPAN, f"JADWALKAN {balikpapan} besok 05.30")


@pytest.mark.usefixtures("groups")
@pytest.mark.parametrize(
    ("written", "quiet"),
    [("20.59", False), ("21.00", True), ("21.01", True), ("05.59", True), ("06.00", False)],
)
def test_the_quiet_hours_warning_starts_at_2100_and_ends_at_0600(
    twilio: SignedClient, database: Database, written: str, quiet: bool
) -> None:
    """At the edges of the default quiet hours: 21:00 is in them, 06:00 is not."""
    kalbar = proposed(database)
    reply = twilio.say(COORDINATOR, f"JADWALKAN {kalbar} besok {written}")
    assert f"*Senin, 5 Februari 2024 pukul {written} WIB*" in reply
    warning = "⚠️ Waktu itu masuk jam senyap grup ini (21.00–06.00 WIB)"
    assert (warning in reply) is quiet, reply
    hour, minute = map(int, written.split("."))
    expected = datetime(2024, 2, 5, hour, minute, tzinfo=UTC) - timedelta(hours=7)
    assert broadcast(database, kalbar).scheduled_at == expected  # the warning moves nothing
