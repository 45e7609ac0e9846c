"""Quiet hours at their edges (default 21:00–06:00 on the group's clock), on SQLite and
PostgreSQL: calendar sends written for 20:59, 21:00, 21:01, 05:59 and 06:00, and the worker's
scan ticking minute by minute across both edges.

Planted bugs this catches, each of which every other test let through: 21:00 itself treated as
outside quiet hours (`>=` turned into `>`), 06:00 treated as inside (`<` into `<=`), and the
default start or end moved by an hour either way.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from broadcasts.db.database import Database
from broadcasts.db.models import Broadcast, Role
from broadcasts.editorial_calendar import agenda, entries, quiet_hours, scan
from broadcasts.elections.stored import load_bundled
from broadcasts.people import membership

NOW = datetime(2028, 11, 1, 1, 0, tzinfo=UTC)  # 08:00 in Pontianak (WIB, UTC+7)
WIB = timedelta(hours=7)
EVENING = date(2028, 11, 2)
MORNING = EVENING + timedelta(days=1)
GRACE = timedelta(hours=6)
ADMIN = "admin:test"
# Each send is written for a local time and carries that time as its text.
WRITTEN = [(EVENING, "20:59"), (EVENING, "21:00"), (EVENING, "21:01")]
WRITTEN += [(MORNING, "05:59"), (MORNING, "06:00")]


@pytest.fixture
def kalbar(database: Database) -> Database:
    """KALBAR in Pontianak (WIB) with one member, default quiet hours, and the five sends."""
    with database.transaction() as session:
        load_bundled(session, NOW)
        membership.create_group(session, "KALBAR", "Bakohumas Kalbar", timezone="Asia/Pontianak")
        membership.add_member(session, "+6281200000001", "KALBAR", role=Role.COORDINATOR)
        membership.add_member(session, "+6281200000002", "KALBAR")
        for day, at in WRITTEN:
            spec = entries.EntrySpec(
                title=f"Kirim {at}",
                rule=entries.once(day.isoformat(), at),
                groups=["KALBAR"],
                body=at,
            )
            entries.add_entry(session, spec, actor=ADMIN, now=NOW)
    return database


def local(day: date, at: str) -> datetime:
    """A Pontianak wall-clock time as UTC."""
    hour, minute = map(int, at.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=UTC) - WIB


def proposed_texts(database: Database, result: scan.ScanResult) -> list[str]:
    with database.transaction() as session:
        bodies = session.scalars(
            select(Broadcast.body).where(Broadcast.id.in_(result.proposed)).order_by(Broadcast.id)
        )
        return sorted(body or "" for body in bodies)


def test_a_send_goes_at_2059_and_the_rest_wait_for_0600_however_the_minutes_tick(
    kalbar: Database,
) -> None:
    """The worker's scan once a minute from 20:58 to 06:01: what goes out, and when."""
    went: dict[str, list[str]] = {}
    moment = local(EVENING, "20:58")
    while moment <= local(MORNING, "06:01"):
        texts = proposed_texts(kalbar, scan.tick(kalbar, moment, GRACE))
        if texts:
            went[f"{(moment + WIB):%H:%M}"] = texts
        moment += timedelta(minutes=1)
    assert went == {"20:59": ["20:59"], "06:00": ["05:59", "06:00", "21:00", "21:01"]}


def test_the_schedule_says_which_sends_quiet_hours_moved_and_to_when(kalbar: Database) -> None:
    with kalbar.transaction() as session:
        items = agenda.coming(session, NOW, days=7)
    landed = {
        item.title: (item.when, item.status, [reason.kind for reason in item.reasons])
        for item in items
    }
    moved = (local(MORNING, "06:00"), agenda.MOVED, ["quiet_hours"])
    assert landed == {
        "Kirim 20:59": (local(EVENING, "20:59"), agenda.SCHEDULED, []),
        "Kirim 21:00": moved,
        "Kirim 21:01": moved,
        "Kirim 05:59": moved,
        "Kirim 06:00": (local(MORNING, "06:00"), agenda.SCHEDULED, []),
    }


def test_a_groups_own_quiet_hours_have_the_same_edges(kalbar: Database) -> None:
    """21:01–05:59 of its own: 21:00 now goes at once, 21:01 waits for 05:59, which goes."""
    with kalbar.transaction() as session:
        quiet_hours.set_quiet_hours(
            session, "KALBAR", time(21, 1), time(5, 59), actor=ADMIN, now=NOW
        )
    went: dict[str, list[str]] = {}
    ticks = [(EVENING, "20:59"), (EVENING, "21:00"), (EVENING, "21:01")]
    ticks += [(MORNING, "05:58"), (MORNING, "05:59"), (MORNING, "06:00")]
    for day, at in ticks:
        texts = proposed_texts(kalbar, scan.tick(kalbar, local(day, at), GRACE))
        if texts:
            went[at] = texts
    assert went == {
        "20:59": ["20:59"],
        "21:00": ["21:00"],
        "05:59": ["05:59", "21:01"],
        "06:00": ["06:00"],
    }
