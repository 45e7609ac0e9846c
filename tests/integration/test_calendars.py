"""Calendars in the database (SQLite and PostgreSQL): loading, never overwriting an admin's,
and a cached read that notices a calendar replaced by another process."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from broadcasts.db.database import Database
from broadcasts.db.models import Election as ElectionRow
from broadcasts.elections import stored as calendars
from broadcasts.elections.calendar import Election, Status, election_document, parse_election
from broadcasts.elections.stored import (
    all_elections,
    load_bundled,
    load_calendar,
    read_calendar_file,
    snapshot,
)
from config.settings import ELECTIONS_DIR

NOW = datetime(2026, 1, 5, 3, 0, tzinfo=UTC)


def official_2029() -> Election:
    """Pemilu 2029 as an admin would load it once KPU decrees it (an example, not a fact)."""
    document = election_document(read_calendar_file(ELECTIONS_DIR / "pemilu2029.yaml"))
    document["status"] = Status.SET.value
    voting = next(s for s in document["stages"] if s["id"] == "pemungutan-suara")
    voting.update(provisional=False, start="2029-02-14", end="2029-02-14", source="PKPU 1/2027")
    document["stages"] = [voting]
    return parse_election(document)


def test_the_bundled_calendars_load_once(database: Database) -> None:
    with database.transaction() as session:
        assert sorted(load_bundled(session, NOW)) == [
            "pemilu2024",
            "pemilu2029",
            "pemilulokal",
            "pilkada2024",
        ]
    with database.transaction() as session:
        assert load_bundled(session, NOW + timedelta(days=1)) == []
        assert [e.code for e in all_elections(session)] == [
            "pemilu2024",
            "pilkada2024",
            "pemilu2029",
            "pemilulokal",
        ]
        stored = session.scalars(select(ElectionRow).where(ElectionRow.code == "pemilu2024")).one()
        voting = next(s for s in stored.document["stages"] if s["id"] == "pemungutan-suara")
        assert voting["start"] == "2024-02-14"
        assert stored.loaded_at == NOW


def test_an_admin_loaded_calendar_is_never_overwritten_by_the_bundled_one(
    database: Database,
) -> None:
    with database.transaction() as session:
        assert load_calendar(session, official_2029(), NOW) is False
    with database.transaction() as session:
        assert "pemilu2029" not in load_bundled(session, NOW)
        pemilu = next(e for e in all_elections(session) if e.code == "pemilu2029")
    assert pemilu.decided and pemilu.voting_day is not None


def test_replacing_a_calendar_changes_what_is_read(database: Database) -> None:
    with database.transaction() as session:
        load_bundled(session, NOW)
        before = next(e for e in all_elections(session) if e.code == "pemilu2029")
    assert not before.decided
    with database.transaction() as session:
        # The clock standing still must not hide the change from other processes.
        assert load_calendar(session, official_2029(), NOW) is True
        rows = session.scalar(select(func.count()).select_from(ElectionRow))
        latest = session.scalar(select(func.max(ElectionRow.loaded_at)))
    assert rows == 4 and latest is not None and latest > NOW
    with database.transaction() as session:
        after = next(e for e in all_elections(session) if e.code == "pemilu2029")
    assert after.decided and str(after.voting_day) == "2029-02-14"


def test_the_read_is_cached_until_any_process_loads_a_calendar(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    with database.transaction() as session:
        load_bundled(session, NOW)
    with database.transaction() as session:
        first = snapshot(session)
    monkeypatch.setattr(calendars, "RECHECK_SECONDS", 0.0)
    with database.transaction() as session:
        assert snapshot(session) is first  # nothing changed: nothing parsed again
    # Another process replaces a calendar: it writes the row; this process's cache stays put
    # for RECHECK_SECONDS, then until the version it compares (row count, latest load time)
    # moves.
    other_process = Database(database.url.render_as_string(hide_password=False))
    try:
        with other_process.transaction() as session:
            session.execute(
                update(ElectionRow)
                .where(ElectionRow.code == "pemilu2029")
                .values(
                    document=election_document(official_2029()),
                    loaded_at=NOW + timedelta(hours=1),
                )
            )
    finally:
        other_process.dispose()
    monkeypatch.setattr(calendars, "RECHECK_SECONDS", 3600.0)
    with database.transaction() as session:
        assert snapshot(session) is first  # checked a moment ago: not asked again yet
    monkeypatch.setattr(calendars, "RECHECK_SECONDS", 0.0)
    with database.transaction() as session:
        fresh = snapshot(session)
    assert fresh is not first
    assert fresh.loaded_at == NOW + timedelta(hours=1)
    assert next(e for e in fresh.elections if e.code == "pemilu2029").decided


def test_a_damaged_stored_calendar_is_skipped_not_fatal(database: Database) -> None:
    with database.transaction() as session:
        load_bundled(session, NOW)
        session.execute(
            update(ElectionRow)
            .where(ElectionRow.code == "pilkada2024")
            .values(document={"code": "pilkada2024"}, loaded_at=NOW + timedelta(minutes=1))
        )
    calendars.forget_cached()
    with database.transaction() as session:
        assert [e.code for e in all_elections(session)] == [
            "pemilu2024",
            "pemilu2029",
            "pemilulokal",
        ]


def test_an_empty_table_reads_as_no_calendars(database: Database) -> None:
    with database.transaction() as session:
        found = snapshot(session)
    assert found.elections == () and found.loaded_at is None
