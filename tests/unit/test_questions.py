"""Date questions in words: which election, which stage, which language — or not a question."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from broadcasts.calendars import bundled_files, read_calendar_file
from broadcasts.elections import CalendarError, Election, find_election, parse_election
from broadcasts.questions import (
    bundled_vocabulary,
    election_named,
    parse_vocabulary,
    read_question,
    words_of,
)

TODAY = date(2024, 2, 4)  # the campaign of Pemilu 2024


@pytest.fixture(scope="module")
def elections() -> tuple[Election, ...]:
    found = (read_calendar_file(path) for path in bundled_files())
    return tuple(sorted(found, key=lambda e: e.year))


@pytest.mark.parametrize(
    ("text", "code", "stages", "language"),
    [
        ("kapan pencoblosan?", "pemilu2024", ["pemungutan-suara"], "id"),
        ("Kapan masa tenang Pilkada 2024?", "pilkada2024", ["masa-tenang"], "id"),
        ("kapan masa tenang pemilu 2024?", "pemilu2024", ["masa-tenang"], "id"),
        ("when is voting day?", "pemilu2024", ["pemungutan-suara"], "en"),
        ("tanggal nyoblos", "pemilu2024", ["pemungutan-suara"], "id"),
        ("hari H pemilu 2029", "pemilu2029", ["pemungutan-suara"], "id"),
        ("hari-H PEMILU2029!!", "pemilu2029", ["pemungutan-suara"], "id"),
        ("kapan pemilu 2024?", "pemilu2024", ["pemungutan-suara"], "id"),
        ("when is the election?", "pemilu2024", ["pemungutan-suara"], "en"),
        ("when does the campaign end?", "pemilu2024", ["kampanye"], "en"),
        ("kampanye", "pemilu2024", ["kampanye"], "id"),
        ("sampai kapan masa kampanye pilkada2024?", "pilkada2024", ["kampanye"], "id"),
        ("kapan rekapitulasi pilkada?", "pilkada2024", ["penghitungan-rekapitulasi"], "id"),
        # A stage named as another election names it means the same kind of stage here.
        (
            "kapan rekapitulasi hasil penghitungan suara pilkada",
            "pilkada2024",
            ["penghitungan-rekapitulasi"],
            "id",
        ),
        # The most specific kind a phrase may mean wins.
        ("kapan pendaftaran capres?", "pemilu2024", ["pencalonan-presiden"], "id"),
        (
            "kapan pencalonan?",
            "pemilu2024",
            ["pencalonan-dpd", "pencalonan-dpr-dprd", "pencalonan-presiden"],
            "id",
        ),
        ("when is the regional election quiet period?", "pilkada2024", ["masa-tenang"], "en"),
        ("kapan pelantikan presiden?", "pemilu2024", ["pelantikan-presiden"], "id"),
    ],
)
def test_a_question_finds_its_election_stage_and_language(
    elections: tuple[Election, ...], text: str, code: str, stages: list[str], language: str
) -> None:
    question = read_question(text, elections, TODAY)
    assert question is not None and question.election is not None
    assert question.election.code == code
    assert [s.id for s in question.stages] == stages
    assert question.language == language


@pytest.mark.parametrize(
    "text",
    [
        "halo apa kabar",
        "kapan kita ketemu?",
        "kampanye hitam itu hoaks",  # mentions a stage, asks nothing
        "terima kasih",
        "",
        "???",
        "2024",
        "🙏🙏",
    ],
)
def test_other_messages_are_not_date_questions(elections: tuple[Election, ...], text: str) -> None:
    assert read_question(text, elections, TODAY) is None


def test_an_unknown_stage_keeps_the_words_not_understood(
    elections: tuple[Election, ...],
) -> None:
    question = read_question("kapan debat capres pemilu 2024?", elections, TODAY)
    assert question is not None and question.election is not None
    assert question.election.code == "pemilu2024" and question.stages == ()
    assert question.unknown_words == "debat capres"


def test_an_election_not_in_the_calendar_is_reported_as_named(
    elections: tuple[Election, ...],
) -> None:
    question = read_question("kapan pemilu 2034?", elections, TODAY)
    assert question is not None and question.election is None
    assert question.election_words == "pemilu 2034"


def test_a_stage_asked_of_an_election_without_it_finds_no_stage(
    elections: tuple[Election, ...],
) -> None:
    question = read_question("kapan coklit pemilu 2029?", elections, TODAY)
    assert question is not None and question.election is not None
    assert question.election.code == "pemilu2029" and question.stages == ()


def test_without_an_election_named_the_day_decides(elections: tuple[Election, ...]) -> None:
    def code(text: str, today: date) -> str | None:
        question = read_question(text, elections, today)
        return question.election.code if question and question.election else None

    assert code("kapan pencoblosan?", date(2024, 3, 1)) == "pilkada2024"
    # Tabulation of Pemilu 2024 is under way: "until when" is about that one.
    assert code("sampai kapan rekapitulasi?", date(2024, 3, 1)) == "pemilu2024"
    assert code("kapan pencoblosan?", date(2025, 1, 1)) == "pemilu2029"
    # A family that is over: its latest election.
    assert code("kapan pilkada?", date(2026, 1, 1)) == "pilkada2024"


def test_stage_names_and_words_come_from_the_calendar_loaded(
    elections: tuple[Election, ...],
) -> None:
    """A calendar loaded later brings its own stage words: no code change."""
    document = {
        "code": "pemilu2029",
        "family": "pemilu",
        "year": 2029,
        "status": "set",
        "name": {"id": "Pemilu 2029", "en": "2029 General Election"},
        "source": "PKPU 9/2027",
        "stages": [
            {
                "id": "debat",
                "name": {"id": "Debat kandidat", "en": "Candidate debates"},
                "words": {"id": ["debat capres"], "en": ["presidential debate"]},
                "start": "2029-01-05",
                "end": "2029-02-03",
                "source": "PKPU 9/2027",
            },
            {
                "id": "pemungutan-suara",
                "kind": "voting",
                "name": {"id": "Pemungutan suara", "en": "Voting day"},
                "start": "2029-02-14",
                "end": "2029-02-14",
                "source": "PKPU 9/2027",
            },
        ],
    }
    official = (*elections[:-1], parse_election(document))
    question = read_question("kapan debat capres pemilu 2029?", official, TODAY)
    assert question is not None and [s.id for s in question.stages] == ["debat"]
    english = read_question("when is the presidential debate of pemilu2029", official, TODAY)
    assert english is not None and english.language == "en"
    assert [s.id for s in english.stages] == ["debat"]


def test_election_named_reads_codes_families_and_years(
    elections: tuple[Election, ...],
) -> None:
    def code(text: str) -> str | None:
        found = election_named(text, elections, TODAY)
        return found.code if found else None

    assert code("pilkada") == "pilkada2024"
    assert code("PEMILU 2029") == "pemilu2029"
    assert code("pemilu") == "pemilu2024"
    assert code("xyz") is None
    assert code("pemilu 2034") is None


def test_words_are_folded_split_and_codes_read_as_family_and_year() -> None:
    assert words_of("Hari-H  PEMILU2029?!") == ("hari", "h", "pemilu", "2029")
    assert words_of("ＫＡＰＡＮ") == ("kapan",)  # full-width letters, as some keyboards send


def test_the_bundled_vocabulary_reads_and_a_broken_one_is_refused() -> None:
    vocabulary = bundled_vocabulary()
    assert ("hari", "h") in vocabulary.stages["voting"]["id"]
    assert ("on",) in vocabulary.filler["en"]  # YAML would have made it a boolean
    with pytest.raises(CalendarError, match="question: en must be a list of phrases"):
        parse_vocabulary({"question": {"en": "when"}, "filler": {}, "elections": {}, "stages": {}})
    with pytest.raises(CalendarError, match="unknown field 'stage'"):
        parse_vocabulary({"stage": {}})


def test_very_long_text_is_read_whole(
    elections: tuple[Election, ...],
) -> None:
    text = "kapan pencoblosan " * 300
    question = read_question(text, elections, TODAY)
    assert question is not None and [s.id for s in question.stages] == ["pemungutan-suara"]


BUNDLED = tuple(sorted(map(read_calendar_file, bundled_files()), key=lambda e: e.year))
VOCABULARY_WORDS = sorted(
    " ".join(phrase)
    for groups in (bundled_vocabulary().stages, bundled_vocabulary().families)
    for by_language in groups.values()
    for phrases in by_language.values()
    for phrase in phrases
)
# Random text, and random text salted with the words the reader looks for.
ANY_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=200)
WORDY_TEXT = st.lists(
    st.sampled_from([*VOCABULARY_WORDS, "kapan", "when", "2024", "2029", "?", "xyz"])
    | st.text(max_size=8),
    max_size=12,
).map(" ".join)


@settings(max_examples=300)
@given(ANY_TEXT | WORDY_TEXT, st.dates())
def test_any_text_on_any_day_reads_without_error_into_a_consistent_question(
    text: str, today: date
) -> None:
    question = read_question(text, BUNDLED, today)
    if question is not None:
        assert question.language in (None, "id", "en")
        if question.election is None:
            assert question.stages == ()
        else:
            assert all(s in question.election.stages for s in question.stages)
    named = election_named(text, BUNDLED, today)
    assert named is None or find_election(BUNDLED, named.code) is named
