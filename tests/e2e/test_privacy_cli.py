"""`humasbot member erase` (a request by letter), `member add --by` (consent by whom) and
`humasbot privacy report`, through click's runner on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from bot.cli import main
from broadcasts.clock import FixedClock
from broadcasts.db.database import Database
from broadcasts.db.models import AdminUser, AuditEvent, Consent, Member
from broadcasts.people import membership
from broadcasts.runtime import Runtime
from config.settings import Settings
from tests.number_scan import places_holding
from tests.signing import SignedClient

Invoke = Callable[..., Result]
BUDI = "+6281234567890"
SITI = "+6281300000001"


@pytest.fixture
def cli(settings: Settings, database: Database, clock: FixedClock) -> Invoke:
    with database.transaction() as session:
        membership.create_group(session, "JATIM", "Diskominfo Jawa Timur")
        session.add(AdminUser(username="admin", password_hash="-"))
    runner = CliRunner()

    def invoke(*args: str, stdin: str | None = None) -> Result:
        runtime = Runtime(settings, database, clock)
        return runner.invoke(main, list(args), obj=runtime, input=stdin, catch_exceptions=False)

    return invoke


def test_member_add_records_who_gave_the_consent(cli: Invoke, database: Database) -> None:
    added = cli("member", "add", "0812-3456-7890", "--group", "JATIM", "--by", "admin")
    assert added.exit_code == 0, added.output
    assert "0812-****-7890 is member of JATIM" in added.output  # the number masked
    assert cli("member", "add", SITI, "--group", "JATIM", "--role", "editor").exit_code == 0
    with database.transaction() as session:
        rows = session.execute(
            select(Member.phone, Consent.source, Consent.given_by).join(
                Consent, Consent.member_id == Member.id
            )
        ).all()
    assert sorted(rows) == [(BUDI, "cli", "admin:admin"), (SITI, "cli", "system:cli")]
    # A member may not add people through the command line, as they may not remove them.
    refused = cli("member", "add", "0812-5555-5555", "--group", "JATIM", "--by", SITI)
    assert refused.exit_code == 1 and "Nothing was changed" in refused.output


def test_member_erase_by_letter(cli: Invoke, database: Database, twilio: SignedClient) -> None:
    cli("member", "add", BUDI, "--group", "JATIM", "--role", "coordinator", "--name", "Budi")
    twilio.say(BUDI, "kapan pencoblosan?")
    twilio.say(BUDI, "LAPOR Ada kabar TPS dipindah, hubungi 0812 3456 7890")

    kept = cli("member", "erase", "0812-3456-7890", stdin="n\n")
    assert kept.exit_code == 1 and "Aborted" in kept.output
    assert places_holding(database, BUDI)  # nothing erased when the operator says no

    erased = cli("member", "erase", "62 812 3456 7890", "--by", "admin", stdin="y\n")
    assert erased.exit_code == 0, erased.output
    assert "erased 0812-****-7890" in erased.output and "left 1 group" in erased.output
    assert "deleted 2 incoming texts and 1 report link" in erased.output
    assert places_holding(database, BUDI) == []
    with database.transaction() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "member_erased")
        ).one()
    assert (event.actor, event.detail["via"]) == ("admin:admin", "cli")

    again = cli("member", "erase", BUDI, "--yes")
    assert again.exit_code == 1 and "no one with the number 0812-****-7890" in again.output
    assert "nothing was erased" in again.output


@pytest.mark.parametrize("number", ["12", "bukan nomor", "+62"])
def test_member_erase_refuses_what_is_not_a_number(
    cli: Invoke, database: Database, number: str
) -> None:
    cli("member", "add", BUDI, "--group", "JATIM")
    result = cli("member", "erase", number, "--yes")
    assert result.exit_code == 1, result.output
    assert "is not a phone number" in result.output and "nothing was erased" in result.output
    assert "Traceback" not in result.output
    assert places_holding(database, BUDI)


def test_privacy_report_counts_consents_erasures_and_retention(
    cli: Invoke, twilio: SignedClient, database: Database
) -> None:
    with database.transaction() as session:
        join_code = membership.group_by_code(session, "JATIM").join_code
    cli("member", "add", SITI, "--group", "JATIM", "--role", "editor", "--by", "admin")
    twilio.say(BUDI, f"DAFTAR {join_code}")
    twilio.say("+6281299990000", f"DAFTAR {join_code}")
    twilio.say(BUDI, "HAPUS DATA")
    twilio.say(BUDI, "YA HAPUS")
    cli("member", "erase", "+6281299990000", "--yes")

    report = cli("privacy", "report")
    assert report.exit_code == 0, report.output
    for line in (
        "joined by chat with an invitation code: 0 in force, 2 withdrawn",
        "added on the command line: 1 in force, 0 withdrawn",
        "added by: admin:admin 1",
        "memberships without a consent in force: 0",
        "Erasures: 2 (by chat 1, on the command line 1)",
        "incoming texts kept 90 days",
        "deleted so far: 0 incoming texts",
    ):
        assert line in report.output, report.output
