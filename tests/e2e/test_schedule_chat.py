"""JADWALKAN / SCHEDULE as coordinators use it in WhatsApp: signed webhooks in, TwiML out, the
time read on the group's own wall clock and stored in UTC; approval still required."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from broadcasts import editorial, membership, planning
from broadcasts.clock import FixedClock
from broadcasts.database import Database
from broadcasts.models import Broadcast, BroadcastState, Role
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
    assert f"Siaran *#{kalbar}*" in reply and "09:00 WIB" in reply
    assert "menunggu persetujuan" in reply
    reply = twilio.say(BALIKPAPAN, f"/jadwalkan #{balikpapan} 2024-02-10 09.00")
    assert "09:00 WITA" in reply
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
    assert "scheduled for" in reply and "16:30 WIB" in reply and "needs an editor" in reply


@pytest.mark.usefixtures("groups")
@pytest.mark.parametrize(
    ("message", "words"),
    [
        ("JADWALKAN {id} 2024-02-30 09:00", "bukan tanggal"),
        ("JADWALKAN {id} 10-02-2024 09:00", "bukan tanggal"),
        ("JADWALKAN {id} 2024-02-10 25:00", "bukan jam"),
        ("JADWALKAN {id} 2024-02-04 08:59", "sudah lewat"),
        ("JADWALKAN 99999 2024-02-10 09:00", "tidak ditemukan"),
        ("JADWALKAN 99999999999 2024-02-10 09:00", "Tulis JADWALKAN"),
        ("JADWALKAN {id}", "Tulis JADWALKAN"),
        ("JADWALKAN abc 2024-02-10 09:00", "Tulis JADWALKAN"),
        ("SCHEDULE {id} 2024-02-10 9am", "not a time"),
    ],
)
def test_bad_input_gets_a_clear_reply_and_changes_nothing(
    twilio: SignedClient, database: Database, message: str, words: str
) -> None:
    kalbar = proposed(database)
    reply = twilio.say(COORDINATOR, message.format(id=kalbar))
    assert words in reply
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
    assert "JADWALKAN <id> <YYYY-MM-DD> <HH:MM>" in twilio.say(COORDINATOR, "MENU")
    assert "JADWALKAN" not in twilio.say(MEMBER, "MENU")
