"""The quiet-hours rule without a database: 21:00 is inside the default quiet hours and 06:00
outside, a quiet period within one day has the same edges, a send moved by them lands exactly at
their end (in UTC, with the reason), and which group's quiet hours apply. Written against the
mutants `make mutate` found surviving. (tests/integration/test_quiet_hours_edges.py sends at
those edges through the worker's scan.)"""

from __future__ import annotations

import time as time_module
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from broadcasts.editorial_calendar.context import CalendarContext, GroupInfo
from broadcasts.editorial_calendar.guards import (
    DEFAULT_QUIET_HOURS,
    Placement,
    QuietHours,
    Reason,
    day_window,
    place,
)


def test_the_default_quiet_hours_are_2100_to_0600() -> None:
    assert (DEFAULT_QUIET_HOURS.start, DEFAULT_QUIET_HOURS.end) == (time(21, 0), time(6, 0))
    inside = [time(21, 0), time(21, 1), time(23, 59, 59), time(0, 0), time(5, 59, 59)]
    outside = [time(6, 0), time(6, 1), time(12, 0), time(20, 59), time(20, 59, 59)]
    assert [DEFAULT_QUIET_HOURS.contains(moment) for moment in inside] == [True] * 5
    assert [DEFAULT_QUIET_HOURS.contains(moment) for moment in outside] == [False] * 5


def test_quiet_hours_within_one_day_have_the_same_edges() -> None:
    lunch = QuietHours(time(12, 0), time(13, 0))
    assert [lunch.contains(time(h, m)) for h, m in [(11, 59), (12, 0), (12, 59), (13, 0)]] == [
        False,
        True,
        True,
        False,
    ]
    assert not QuietHours(time(9, 0), time(9, 0)).contains(time(9, 0))  # empty: never quiet


def test_a_send_moved_by_quiet_hours_lands_exactly_at_their_end() -> None:
    pontianak = ZoneInfo("Asia/Pontianak")
    for written, lands in [
        (datetime(2028, 11, 2, 21, 0), datetime(2028, 11, 3, 6, 0)),
        (datetime(2028, 11, 2, 23, 59, 30), datetime(2028, 11, 3, 6, 0)),
        (datetime(2028, 11, 3, 0, 0), datetime(2028, 11, 3, 6, 0)),
        (datetime(2028, 11, 3, 5, 59, 59), datetime(2028, 11, 3, 6, 0)),
    ]:
        placed = place(written, pontianak, quiet=DEFAULT_QUIET_HOURS)
        assert placed.due == lands.replace(tzinfo=pontianak).astimezone(UTC), written
        assert placed.nominal == written.replace(tzinfo=pontianak).astimezone(UTC)
        [reason] = placed.reasons
        assert (reason.kind, reason.quiet_hours) == ("quiet_hours", "21:00–06:00")


def test_a_send_moved_to_the_end_of_quiet_hours_keeps_no_fraction_of_a_second() -> None:
    pontianak = ZoneInfo("Asia/Pontianak")
    placed = place(datetime(2028, 11, 2, 23, 59, 30, 500_000), pontianak, quiet=DEFAULT_QUIET_HOURS)
    assert placed.due == datetime(2028, 11, 3, 6, 0, tzinfo=pontianak)
    assert placed.due.microsecond == 0


def test_why_a_send_moved_says_from_when_to_when() -> None:
    """What `humasbot calendar list` shows ("quiet hours 21:00–06:00: moved from …")."""
    pontianak = ZoneInfo("Asia/Pontianak")
    placed = place(datetime(2028, 11, 2, 22, 15), pontianak, quiet=DEFAULT_QUIET_HOURS)
    [reason] = placed.reasons
    assert reason == Reason(
        "quiet_hours",
        datetime(2028, 11, 2, 22, 15, tzinfo=pontianak),
        datetime(2028, 11, 3, 6, 0, tzinfo=pontianak),
        quiet_hours="21:00–06:00",
    )
    assert not placed.skipped


def test_a_send_outside_quiet_hours_lands_when_written_with_no_reason() -> None:
    pontianak = ZoneInfo("Asia/Pontianak")
    written = datetime(2028, 11, 2, 20, 59)
    for tags in (frozenset(), frozenset({"kampanye"})):  # tagged, but no window holds it
        placed = place(written, pontianak, quiet=DEFAULT_QUIET_HOURS, tags=tags)
        expected = written.replace(tzinfo=pontianak).astimezone(UTC)
        assert placed == Placement(expected, expected, (), False)


def test_a_blackout_then_quiet_hours_each_give_their_reason() -> None:
    jakarta = ZoneInfo("Asia/Jakarta")
    window = day_window(
        7, "Masa tenang", frozenset({"kampanye"}), date(2029, 2, 11), date(2029, 2, 13), jakarta
    )
    held = place(
        datetime(2029, 2, 12, 9),
        jakarta,
        quiet=DEFAULT_QUIET_HOURS,
        windows=[window],
        tags=frozenset({"kampanye"}),
    )
    midnight = datetime(2029, 2, 14, 0, 0, tzinfo=jakarta)
    assert held.reasons == (
        Reason("blackout", datetime(2029, 2, 12, 9, 0, tzinfo=jakarta), midnight, "Masa tenang"),
        Reason(
            "quiet_hours",
            midnight,
            datetime(2029, 2, 14, 6, 0, tzinfo=jakarta),
            quiet_hours="21:00–06:00",
        ),
    )
    skipped = place(
        datetime(2029, 2, 12, 9),
        jakarta,
        quiet=DEFAULT_QUIET_HOURS,
        windows=[window],
        tags=frozenset({"kampanye"}),
        skip_held=True,
    )
    nominal = datetime(2029, 2, 12, 2, 0, tzinfo=UTC)
    assert skipped == Placement(nominal, nominal, held.reasons[:1], True)


def test_placements_are_in_utc_whatever_zone_the_machine_runs_in(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A server set to local time (WITA here) must not leak its zone into stored times."""
    monkeypatch.setenv("TZ", "Asia/Makassar")
    time_module.tzset()
    try:
        jakarta = ZoneInfo("Asia/Jakarta")
        window = day_window(1, "x", frozenset({"a"}), date(2029, 2, 11), date(2029, 2, 13), jakarta)
        placements = [
            place(datetime(2029, 2, 5, 9), jakarta, quiet=DEFAULT_QUIET_HOURS),  # not moved
            place(datetime(2029, 2, 5, 22), jakarta, quiet=DEFAULT_QUIET_HOURS),  # moved
            place(
                datetime(2029, 2, 12, 9),
                jakarta,
                quiet=None,
                windows=[window],
                tags=frozenset({"a"}),
                skip_held=True,
            ),
        ]
        for placed in placements:
            assert placed.nominal.tzinfo is UTC and placed.due.tzinfo is UTC, placed
    finally:
        monkeypatch.delenv("TZ")
        time_module.tzset()


# --- which quiet hours apply: the group's own, else the nearest above, else the default ------


def context(parents: dict[int, int | None], own: dict[int, QuietHours | None]) -> CalendarContext:
    groups = {
        gid: GroupInfo(gid, f"G{gid}", f"Group {gid}", ZoneInfo("Asia/Jakarta"), parent)
        for gid, parent in parents.items()
    }
    return CalendarContext(groups, own, [], {})


def test_a_group_follows_the_nearest_group_above_with_quiet_hours_of_its_own() -> None:
    evening = QuietHours(time(20, 0), time(7, 0))
    # 1 (own 20–07) ← 2 ← 3 (own: none at all) ← 4;  5 stands alone.
    tree = context({1: None, 2: 1, 3: 2, 4: 3, 5: None}, {1: evening, 3: None})
    assert [tree.quiet_hours(gid) for gid in (1, 2, 3, 4, 5)] == [
        evening,
        evening,
        None,
        None,
        DEFAULT_QUIET_HOURS,
    ]


def test_a_broken_tree_still_ends_with_the_default() -> None:
    """A parent that is not there, or a loop (neither can be made through the bot): the
    default applies, and looking it up ends."""
    assert context({1: 99}, {}).quiet_hours(1) == DEFAULT_QUIET_HOURS
    assert context({1: 2, 2: 1}, {}).quiet_hours(1) == DEFAULT_QUIET_HOURS
    assert context({}, {}).quiet_hours(42) == DEFAULT_QUIET_HOURS
