"""Election calendars as data: the bundled files, validation, and the date queries."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import yaml

from broadcasts.elections.calendar import (
    Election,
    ElectionDataError,
    Status,
    Timing,
    current_election,
    days_until,
    election_document,
    find_election,
    next_election,
    next_stages,
    parse_election,
    parse_yaml,
    sources_of,
    stage_timing,
    stages_in_progress,
)
from broadcasts.elections.stored import bundled_files, read_calendar_file


@pytest.fixture(scope="module")
def bundled() -> dict[str, Election]:
    return {e.code: e for e in map(read_calendar_file, bundled_files())}


@pytest.fixture(scope="module")
def elections(bundled: dict[str, Election]) -> list[Election]:
    return sorted(bundled.values(), key=lambda e: e.year)


def stage_ids(stages: Any) -> list[str]:
    return [s.id for s in stages]


def test_the_bundled_calendars_are_the_four_elections_with_their_facts(
    bundled: dict[str, Election],
) -> None:
    assert set(bundled) == {"pemilu2024", "pilkada2024", "pemilu2029", "pemilulokal"}
    pemilu = bundled["pemilu2024"]
    assert pemilu.voting_day == date(2024, 2, 14) and pemilu.source == "PKPU 3/2022"
    quiet = next(s for s in pemilu.stages if s.id == "masa-tenang")
    assert (quiet.start, quiet.end) == (date(2024, 2, 11), date(2024, 2, 13))
    assert len(pemilu.stages) == 28 and all(s.source and s.name.en for s in pemilu.stages)
    dpt = next(s for s in pemilu.stages if s.id == "penetapan-dpt")
    assert dpt.start == date(2023, 7, 2) and dpt.note and "204.807.222" in dpt.note.id
    runoff = next(s for s in pemilu.stages if s.is_a("second-round"))
    assert runoff.start == date(2024, 6, 26) and not runoff.held
    assert "dprd" in pemilu.offices and "dprd" not in bundled["pemilu2029"].offices
    pilkada = bundled["pilkada2024"]
    assert pilkada.voting_day == date(2024, 11, 27) and len(pilkada.stages) == 18
    inauguration = next(s for s in pilkada.stages if s.is_a("inauguration"))
    assert inauguration.start == date(2025, 2, 20) and inauguration.source == "Perpres 13/2025"


def test_pemilu_2029_and_the_local_elections_have_no_date_not_even_a_month(
    bundled: dict[str, Election],
) -> None:
    for code in ("pemilu2029", "pemilulokal"):
        election = bundled[code]
        assert election.status is Status.NOT_YET_SET and not election.decided
        assert election.voting_day is None
        assert all(s.start is None and s.expected_month is None for s in election.stages)
        assert election.note is not None and "Februari 2026" in election.note.id


def test_a_document_survives_the_round_trip_through_the_database_form(
    elections: list[Election],
) -> None:
    for election in elections:
        assert parse_election(election_document(election)) == election


# --- Validation ----------------------------------------------------------------------------

VALID: dict[str, Any] = {
    "code": "pemilu2034",
    "family": "pemilu",
    "year": 2034,
    "status": "set",
    "name": {"id": "Pemilu 2034", "en": "2034 General Election"},
    "source": "PKPU 1/2032",
    "stages": [
        {
            "id": "kampanye",
            "kind": "campaign",
            "name": {"id": "Masa kampanye", "en": "Campaign period"},
            "start": "2033-11-01",
            "end": "2034-02-10",
            "source": "PKPU 1/2032",
        },
        {
            "id": "pemungutan-suara",
            "kind": "voting",
            "name": {"id": "Pemungutan suara", "en": "Voting day"},
            "start": "2034-02-14",
            "end": "2034-02-14",
            "source": "PKPU 1/2032",
        },
    ],
}


def changed(path: str, value: Any) -> dict[str, Any]:
    """VALID with one field changed (None deletes it); path like "stages.1.end"."""
    document: Any = yaml.safe_load(yaml.safe_dump(VALID))
    *parents, last = path.split(".")
    target = document
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    if value is None:
        del target[int(last) if last.isdigit() else last]
    else:
        target[int(last) if last.isdigit() else last] = value
    found: dict[str, Any] = document
    return found


def test_the_valid_example_parses() -> None:
    election = parse_election(VALID)
    assert election.voting_day == date(2034, 2, 14) and election.key_stages == election.stages


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("code", "Pemilu 2034", "code 'Pemilu 2034' must be 3 to 32 lowercase letters"),
        ("code", None, "code is missing"),
        ("name", None, "name is missing (give it in id and en)"),
        ("name.en", None, "name: en is missing"),
        ("year", "2034", "year must be a year like 2029"),
        ("status", "maybe", "status must be set or not-yet-set, found 'maybe'"),
        ("stages", [], "stages must be a non-empty list"),
        ("stages.1.end", "2034-02-13", "end 2034-02-13 is before start 2034-02-14"),
        ("stages.1.end", None, "give both start and end"),
        ("stages.1.start", "2034-02-30", "start '2034-02-30' is not a date (YYYY-MM-DD)"),
        ("stages.1.strat", "2034-02-14", "unknown field 'strat'"),
        ("stages.1.source", None, "stage 2 (pemungutan-suara): source is missing"),
        ("stages.1.kind", "campaign", "status set needs a stage of kind voting"),
        ("stages.1.provisional", True, "status set needs a stage of kind voting with official"),
        ("stages.1.id", "kampanye", "stage id 'kampanye' is used twice"),
        ("stages.0.provisional", "yes", "provisional must be true or false"),
        ("stages.0.expected", "2034-02", "expected (a month) is only for provisional stages"),
        ("stages.0", "kampanye", "stage 1: expected a mapping of fields, found str"),
        ("status", "not-yet-set", "has dates but the status is not-yet-set"),
    ],
)
def test_a_broken_document_is_refused_with_a_message_naming_the_problem(
    path: str, value: Any, message: str
) -> None:
    with pytest.raises(ElectionDataError) as raised:
        parse_election(changed(path, value), "pemilu2034.yaml")
    assert message in str(raised.value)
    assert str(raised.value).startswith("pemilu2034.yaml")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("code: [unclosed", "not valid YAML at line"),
        ("just text", "expected a mapping of fields, found str"),
        ("", "expected a mapping of fields, found nothing"),
        (
            "code: x2034\nstart: 2034-02-14 10:00\n",
            "unknown field 'start'",
        ),
    ],
)
def test_broken_yaml_is_refused_clearly(text: str, message: str) -> None:
    with pytest.raises(ElectionDataError, match=r"^broken\.yaml: ") as raised:
        parse_yaml(text, "broken.yaml")
    assert message in str(raised.value)


def test_a_time_is_not_a_date() -> None:
    document = changed("stages.1.start", None)
    document["stages"][1]["start"] = yaml.safe_load("2034-02-14 10:00:00")
    with pytest.raises(ElectionDataError, match="must be a day"):
        parse_election(document)


def test_an_election_not_yet_set_may_carry_provisional_dates() -> None:
    document = changed("status", "not-yet-set")
    for stage in document["stages"]:
        stage["provisional"] = True
    election = parse_election(document)
    assert not election.decided and election.voting_day is None
    timing = stage_timing(election.stages[1], date(2034, 1, 1))
    assert timing.timing is Timing.PROVISIONAL and timing.days is None


# --- Queries -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "code"),
    [
        (date(2023, 1, 1), "pemilu2024"),
        (date(2024, 2, 14), "pemilu2024"),  # voting day itself still counts
        (date(2024, 2, 15), "pilkada2024"),
        (date(2024, 11, 27), "pilkada2024"),
        (date(2024, 11, 28), "pemilu2029"),  # no decided date left: the one not yet set
    ],
)
def test_the_next_election_is_the_nearest_voting_today_or_later(
    elections: list[Election], today: date, code: str
) -> None:
    found = next_election(elections, today)
    assert found is not None and found.code == code


def test_with_every_election_over_there_is_no_next_one(elections: list[Election]) -> None:
    decided = [e for e in elections if e.decided]
    assert next_election(decided, date(2030, 1, 1)) is None


@pytest.mark.parametrize(
    ("today", "code"),
    [
        (date(2024, 2, 4), "pemilu2024"),
        (date(2024, 3, 1), "pemilu2024"),  # tabulation under way; pilkada has not begun
        (date(2024, 6, 1), "pilkada2024"),  # both busy: the one voting next
        (date(2025, 1, 1), "pilkada2024"),  # nothing under way, but its inauguration is ahead
        (date(2025, 6, 1), "pilkada2024"),  # re-votes under way
        (date(2025, 9, 1), "pemilu2029"),
        # On its voting day an election is still the one under way, and the next to vote.
        (date(2024, 2, 14), "pemilu2024"),
        (date(2024, 11, 27), "pilkada2024"),
    ],
)
def test_the_current_election_is_the_one_under_way(
    elections: list[Election], today: date, code: str
) -> None:
    found = current_election(elections, today)
    assert found is not None and found.code == code


def test_stages_in_progress_and_the_next_ones(bundled: dict[str, Election]) -> None:
    pemilu = bundled["pemilu2024"]
    assert stage_ids(stages_in_progress(pemilu, date(2024, 2, 4))) == [
        "perencanaan",
        "kampanye",
        "debat-5",
    ]
    assert stage_ids(next_stages(pemilu, date(2024, 2, 4))) == ["pindah-memilih-khusus"]
    # Voting and counting both begin on 14 February.
    assert stage_ids(next_stages(pemilu, date(2024, 2, 12))) == [
        "pemungutan-suara",
        "penghitungan-suara",
    ]
    assert next_stages(pemilu, date(2024, 10, 20)) == ()


@pytest.mark.parametrize(
    ("stage_id", "today", "timing", "days"),
    [
        ("pemungutan-suara", date(2024, 2, 4), Timing.UPCOMING, 10),
        ("pemungutan-suara", date(2024, 2, 13), Timing.UPCOMING, 1),
        ("pemungutan-suara", date(2024, 2, 14), Timing.TODAY, 0),
        ("pemungutan-suara", date(2024, 2, 15), Timing.PAST, None),
        ("kampanye", date(2024, 2, 4), Timing.IN_PROGRESS, 6),
        ("kampanye", date(2024, 2, 10), Timing.IN_PROGRESS, 0),
        ("kampanye", date(2023, 11, 28), Timing.IN_PROGRESS, 74),
    ],
)
def test_where_a_stage_stands_on_a_day(
    bundled: dict[str, Election], stage_id: str, today: date, timing: Timing, days: int | None
) -> None:
    stage = next(s for s in bundled["pemilu2024"].stages if s.id == stage_id)
    assert stage_timing(stage, today) == type(stage_timing(stage, today))(stage, timing, days)


def test_a_stage_with_no_date_yet_is_not_set(bundled: dict[str, Election]) -> None:
    start = next(s for s in bundled["pemilu2029"].stages if s.id == "tahapan-dimulai")
    assert stage_timing(start, date(2026, 1, 1)).timing is Timing.NOT_SET


def test_small_helpers(elections: list[Election], bundled: dict[str, Election]) -> None:
    assert days_until(date(2024, 2, 14), date(2024, 2, 4)) == 10
    assert days_until(date(2024, 2, 14), date(2024, 2, 15)) == -1
    found = find_election(elections, " Pilkada-2024 ")
    assert found is not None and found.code == "pilkada2024"
    assert find_election(elections, "pemilu2034") is None
    pilkada = bundled["pilkada2024"]
    assert sources_of(pilkada, pilkada.key_stages) == ["PKPU 2/2024", "Perpres 13/2025"]
    assert sources_of(pilkada, ()) == ["PKPU 2/2024"]
