"""Joining, leaving, stopping and the reply language, as a member would do it in WhatsApp."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from broadcasts.clock import FixedClock
from broadcasts.db.database import Database
from broadcasts.db.models import Member, Role
from broadcasts.people import membership
from tests.signing import SignedClient

MEMBER = "+6281234567890"
EDITOR = "+6281111111111"


def make_group(database: Database, code: str = "KALBAR", parent: str | None = None) -> str:
    with database.transaction() as session:
        group = membership.create_group(
            session, code, f"Bakohumas {code}", parent_code=parent, timezone="Asia/Pontianak"
        )
        return group.join_code


def test_join_with_a_join_code_then_leave(twilio: SignedClient, database: Database) -> None:
    join_code = make_group(database)
    assert "Selamat bergabung" in twilio.say(MEMBER, f"daftar {join_code.lower()}")
    assert "sudah menjadi anggota" in twilio.say(MEMBER, f"/DAFTAR {join_code}!")
    assert "sudah keluar" in twilio.say(MEMBER, "KELUAR kalbar")
    # Now in no group: KELUAR is for members only, and says so.
    assert "tidak berwenang" in twilio.say(MEMBER, "KELUAR KALBAR")


def test_unknown_join_code_and_leaving_a_group_you_are_not_in(
    twilio: SignedClient, database: Database
) -> None:
    make_group(database, "KALBAR")
    other = make_group(database, "KALTIM")
    assert "tidak ditemukan" in twilio.say(MEMBER, "DAFTAR ZZZZZZ")
    assert "Tulis *DAFTAR*" in twilio.say(MEMBER, "DAFTAR")
    twilio.say(MEMBER, f"DAFTAR {other}")
    assert "bukan anggota" in twilio.say(MEMBER, "KELUAR KALBAR")
    assert "tidak ditemukan" in twilio.say(MEMBER, "KELUAR NOWHERE")


def test_stop_and_start_are_confirmed_and_stored(twilio: SignedClient, database: Database) -> None:
    assert "tidak akan menerima siaran" in twilio.say(MEMBER, "BERHENTI")
    with database.transaction() as session:
        assert session.scalars(select(Member)).one().opted_out
    assert "receive broadcasts again" in twilio.say(MEMBER, "start")
    with database.transaction() as session:
        assert not session.scalars(select(Member)).one().opted_out
    assert "will not receive" in twilio.say(MEMBER, "UNSUBSCRIBE")


def test_stopping_twice_or_starting_twice_says_so_and_keeps_the_first_time(
    twilio: SignedClient, database: Database, clock: FixedClock
) -> None:
    def stopped_at() -> object:
        with database.transaction() as session:
            return session.scalars(select(Member.opted_out_at)).one()

    assert twilio.say(MEMBER, "BERHENTI").startswith("Baik, Anda tidak akan menerima siaran")
    first = stopped_at()
    assert first == clock.now()
    clock.advance(timedelta(hours=1))
    again = twilio.say(MEMBER, "BERHENTI")
    assert again.startswith("Siaran untuk Anda sudah dihentikan sebelumnya.")
    assert stopped_at() == first  # still stopped since the first time
    assert twilio.say(MEMBER, "MULAI").startswith("Baik, Anda akan menerima siaran lagi.")
    assert stopped_at() is None
    assert twilio.say(MEMBER, "MULAI").startswith("Anda sudah menerima siaran.")
    assert stopped_at() is None


def test_replies_follow_the_language_used_and_bahasa_switches_it(twilio: SignedClient) -> None:
    assert "Commands you can use" in twilio.say(MEMBER, "HELP")
    assert "Perintah yang bisa Anda pakai" in twilio.say(MEMBER, "BANTUAN")
    assert "English" in twilio.say(MEMBER, "BAHASA EN")
    assert "Commands you can use" in twilio.say(MEMBER, "MENU")
    assert "bahasa Indonesia" in twilio.say(MEMBER, "language id")
    assert "Perintah" in twilio.say(MEMBER, "HELP")
    assert "BAHASA ID" in twilio.say(MEMBER, "BAHASA XX")


def test_menu_shows_only_what_the_sender_may_do(twilio: SignedClient, database: Database) -> None:
    make_group(database)
    with database.transaction() as session:
        membership.add_member(session, EDITOR, "KALBAR", role=Role.EDITOR)
    stranger_menu = twilio.say(MEMBER, "MENU")
    assert "KELUAR" not in stranger_menu and "DAFTAR" in stranger_menu
    assert "KELUAR" in twilio.say(EDITOR, "MENU")


def test_unknown_commands_get_the_closest_suggestion(twilio: SignedClient) -> None:
    reply = twilio.say(MEMBER, "BERHENTII")
    assert "BERHENTI" in reply and "MENU" in reply
    assert "MENU" in twilio.say(MEMBER, "halo apa kabar")
