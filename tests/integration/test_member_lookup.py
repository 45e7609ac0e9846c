"""Looking a member up fetches their home time zone too; it follows membership changes."""

from __future__ import annotations

from broadcasts import membership
from broadcasts.database import Database
from broadcasts.models import Role

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
