"""Looking a member up fetches their home time zone too; it follows membership changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from broadcasts.db.database import Database
from broadcasts.db.models import Member, Role
from broadcasts.people import membership

PHONE = "+6281234500001"


def test_the_home_time_zone_follows_joins_and_leaves_within_one_transaction(
    database: Database,
) -> None:
    with database.transaction() as session:
        membership.create_group(session, "SULSEL", "Sulawesi Selatan", timezone="Asia/Makassar")
        papua = membership.create_group(session, "PAPUA", "Papua", timezone="Asia/Jayapura")
        membership.get_or_create_member(session, PHONE)
    with database.transaction() as session:
        member = membership.find_member(session, phone=PHONE)
        assert member is not None
        assert membership.home_timezone(session, member) is None
        membership.join(session, member, papua.join_code)
        assert membership.home_timezone(session, member) == "Asia/Jayapura"
        membership.leave(session, member, "PAPUA")
        assert membership.home_timezone(session, member) is None
        membership.add_member(session, PHONE, "SULSEL", role=Role.COORDINATOR)
        assert membership.home_timezone(session, member) == "Asia/Makassar"
    with database.transaction() as session:
        found = membership.find_member(session, phone=PHONE, wa_id="6281234500001")
        assert found is not None and membership.home_timezone(session, found) == "Asia/Makassar"


def test_the_first_group_joined_is_home(database: Database) -> None:
    with database.transaction() as session:
        membership.create_group(session, "JATIM", "Jawa Timur", timezone="Asia/Jakarta")
        membership.create_group(session, "BALI", "Bali", timezone="Asia/Makassar")
        membership.add_member(session, PHONE, "BALI")
        membership.add_member(session, PHONE, "JATIM")
    with database.transaction() as session:
        member = membership.find_member(session, phone=PHONE)
        assert member is not None and membership.home_timezone(session, member) == "Asia/Makassar"


AT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def test_a_message_finds_the_member_records_its_time_and_reads_the_home_zone(
    database: Database,
) -> None:
    with database.transaction() as session:
        membership.create_group(session, "PAPUA", "Papua", timezone="Asia/Jayapura")
        membership.add_member(session, PHONE, "PAPUA")
    with database.transaction() as session:  # by phone; the WhatsApp id is learnt
        member = membership.member_writing(session, PHONE, AT, wa_id="6281234500001", name="Ani")
        assert membership.home_timezone(session, member) == "Asia/Jayapura"
        member.language = "en"  # a change made after the lookup is written with the rest
    with database.transaction() as session:  # by WhatsApp id
        later = AT + timedelta(hours=1)
        again = membership.member_writing(session, "+6299999999999", later, wa_id="6281234500001")
        assert (again.id, again.phone, again.language) == (member.id, PHONE, "en")
        assert again in session and not session.dirty
    with database.transaction() as session:
        stored = session.scalars(select(Member)).one()
        assert (stored.wa_id, stored.name, stored.language) == ("6281234500001", "Ani", "en")
        assert stored.last_inbound_at is not None
        assert stored.last_inbound_at.replace(tzinfo=UTC) == later


def test_a_first_message_makes_the_member_with_its_time(database: Database) -> None:
    with database.transaction() as session:
        member = membership.member_writing(session, PHONE, AT, wa_id="6281234500001")
        assert membership.home_timezone(session, member) is None
    with database.transaction() as session:
        stored = session.scalars(select(Member)).one()
        assert stored.last_inbound_at is not None
        assert (stored.phone, stored.last_inbound_at.replace(tzinfo=UTC)) == (PHONE, AT)
