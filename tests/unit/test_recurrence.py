"""When calendar entries fall: recurrence rules, anchors and the guards, on local wall clocks.

Pure functions with the clock passed in: Indonesian zones have no daylight saving, month ends
vary, weekly rules pick weekdays, end dates are inclusive.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from hypothesis import given, settings
from hypothesis import strategies as st

from broadcasts.editorial_calendar.guards import (
    DEFAULT_QUIET_HOURS,
    QuietHours,
    day_window,
    place,
)
from broadcasts.editorial_calendar.rules import (
    FIRST_DAY,
    LAST_DAY,
    Anchored,
    Once,
    Recurring,
    StageSpan,
    between,
    build_rrule,
    check_rrule,
    key_of,
    occurrences,
    parse_anchor,
    parse_date,
    parse_time,
    weekday_code,
)
from broadcasts.errors import CalendarError

NINE = time(9, 0)
JAKARTA, MAKASSAR, JAYAPURA = (
    ZoneInfo(z) for z in ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")
)


def recurring(rule: str, starts: date, at: time = NINE) -> Recurring:
    return Recurring(check_rrule(rule, starts, at), starts, at)


def days_of(rule: Recurring, start: datetime, end: datetime) -> list[date]:
    return [moment.date() for _, moment in between(rule, start, end)]


# --- Parsing what people type ---------------------------------------------------------------


@pytest.mark.parametrize("text", ["2029-02-30", "2029-13-01", "15-01-2029", "tomorrow", ""])
def test_invalid_dates_are_refused(text: str) -> None:
    with pytest.raises(CalendarError) as error:
        parse_date(text)
    assert error.value.key == "bad_date"


@pytest.mark.parametrize("text", ["24:00", "09:60", "9", "nine", "09:00:00"])
def test_invalid_times_are_refused(text: str) -> None:
    with pytest.raises(CalendarError) as error:
        parse_time(text)
    assert error.value.key == "bad_time"


def test_times_may_be_written_with_a_dot_as_indonesians_often_do() -> None:
    assert parse_time("09.30") == time(9, 30)
    assert parse_time("7:05") == time(7, 5)


@pytest.mark.parametrize(
    ("name", "code"),
    [("senin", "MO"), ("Kamis", "TH"), ("fri", "FR"), ("SU", "SU"), ("ahad", "SU")],
)
def test_weekdays_in_either_language(name: str, code: str) -> None:
    assert weekday_code(name) == code


def test_an_unknown_weekday_is_refused() -> None:
    with pytest.raises(CalendarError):
        weekday_code("someday")


# --- Recurring rules ------------------------------------------------------------------------


def test_weekly_on_chosen_weekdays_until_an_inclusive_end_date() -> None:
    text = build_rrule("weekly", weekdays=["senin", "kamis"], until=date(2029, 1, 18))
    rule = recurring(text, date(2029, 1, 1))
    found = days_of(rule, datetime(2029, 1, 1), datetime(2029, 3, 1))
    # Mondays and Thursdays; the end day itself (a Thursday) still counts.
    assert found == [date(2029, 1, d) for d in (1, 4, 8, 11, 15, 18)]


def test_monthly_on_the_31st_lands_on_each_months_last_day_when_shorter() -> None:
    rule = recurring(build_rrule("monthly", month_day=31), date(2029, 1, 31))
    found = days_of(rule, datetime(2029, 1, 1), datetime(2029, 7, 1))
    assert found == [
        date(2029, 1, 31),
        date(2029, 2, 28),
        date(2029, 3, 31),
        date(2029, 4, 30),
        date(2029, 5, 31),
        date(2029, 6, 30),
    ]


def test_monthly_on_the_29th_in_a_leap_year() -> None:
    rule = recurring(build_rrule("monthly", month_day=29), date(2028, 1, 29))
    assert days_of(rule, datetime(2028, 2, 1), datetime(2028, 4, 1)) == [
        date(2028, 2, 29),
        date(2028, 3, 29),
    ]


def test_a_raw_rfc_rule_on_the_31st_skips_shorter_months_as_the_rfc_says() -> None:
    rule = recurring("FREQ=MONTHLY;BYMONTHDAY=31", date(2029, 1, 1))
    assert days_of(rule, datetime(2029, 1, 1), datetime(2029, 6, 1)) == [
        date(2029, 1, 31),
        date(2029, 3, 31),
        date(2029, 5, 31),
    ]


def test_last_day_of_every_month() -> None:
    rule = recurring(build_rrule("monthly", month_day=-1), date(2029, 1, 1))
    assert days_of(rule, datetime(2029, 1, 1), datetime(2029, 4, 1)) == [
        date(2029, 1, 31),
        date(2029, 2, 28),
        date(2029, 3, 31),
    ]


def test_daily_every_other_day_with_an_end() -> None:
    rule = recurring(build_rrule("daily", interval=2, until=date(2029, 1, 7)), date(2029, 1, 1))
    assert days_of(rule, datetime(2029, 1, 1), datetime(2029, 2, 1)) == [
        date(2029, 1, d) for d in (1, 3, 5, 7)
    ]


def test_an_until_day_in_the_raw_rule_includes_that_whole_day() -> None:
    rule = recurring("FREQ=DAILY;UNTIL=20290103", date(2029, 1, 1))
    assert rule.rule.endswith("UNTIL=20290103T235959")
    assert len(days_of(rule, datetime(2029, 1, 1), datetime(2029, 2, 1))) == 3


def test_occurrences_are_keyed_by_their_local_date_and_time() -> None:
    rule = recurring("FREQ=DAILY;COUNT=2", date(2029, 1, 1), time(7, 30))
    assert [key_of(rule, moment) for moment in occurrences(rule, datetime.min)] == [
        "2029-01-01T07:30",
        "2029-01-02T07:30",
    ]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("FREQ=HOURLY", "FREQ"),
        ("FREQ=DAILY;BYHOUR=9", "time of day"),
        ("FREQ=WEEKLY;BYDAY=XX", ""),
        ("FREQ=DAILY;FREQ=WEEKLY", "twice"),
        ("DTSTART:20290101T090000\nRRULE:FREQ=DAILY", "DTSTART"),
        ("FREQ=DAILY;UNTIL=20290101T000000Z", "UNTIL"),
        ("FREQ=DAILY;INTERVAL=abc", ""),
        ("nonsense", "NAME=VALUE"),
        ("FREQ=WEEKLY;BYEASTER=1", "not supported"),
    ],
)
def test_malformed_rules_are_refused_saying_why(text: str, reason: str) -> None:
    with pytest.raises(CalendarError) as error:
        check_rrule(text, date(2029, 1, 1), NINE)
    assert error.value.key == "bad_rrule"
    assert reason in str(error.value.data["reason"])


def test_a_rule_that_ends_before_it_starts_never_occurs() -> None:
    with pytest.raises(CalendarError) as error:
        check_rrule("FREQ=DAILY;UNTIL=20281231", date(2029, 1, 1), NINE)
    assert error.value.key == "never_occurs"


def test_occurrences_far_from_the_start_are_the_same_as_counting_from_the_start() -> None:
    # The fast-forward that keeps long-running rules cheap must not change which days come.
    rule = recurring("FREQ=WEEKLY;INTERVAL=3;BYDAY=TU,SA", date(2025, 1, 1))
    official = rrulestr(rule.rule, dtstart=rule.start)
    window = (datetime(2029, 5, 1), datetime(2029, 8, 1))
    expected = [d.date() for d in official.between(*window, inc=True)]
    assert days_of(rule, *window) == expected


frequencies = st.sampled_from(["DAILY", "WEEKLY", "MONTHLY"])
weekday_sets = st.sets(st.sampled_from(["MO", "TU", "WE", "TH", "FR", "SA", "SU"]), max_size=3)


@settings(max_examples=100, deadline=None)
@given(
    frequency=frequencies,
    interval=st.integers(1, 4),
    weekdays=weekday_sets,
    week_start=st.sampled_from([None, "MO", "SU", "WE"]),
    until=st.one_of(st.none(), st.integers(0, 400)),
    months=st.one_of(st.none(), st.sets(st.integers(1, 12), min_size=1, max_size=4)),
    start=st.dates(date(2024, 1, 1), date(2030, 12, 31)),
    offset=st.integers(-10, 900),
)
def test_our_reading_of_a_rule_agrees_with_dateutils_own_parser(
    frequency: str,
    interval: int,
    weekdays: set[str],
    week_start: str | None,
    until: int | None,
    months: set[int] | None,
    start: date,
    offset: int,
) -> None:
    # Plain daily and weekly rules take our own arithmetic; the rest dateutil's iterator.
    text = f"FREQ={frequency};INTERVAL={interval}"
    if weekdays:
        text += ";BYDAY=" + ",".join(sorted(weekdays))
    if week_start:
        text += f";WKST={week_start}"
    if months:
        text += ";BYMONTH=" + ",".join(map(str, sorted(months)))
    if until is not None:
        text += f";UNTIL={start + timedelta(days=until):%Y%m%d}"
    try:
        rule = recurring(text, start, time(7, 45))
    except CalendarError as error:
        assert error.key == "never_occurs"  # e.g. an UNTIL before the first matching day
        return
    window_start = datetime.combine(start, time(0)) + timedelta(days=offset)
    window = (window_start, window_start + timedelta(days=40))
    official = rrulestr(rule.rule, dtstart=rule.start).between(*window, inc=True)
    assert days_of(rule, *window) == [d.date() for d in official]


# --- One-off and anchored -------------------------------------------------------------------


def test_a_one_off_happens_once() -> None:
    rule = Once(date(2029, 1, 15), NINE)
    assert list(occurrences(rule, datetime(2029, 1, 1))) == [datetime(2029, 1, 15, 9)]
    assert key_of(rule, datetime(2029, 1, 15, 9)) == "once"
    assert list(occurrences(rule, datetime(2029, 1, 15, 9))) == []


def test_h_minus_counts_back_from_the_first_day_and_h_plus_on_from_the_last() -> None:
    quiet = StageSpan(date(2029, 2, 11), date(2029, 2, 13))
    assert Anchored("p", "masa-tenang", FIRST_DAY, -7, NINE).local_datetime(quiet) == datetime(
        2029, 2, 4, 9
    )
    assert Anchored("p", "masa-tenang", LAST_DAY, 1, NINE).local_datetime(quiet) == datetime(
        2029, 2, 14, 9
    )


def test_an_anchor_without_an_official_date_waits() -> None:
    rule = Anchored("pemilu2029", "pemungutan-suara", FIRST_DAY, -7, NINE)
    assert rule.local_datetime(StageSpan(None, None)) is None
    assert list(occurrences(rule, datetime.min, StageSpan(None, None))) == []


@pytest.mark.parametrize(
    ("text", "day", "offset", "stage", "election", "at"),
    [
        (
            "H-7 pemungutan suara pemilu2029, 09:00",
            FIRST_DAY,
            -7,
            "pemungutan suara",
            "pemilu2029",
            NINE,
        ),
        ("first day of masa tenang, 07:00", FIRST_DAY, 0, "masa tenang", None, time(7)),
        ("H+1 penetapan hasil", LAST_DAY, 1, "penetapan hasil", None, None),
        ("hari terakhir kampanye pemilu2029", LAST_DAY, 0, "kampanye", "pemilu2029", None),
        ("H pemungutan_suara", FIRST_DAY, 0, "pemungutan_suara", None, None),
    ],
)
def test_anchor_phrases(
    text: str, day: str, offset: int, stage: str, election: str | None, at: time | None
) -> None:
    phrase = parse_anchor(text, ["pemilu2029", "pemilu2024"])
    assert (phrase.day, phrase.offset_days, phrase.stage) == (day, offset, stage)
    assert (phrase.election, phrase.at) == (election, at)


@pytest.mark.parametrize("text", ["seven days before voting", "H-x pemungutan suara", "H-7"])
def test_phrases_that_are_not_anchors_are_refused(text: str) -> None:
    with pytest.raises(CalendarError) as error:
        parse_anchor(text)
    assert error.value.key == "bad_anchor"


# --- Guards on each zone's wall clock -------------------------------------------------------


@pytest.mark.parametrize(("zone", "utc_hour"), [(JAKARTA, 2), (MAKASSAR, 1), (JAYAPURA, 0)])
def test_nine_local_is_the_same_utc_hour_all_year_in_zones_without_daylight_saving(
    zone: ZoneInfo, utc_hour: int
) -> None:
    rule = recurring("FREQ=MONTHLY;BYMONTHDAY=15", date(2029, 1, 1))
    for _, nominal in between(rule, datetime(2029, 1, 1), datetime(2030, 1, 1)):
        due = place(nominal, zone, quiet=DEFAULT_QUIET_HOURS).due
        assert (due.hour, due.minute, due.tzinfo) == (utc_hour, 0, UTC)


def test_quiet_hours_move_a_late_evening_send_to_the_next_morning() -> None:
    placed = place(datetime(2029, 1, 15, 22, 30), MAKASSAR, quiet=DEFAULT_QUIET_HOURS)
    assert placed.due == datetime(2029, 1, 16, 6, 0, tzinfo=MAKASSAR)
    assert placed.reasons[0].kind == "quiet_hours"


def test_quiet_hours_move_an_early_morning_send_to_the_same_morning() -> None:
    placed = place(datetime(2029, 1, 15, 3, 0), JAKARTA, quiet=DEFAULT_QUIET_HOURS)
    assert placed.due == datetime(2029, 1, 15, 6, 0, tzinfo=JAKARTA)


def test_the_quiet_hours_end_is_already_allowed_and_no_quiet_hours_moves_nothing() -> None:
    assert not place(datetime(2029, 1, 15, 6, 0), JAKARTA, quiet=DEFAULT_QUIET_HOURS).reasons
    assert not place(datetime(2029, 1, 15, 23, 0), JAKARTA, quiet=None).reasons


def test_quiet_hours_within_one_day() -> None:
    lunch = QuietHours(time(12), time(13))
    assert lunch.contains(time(12, 30)) and not lunch.contains(time(13))
    placed = place(datetime(2029, 1, 15, 12, 30), JAKARTA, quiet=lunch)
    assert placed.due == datetime(2029, 1, 15, 13, 0, tzinfo=JAKARTA)


def test_a_blackout_holds_tagged_content_to_its_end_then_quiet_hours_apply() -> None:
    window = day_window(
        1, "masa tenang", frozenset({"kampanye"}), date(2029, 2, 11), date(2029, 2, 13), JAKARTA
    )
    held = place(
        datetime(2029, 2, 12, 9),
        JAKARTA,
        quiet=DEFAULT_QUIET_HOURS,
        windows=[window],
        tags=frozenset({"kampanye"}),
    )
    # The window ends at midnight, inside quiet hours: it lands at 06:00 on the 14th.
    assert held.due == datetime(2029, 2, 14, 6, 0, tzinfo=JAKARTA)
    assert [reason.kind for reason in held.reasons] == ["blackout", "quiet_hours"]
    untagged = place(datetime(2029, 2, 12, 9), JAKARTA, quiet=None, windows=[window])
    assert untagged.due == datetime(2029, 2, 12, 9, tzinfo=JAKARTA)


def test_a_recurring_occurrence_inside_a_blackout_is_skipped_not_piled_up() -> None:
    window = day_window(1, "x", frozenset({"a"}), date(2029, 2, 11), date(2029, 2, 13), JAKARTA)
    held = place(
        datetime(2029, 2, 12, 9),
        JAKARTA,
        quiet=None,
        windows=[window],
        tags=frozenset({"a"}),
        skip_held=True,
    )
    assert held.skipped and held.due == held.nominal
