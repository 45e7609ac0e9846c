"""`humasbot calendar|campaign|blackout …`, `humasbot broadcast schedule` and `humasbot group
quiet-hours`: the admin's editorial calendar on the command line, through click's runner, on
SQLite and PostgreSQL. Bad input ends with exit 1, a clear message, and nothing changed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select

from bot.cli import main
from broadcasts.clock import FixedClock
from broadcasts.db.database import Database
from broadcasts.db.models import (
    AdminUser,
    Blackout,
    Broadcast,
    CalendarEntry,
    CalendarTarget,
    Campaign,
    Group,
    GroupQuietHours,
    Role,
)
from broadcasts.editorial import workflow as editorial
from broadcasts.people import membership
from broadcasts.runtime import Runtime
from config.settings import PROJECT_ROOT, Settings

Invoke = Callable[..., Result]
EXAMPLE = PROJECT_ROOT / "config" / "campaigns" / "literasi-pemilu-2029.yaml"


@pytest.fixture
def cli(settings: Settings, database: Database, clock: FixedClock) -> Invoke:
    with database.transaction() as session:
        membership.create_group(session, "KALBAR", "Bakohumas Kalbar", timezone="Asia/Pontianak")
        membership.create_group(session, "KALTIM", "Bakohumas Kaltim", timezone="Asia/Makassar")
        membership.add_member(session, "+6281500000001", "KALBAR", role=Role.COORDINATOR)
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        context = Runtime(
            settings, database, clock
        )  # the command line's own, given this test's settings and clock
        return runner.invoke(main, list(args), obj=context, catch_exceptions=False)

    return invoke


def count(database: Database, model: type) -> int:
    with database.transaction() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def refused(result: Result, *words: str) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    for word in words:
        assert word in result.output


def test_one_off_recurring_and_anchored_entries_are_listed_with_their_reasons(
    cli: Invoke,
) -> None:
    added = cli(
        "calendar",
        "add",
        "--group",
        "KALBAR",
        "--group",
        "KALTIM",
        "--on",
        "2024-02-06",
        "--time",
        "09:00",
        "--title",
        "Cek DPT",
        "--body",
        "Cek nama Anda di DPT",
    )
    assert added.exit_code == 0, added.output
    assert "KALBAR: next send Tue 2024-02-06 09:00 WIB" in added.output
    assert "KALTIM: next send Tue 2024-02-06 09:00 WITA" in added.output
    weekly = cli(
        "calendar",
        "add",
        "--group",
        "KALBAR",
        "--weekly",
        "senin,kamis",
        "--time",
        "22:00",
        "--until",
        "2024-02-29",
        "--title",
        "Malam",
        "--body",
        "Teks",
    )
    assert weekly.exit_code == 0, weekly.output
    anchored = cli(
        "calendar",
        "add",
        "--group",
        "KALBAR",
        "--anchor",
        "H-7 pemungutan suara pemilu2029",
        "--time",
        "09:00",
        "--body",
        "Seminggu lagi",
    )
    assert "waiting: Voting day (pemilu2029) has no official date yet" in anchored.output

    listed = cli("calendar", "list", "--days", "7")
    assert listed.exit_code == 0, listed.output
    assert "Tue 2024-02-06 09:00 WIB" in listed.output and "Cek DPT" in listed.output
    assert "quiet hours 21:00–06:00: moved from 2024-02-05 22:00" in listed.output
    assert "waiting" in listed.output
    only_kaltim = cli("calendar", "list", "--group", "kaltim")
    assert "WITA" in only_kaltim.output and "Malam" not in only_kaltim.output


def test_a_blackout_and_quiet_hours_show_in_the_schedule(cli: Invoke, database: Database) -> None:
    cli(
        "calendar",
        "add",
        "--group",
        "KALBAR",
        "--on",
        "2024-02-12",
        "--time",
        "09:00",
        "--title",
        "Ajakan",
        "--body",
        "Ayo",
        "--tags",
        "kampanye",
    )
    added = cli(
        "blackout",
        "add",
        "Masa tenang",
        "--tags",
        "kampanye",
        "--stage",
        "masa tenang",
        "--election",
        "pemilu2024",
    )
    assert added.exit_code == 0, added.output
    assert "during masa-tenang of pemilu2024" in added.output
    listed = cli("calendar", "list", "--days", "20")
    assert 'held by hold period "Masa tenang"' in listed.output
    assert "Wed 2024-02-14 06:00 WIB" in listed.output  # after the window, after quiet hours

    assert "22:00–05:00" in cli("group", "quiet-hours", "KALBAR", "22:00", "05:00").output
    assert "22:00–05:00" in cli("group", "quiet-hours", "KALBAR").output
    assert "no quiet hours" in cli("group", "quiet-hours", "KALBAR", "--off").output
    assert "21:00–06:00" in cli("group", "quiet-hours", "KALBAR", "--default").output
    assert count(database, GroupQuietHours) == 0
    assert "#1 Masa tenang: holds [kampanye]" in cli("blackout", "list").output
    assert cli("blackout", "remove", "1").exit_code == 0
    assert count(database, Blackout) == 0
    unheld = cli("calendar", "list", "--days", "20").output
    assert "held by hold period" not in unheld and "Mon 2024-02-12 09:00 WIB" in unheld


def campaign_state(database: Database, name: str) -> str:
    with database.transaction() as session:
        return session.scalars(select(Campaign.state).where(Campaign.name == name)).one()


def test_the_example_campaign_loads_waits_pauses_resumes_and_cancels(
    cli: Invoke, database: Database
) -> None:
    loaded = cli("campaign", "load", str(EXAMPLE))
    assert loaded.exit_code == 0, loaded.output
    assert "6 entries added" in loaded.output and "6 entries wait" in loaded.output
    upcoming = cli("campaign", "next", "literasi-pemilu-2029")
    assert "H-30: cek DPT" in upcoming.output and "belum ditetapkan KPU" in upcoming.output
    assert cli("campaign", "pause", "literasi-pemilu-2029").exit_code == 0
    assert campaign_state(database, "literasi-pemilu-2029") == "paused"
    refused(cli("campaign", "pause", "literasi-pemilu-2029"), "already paused")
    assert "paused" in cli("campaign", "next", "literasi-pemilu-2029").output
    assert cli("campaign", "resume", "literasi-pemilu-2029").exit_code == 0
    assert campaign_state(database, "literasi-pemilu-2029") == "active"
    refused(cli("campaign", "resume", "literasi-pemilu-2029"), "is not paused")
    cancelled = cli("campaign", "cancel", "literasi-pemilu-2029")
    assert "cancelled; 0 open broadcasts" in cancelled.output
    assert campaign_state(database, "literasi-pemilu-2029") == "cancelled"
    refused(cli("campaign", "load", str(EXAMPLE)), "was cancelled", "Nothing was changed")


def test_a_campaign_built_on_the_command_line(cli: Invoke) -> None:
    assert cli("campaign", "create", "pekan-dpt", "--title", "Pekan DPT").exit_code == 0
    added = cli(
        "calendar",
        "add",
        "--group",
        "KALBAR",
        "--daily",
        "--time",
        "08:00",
        "--until",
        "2024-02-10",
        "--body",
        "Cek DPT",
        "--campaign",
        "pekan-dpt",
    )
    assert added.exit_code == 0, added.output
    upcoming = cli("campaign", "next", "pekan-dpt", "--count", "3")
    assert upcoming.output.count("08:00 WIB") == 3
    refused(cli("campaign", "create", "pekan-dpt", "--title", "Lagi"), "already a series")


def test_broadcast_schedule_on_the_command_line(cli: Invoke, database: Database) -> None:
    with database.transaction() as session:
        created = editorial.propose(
            session,
            group=membership.group_by_code(session, "KALTIM"),
            author="admin:a",
            author_member=None,
            body="Teks",
            now=datetime(2024, 2, 4, tzinfo=UTC),
        )
    done = cli("broadcast", "schedule", str(created.id), "2024-02-10", "09:00")
    assert done.exit_code == 0, done.output
    assert "Sat 2024-02-10 09:00 WITA" in done.output and "waits for an editor" in done.output
    refused(cli("broadcast", "schedule", str(created.id), "2024-02-03", "09:00"), "already passed")
    refused(cli("broadcast", "schedule", "424242", "2024-02-10", "09:00"), "does not exist")
    refused(cli("broadcast", "schedule", str(created.id), "2024-2-31", "09:00"), "not a date")
    with database.transaction() as session:
        stored = session.get_one(Broadcast, created.id).scheduled_at
    assert stored == datetime(2024, 2, 10, 1, tzinfo=UTC)
    listed = cli("calendar", "list", "--days", "10").output
    assert f"broadcast #{created.id}" in listed and "pending approval" in listed


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--rrule", "FREQ=SOMETIMES", "--time", "09:00"), "cannot be used"),
        (("--rrule", "FREQ=DAILY;BYHOUR=9", "--time", "09:00"), "time of day is set separately"),
        (("--on", "2024-02-30", "--time", "09:00"), "is not a date"),
        (("--on", "2024-02-05", "--time", "9pm"), "is not a time"),
        (("--on", "2024-02-04", "--time", "08:00"), "already passed in group KALBAR"),
        (("--anchor", "H-7 hari libur", "--election", "pemilu2024", "--time", "09:00"), "no stage"),
        (
            ("--anchor", "H-7 pemungutan suara", "--election", "pemilu2099", "--time", "09:00"),
            "no election",
        ),
        (("--weekly", "someday", "--time", "09:00"), "not a day of the week"),
        (("--rrule", "FREQ=DAILY", "--every", "2", "--time", "09:00"), "not both"),
        (("--daily", "--time", "09:00", "--until", "2024-01-01"), "comes before the start"),
        (("--on", "2024-02-05"), "--time HH:MM is required"),
        (("--on", "2024-02-05", "--daily", "--time", "09:00"), "one of --on, --daily"),
    ],
)
def test_bad_entries_are_refused_and_nothing_is_saved(
    cli: Invoke, database: Database, args: tuple[str, ...], words: str
) -> None:
    refused(cli("calendar", "add", "--group", "KALBAR", "--body", "x", *args), words)
    assert count(database, CalendarEntry) == 0


def test_unknown_groups_campaigns_and_ids_are_refused(cli: Invoke, database: Database) -> None:
    refused(
        cli(
            "calendar",
            "add",
            "--group",
            "NOWHERE",
            "--on",
            "2024-02-05",
            "--time",
            "09:00",
            "--body",
            "x",
        ),
        "no group NOWHERE",
    )
    refused(cli("calendar", "list", "--group", "NOWHERE"), "no group NOWHERE")
    refused(cli("campaign", "pause", "nope"), 'no series "nope"')
    refused(cli("calendar", "cancel", "77"), "does not exist")
    refused(cli("blackout", "remove", "99999999999"), "there is no blackout")
    refused(cli("blackout", "add", "x", "--tags", "a"), "first and last day")
    refused(cli("group", "quiet-hours", "KALBAR", "22:00"), "both the start and the end")
    refused(cli("calendar", "link", "NOWHERE"), "no group NOWHERE")
    assert count(database, Blackout) == 0


def test_a_malformed_campaign_file_is_refused_whole(
    cli: Invoke, database: Database, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(EXAMPLE.read_text(encoding="utf-8").replace("H-3 pemungutan", "H-3 pemungutann"))
    refused(cli("campaign", "load", str(bad)), "entry 5", "has no stage", "Nothing was changed")
    bad.write_text("name: x\n  title: : :\n")
    refused(cli("campaign", "load", str(bad)), "not valid YAML at line 2")
    assert count(database, Campaign) == 0 and count(database, CalendarEntry) == 0


def test_the_calendar_link_carries_a_token_for_that_group(cli: Invoke) -> None:
    link = cli("calendar", "link", "kalbar")
    assert link.exit_code == 0
    assert link.output.strip().startswith(
        "https://humasbot.example.go.id/calendar/KALBAR.ics?token="
    )


def test_a_tick_on_the_command_line_proposes_what_is_due_and_reports_what_was_missed(
    cli: Invoke, clock: FixedClock, database: Database
) -> None:
    for day in ("2024-02-04", "2024-02-05"):
        cli("calendar", "add", "--group", "KALBAR", "--on", day, "--time", "10:00", "--body", day)
    clock.set(datetime(2024, 2, 4, 3, 1, tzinfo=UTC))  # 10:01 WIB
    assert "broadcasts proposed: #1" in cli("calendar", "tick").output
    clock.set(datetime(2024, 2, 5, 9, 30, tzinfo=UTC))  # 16:30 WIB: six and a half hours late
    ticked = cli("calendar", "tick").output
    assert "broadcasts proposed: none" in ticked and "missed (more than 6 h late): 1" in ticked
    assert count(database, Broadcast) == 1


OFFICIAL_2029 = """
code: pemilu2029
family: pemilu
year: 2029
status: set
name: {{id: Pemilu 2029, en: 2029 General Election}}
source: PKPU (example)
stages:
  - id: masa-tenang
    kind: quiet
    name: {{id: Masa tenang, en: Quiet period}}
    start: {quiet_start}
    end: {quiet_end}
    source: PKPU (example)
  - id: pemungutan-suara
    kind: voting
    name: {{id: Pemungutan suara, en: Voting day}}
    start: {voting}
    end: {voting}
    source: PKPU (example)
"""


def test_anchored_sends_follow_new_official_dates_with_no_edit(cli: Invoke, tmp_path: Path) -> None:
    cli(
        "calendar",
        "add",
        "--group",
        "KALTIM",
        "--anchor",
        "H-7 pemungutan suara pemilu2029",
        "--time",
        "09:00",
        "--title",
        "Seminggu lagi",
        "--body",
        "Seminggu lagi pencoblosan",
    )
    cli(
        "calendar",
        "add",
        "--group",
        "KALTIM",
        "--anchor",
        "first day of masa tenang pemilu2029",
        "--time",
        "07:00",
        "--title",
        "Masa tenang",
        "--body",
        "Masa tenang dimulai",
    )
    assert cli("calendar", "list").output.count("waiting") >= 2
    calendar = tmp_path / "pemilu2029.yaml"
    for voting, quiet in (
        ("2024-02-28", ("2024-02-25", "2024-02-27")),
        ("2024-03-06", ("2024-03-03", "2024-03-05")),
    ):
        calendar.write_text(
            OFFICIAL_2029.format(voting=voting, quiet_start=quiet[0], quiet_end=quiet[1])
        )
        assert cli("election", "load", str(calendar), "--replace").exit_code == 0
    listed = cli("calendar", "list", "--days", "60").output
    assert "Wed 2024-02-28 09:00 WITA" in listed and "Sun 2024-03-03 07:00 WITA" in listed
    assert "Wed 2024-02-21" not in listed and "waiting" not in listed


def test_moving_a_group_to_another_zone_moves_its_calendar_sends(
    cli: Invoke, database: Database
) -> None:
    """Entries are local times: 09:00 stays 09:00 on the group's new clock."""
    added = cli("calendar", "add", "--group", "KALTIM", "--daily", "--time", "09:00",
                "--title", "Literasi harian", "--body", "Cek DPT")  # fmt: skip
    assert added.exit_code == 0, added.output

    def next_due() -> datetime:
        with database.transaction() as session:
            due = session.scalars(select(CalendarTarget.next_due_at)).one()
        assert due is not None
        return due.replace(tzinfo=UTC)

    assert next_due() == datetime(2024, 2, 5, 1, 0, tzinfo=UTC)  # 09:00 WITA
    assert "KALTIM: time zone WITA (Asia/Makassar)" in cli("group", "timezone", "KALTIM").output
    moved = cli("group", "timezone", "KALTIM", "Asia/Jayapura")
    assert moved.exit_code == 0, moved.output
    assert "1 calendar send(s) recomputed" in moved.output
    assert "KALTIM: time zone WIT (Asia/Jayapura)" in moved.output
    assert next_due() == datetime(2024, 2, 5, 0, 0, tzinfo=UTC)  # 09:00 WIT
    assert "09:00 WIT" in cli("calendar", "list", "--group", "KALTIM").output

    refused(cli("group", "timezone", "KALTIM", "Mars/Olympus"), "Unknown time zone")
    refused(cli("group", "timezone", "NOWHERE", "Asia/Jakarta"), "NOWHERE")
    assert next_due() == datetime(2024, 2, 5, 0, 0, tzinfo=UTC)  # unchanged by the refusals
    with database.transaction() as session:
        assert session.scalars(select(Group.timezone).where(Group.code == "KALTIM")).one() == (
            "Asia/Jayapura"
        )


def test_an_entry_or_a_campaign_is_approved_ahead_by_an_editor_who_did_not_write_it(
    cli: Invoke, database: Database
) -> None:
    with database.transaction() as session:
        membership.add_member(session, "+6281500000009", "KALBAR", role=Role.EDITOR)
        session.add_all(AdminUser(username=name, password_hash="-") for name in ("rina", "budi"))
    added = cli(
        "calendar", "add", "--group", "KALBAR", "--on", "2024-02-06", "--time", "09:00",
        "--title", "Cek DPT", "--body", "Cek nama Anda di DPT", "--by", "rina",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    listed = cli("calendar", "list", "--group", "KALBAR")
    assert "needs approval" in listed.output
    refused(cli("calendar", "approve", "1", "--by", "rina"), "another editor must approve it")
    refused(cli("calendar", "approve", "1", "--by", "0815-0000-0001"), "not an editor")
    refused(cli("calendar", "approve", "1", "--by", "nobody"), "Nothing was changed")
    missing = cli("calendar", "approve", "1")
    assert missing.exit_code == 2 and "Missing option '--by'" in missing.output
    approved = cli("calendar", "approve", "1", "--by", "0815-0000-0009")
    assert approved.exit_code == 0, approved.output
    assert "calendar entry #1 approved: Cek DPT" in approved.output
    assert "Tue 2024-02-06 09:00 WIB  KALBAR  Cek DPT" in approved.output  # what it covers
    assert "needs approval" not in cli("calendar", "list", "--group", "KALBAR").output
    with database.transaction() as session:
        entry = session.get_one(CalendarEntry, 1)
        assert entry.approved_by == "member:+6281500000009"

    loaded = cli("campaign", "load", str(EXAMPLE), "--by", "rina")
    assert loaded.exit_code == 0, loaded.output
    name = EXAMPLE.stem
    refused(cli("campaign", "approve", name, "--by", "rina"), "another editor must approve it")
    # It reaches KALTIM too, where the member is no editor; a dashboard account may approve.
    refused(cli("campaign", "approve", name, "--by", "0815-0000-0009"), "not an editor")
    done = cli("campaign", "approve", name, "--by", "budi")
    assert done.exit_code == 0, done.output
    assert f"campaign {name}:" in done.output and "entries approved" in done.output
