"""`humasbot election load|list`: an admin replaces a calendar and the answers change, with no
code change; a broken file is refused with exit code 1 and the database unchanged."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from bot.cli import main
from broadcasts.clock import FixedClock
from broadcasts.db.database import Database
from broadcasts.db.models import Election as ElectionRow
from broadcasts.elections.stored import RECHECK_SECONDS, load_bundled
from broadcasts.runtime import Runtime
from config.settings import Settings
from tests.signing import SignedClient

MEMBER = "+6281234567890"

# What an official Pemilu 2029 calendar could look like once KPU decrees one. The dates are
# made up for the test: nothing in the project's data says so.
OFFICIAL_2029 = """\
code: pemilu2029
family: pemilu
year: 2029
status: set
name: {id: Pemilu 2029, en: 2029 General Election}
source: PKPU 99/2027
stages:
  - id: kampanye
    kind: campaign
    key: true
    name: {id: Masa kampanye, en: Campaign period}
    start: 2028-11-20
    end: 2029-02-10
    source: PKPU 99/2027
  - id: pemungutan-suara
    kind: voting
    key: true
    name: {id: Pemungutan suara, en: Voting day}
    start: 2029-02-14
    end: 2029-02-14
    source: PKPU 99/2027
"""


@pytest.fixture(autouse=True)
def calendars(database: Database, clock: FixedClock) -> None:
    with database.transaction() as session:
        load_bundled(session, clock.now())


@pytest.fixture
def cli() -> CliRunner:
    return CliRunner()


def run(
    runner: CliRunner, settings: Settings, database: Database, clock: FixedClock, *args: str
) -> Result:
    """The CLI as an operator runs it, on the test's database and clock."""
    context = Runtime(settings, database, clock)
    return runner.invoke(main, list(args), obj=context)


def stored(database: Database) -> dict[str, object]:
    with database.transaction() as session:
        rows = session.execute(
            select(ElectionRow.code, ElectionRow.document, ElectionRow.loaded_at)
        )
        return {code: (document, loaded_at) for code, document, loaded_at in rows}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("code: [broken", "not valid YAML at line"),
        (OFFICIAL_2029.replace("end: 2029-02-14", "end: 2029-02-13"), "is before start"),
        (OFFICIAL_2029.replace("    start: 2028-11-20", "    strat: 2028-11-20"), "unknown field"),
        (OFFICIAL_2029.replace("status: set", "status: maybe"), "status must be set or"),
        (b"\xff\xfe not text", "is not UTF-8 text"),
    ],
)
def test_a_broken_file_is_refused_with_exit_code_1_and_nothing_changes(
    tmp_path: Path,
    cli: CliRunner,
    settings: Settings,
    database: Database,
    clock: FixedClock,
    content: str | bytes,
    message: str,
) -> None:
    before = stored(database)
    path = tmp_path / "pemilu2029.yaml"
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    result = run(cli, settings, database, clock, "election", "load", str(path), "--replace")
    assert result.exit_code == 1
    assert message in result.output and "pemilu2029.yaml" in result.output
    assert "Nothing was loaded" in result.output and "Traceback" not in result.output
    assert stored(database) == before


def test_a_missing_file_or_a_directory_is_refused(
    tmp_path: Path, cli: CliRunner, settings: Settings, database: Database, clock: FixedClock
) -> None:
    missing = run(cli, settings, database, clock, "election", "load", str(tmp_path / "nope.yaml"))
    assert missing.exit_code == 1 and "no such file" in missing.output
    directory = run(cli, settings, database, clock, "election", "load", str(tmp_path))
    assert directory.exit_code == 1 and "is a directory" in directory.output


def test_loading_over_a_loaded_calendar_needs_replace(
    tmp_path: Path, cli: CliRunner, settings: Settings, database: Database, clock: FixedClock
) -> None:
    before = stored(database)
    path = tmp_path / "official.yaml"
    path.write_text(OFFICIAL_2029, encoding="utf-8")
    result = run(cli, settings, database, clock, "election", "load", str(path))
    assert result.exit_code == 1
    assert "pemilu2029 is already loaded; add --replace" in result.output
    assert stored(database) == before


def test_an_official_calendar_loaded_by_the_cli_changes_the_answers(
    tmp_path: Path,
    cli: CliRunner,
    settings: Settings,
    database: Database,
    clock: FixedClock,
    twilio: SignedClient,
) -> None:
    clock.set(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
    assert "belum ditetapkan" in twilio.say(MEMBER, "hari H pemilu 2029")
    assert "belum ditetapkan" in twilio.say(MEMBER, "JADWAL")
    path = tmp_path / "official.yaml"
    path.write_text(OFFICIAL_2029, encoding="utf-8")
    result = run(cli, settings, database, clock, "election", "load", str(path), "--replace")
    assert result.exit_code == 0, result.output
    assert "replaced pemilu2029: 2029 General Election, 2 stages, voting day 2029-02-14" in (
        result.output
    )
    answer = twilio.say(MEMBER, "hari H pemilu 2029")
    assert "Pemungutan suara: Rabu, 14 Februari 2029 — _1080 hari lagi_" in answer
    assert "Sumber: PKPU 99/2027" in answer and "belum ditetapkan" not in answer
    dates = twilio.say(MEMBER, "JADWAL")
    assert "*Jadwal Pemilu 2029*" in dates and "Masa kampanye: Senin, 20 November 2028" in dates


def test_list_shows_what_is_loaded(
    cli: CliRunner, settings: Settings, database: Database, clock: FixedClock
) -> None:
    result = run(cli, settings, database, clock, "election", "list")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    codes = ["pemilu2024", "pemilu2029", "pemilulokal", "pilkada2024"]
    assert [line.split()[0] for line in lines] == codes
    assert "2024 General Election, 28 stages, voting day 2024-02-14" in lines[0]
    assert "2029 General Election, 2 stages, dates not yet set" in lines[1]
    assert "loaded Sun 2024-02-04 09:00 WIB" in lines[3]  # the deployment's zone, BOT_TIMEZONE


def test_a_load_by_another_process_reaches_the_running_bot(
    tmp_path: Path, settings: Settings, clock: FixedClock, twilio: SignedClient
) -> None:
    """The web process caches parsed calendars; a load from a separate CLI process must still
    change its answers, within the time it trusts its cache."""
    clock.set(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
    assert "belum ditetapkan" in twilio.say(MEMBER, "hari H pemilu 2029")  # now cached
    path = tmp_path / "official.yaml"
    path.write_text(OFFICIAL_2029, encoding="utf-8")
    humasbot = Path(sys.executable).with_name("humasbot")
    environment = {**os.environ, "DATABASE_URL": settings.database_url}
    completed = subprocess.run(
        [str(humasbot), "election", "load", str(path), "--replace"],
        cwd=tmp_path,  # no .env from the project directory
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "replaced pemilu2029" in completed.stdout
    deadline = time.monotonic() + RECHECK_SECONDS + 5
    while "Rabu, 14 Februari 2029" not in (answer := twilio.say(MEMBER, "hari H pemilu 2029")):
        assert "belum ditetapkan" in answer
        assert time.monotonic() < deadline, "the new calendar never reached the answers"
        time.sleep(0.2)
