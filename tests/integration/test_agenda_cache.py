"""The dashboard's reuse of computed calendar sends (`agenda_cache`): a second view of the same
window runs no occurrence computation, and a change shows at the next view, whether this process
made it or another one did (here: the `humasbot` CLI, a process of its own)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import event

from broadcasts.db.database import Database
from broadcasts.editorial_calendar import agenda, agenda_cache
from broadcasts.people import membership
from tests.processes import clean_environment, humasbot

NOW = datetime(2029, 1, 8, 1, 0, tzinfo=UTC)  # Monday 08:00 WIB


def sends(database: Database) -> tuple[list[str], int]:
    """The titles and local times of the next week's sends, and how many statements it took."""
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(statement)

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        with database.transaction() as session:
            items = agenda.coming(session, NOW, days=7, entries=agenda_cache.entry_sends)
            shown = [f"{item.title} {item.local:%a %H:%M}" for item in items if item.local]
    finally:
        event.remove(database.engine, "before_cursor_execute", count)
    return shown, len(statements)


def add(database: Database, directory: Path, *args: str) -> None:
    url = database.url.render_as_string(hide_password=False)
    done = humasbot(directory, "calendar", "add", "--group", "JATIM", *args,
                    env=clean_environment(DATABASE_URL=url))  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_window_is_reused_until_the_calendar_changes_in_any_process(
    database: Database, tmp_path: Path
) -> None:
    agenda_cache.forget()
    with database.transaction() as session:
        membership.create_group(session, "JATIM", "Bakohumas Jawa Timur", timezone="Asia/Jakarta")
    add(database, tmp_path, "--on", "2029-01-09", "--time", "09:00", "--title", "Cek DPT",
        "--body", "Cek nama Anda di DPT")  # fmt: skip

    first, cold = sends(database)
    again, warm = sends(database)
    assert first == again == ["Cek DPT Tue 09:00"]
    assert warm < cold  # reused: the entries and their targets were not read again

    add(database, tmp_path, "--on", "2029-01-10", "--time", "10:30", "--title", "TPS",
        "--body", "Cari TPS Anda")  # fmt: skip
    after_cli, _ = sends(database)
    assert after_cli == ["Cek DPT Tue 09:00", "TPS Wed 10:30"]
