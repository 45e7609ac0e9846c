"""Questions in words: which election, which stage, which kind of answer — never a guessed date.

Each class of misreading found in members' questions has a case here; the labelled corpus in
tests/questions/ measures the whole through the chat path.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from broadcasts.elections.calendar import Election, ElectionDataError, parse_election
from broadcasts.elections.faq import FaqEntry, read_faq_file
from broadcasts.elections.questions import (
    Kind,
    Understood,
    bundled_vocabulary,
    election_named,
    parse_vocabulary,
    understand,
    words_of,
)
from broadcasts.elections.stored import bundled_files, read_calendar_file
from config.settings import FAQ_DIR

TODAY = date(2026, 12, 2)  # no election under way; Pemilu 2029 not set yet
BUNDLED = tuple(sorted(map(read_calendar_file, bundled_files()), key=lambda e: (e.year, e.code)))
FAQ = tuple(e for path in sorted(FAQ_DIR.glob("*.yaml")) for e in read_faq_file(Path(path)))


def ask(text: str, today: date = TODAY, elections: tuple[Election, ...] = BUNDLED) -> Understood:
    understood = understand(text, elections, today, FAQ)
    assert understood is not None, text
    return understood


def answered(text: str, today: date = TODAY) -> list[tuple[str, list[str]]]:
    """(election code, stage ids) of a date answer."""
    understood = ask(text, today)
    assert understood.kind is Kind.DATES, (text, understood)
    return [(a.election.code, [s.id for s in a.stages]) for a in understood.answers]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Office words choose the election, and the stage within it.
        ("kapan pelantikan presiden 2024?", [("pemilu2024", ["pelantikan-presiden"])]),
        ("kapan pelantikan DPR 2024", [("pemilu2024", ["sumpah-dpr-dpd"])]),
        ("pendaftaran capres 2024 kapan", [("pemilu2024", ["pencalonan-presiden"])]),
        # A year may be the year of the stage, not of the election.
        ("pelantikan kepala daerah 2025", [("pilkada2024", ["pelantikan-serentak"])]),
        ("kapan pelantikan 2024", [("pemilu2024", ["sumpah-dpr-dpd", "pelantikan-presiden"])]),
        # Both 2024 elections voted: both are answered, not one guessed.
        (
            "kapan pencoblosan 2024",
            [("pemilu2024", ["pemungutan-suara"]), ("pilkada2024", ["pemungutan-suara"])],
        ),
        # Typos, slang and affixes.
        ("kpn pemillu 2024 ya min", [("pemilu2024", ["pemungutan-suara"])]),
        ("tgl brp nyoblos pilkada 2024 lur", [("pilkada2024", ["pemungutan-suara"])]),
        ("pemilu 2024 masa tenangnye kapan bang", [("pemilu2024", ["masa-tenang"])]),
        ("kampannye pilgub 2024 sampe kpn", [("pilkada2024", ["kampanye"])]),
        # Words that name a stage only together, in any order.
        ("kapan partai daftar ke kpu buat pemilu 2024", [("pemilu2024", ["pendaftaran-peserta"])]),
        # Qualifiers: a re-vote is not the voting day; a month tells two elections apart.
        ("kapan pemungutan suara ulang pilkada 2024", [("pilkada2024", ["psu"])]),
        ("quiet period of the February 2024 election?", [("pemilu2024", ["masa-tenang"])]),
        # A re-vote or a dispute is known only after the fact: asked with no year, the last one.
        ("kapan pemilihan ulang kotak kosong", [("pilkada2024", ["pemilihan-ulang"])]),
        ("psu kapan min", [("pilkada2024", ["psu"])]),
        # Debates: the presidential candidates' or all of them.
        ("debat capres 2024 kapan", [("pemilu2024", ["debat-1", "debat-3", "debat-5"])]),
    ],
)
def test_dates_are_answered_for_the_election_and_stage_asked(
    text: str, expected: list[tuple[str, list[str]]]
) -> None:
    assert answered(text) == expected


@pytest.mark.parametrize(
    ("text", "code", "last"),
    [
        ("kapan masa tenang pemilu 2029?", "pemilu2029", "pemilu2024"),
        ("kapan pelantikan kepala daerah?", "pemilulokal", "pilkada2024"),
        ("pemilu lokal kapan?", "pemilulokal", "pilkada2024"),
        ("pemilihan DPRD berikutnya kapan?", "pemilulokal", "pemilu2024"),
        ("kapan pelantikan presiden?", "pemilu2029", "pemilu2024"),
        ("kapan nyoblos?", "pemilu2029", "pemilu2024"),
        ("when will the 2029 election be held?", "pemilu2029", "pemilu2024"),
    ],
)
def test_an_election_without_dates_says_so_with_when_the_stage_was_last_held(
    text: str, code: str, last: str
) -> None:
    understood = ask(text)
    assert understood.kind is Kind.NOT_SET
    (answer,) = understood.answers
    assert answer.election.code == code
    assert [held.code for held, _ in answer.last] == [last]


@pytest.mark.parametrize(
    ("text", "kind", "faq"),
    [
        ("apa itu pilkada?", Kind.FAQ, "pilkada"),
        ("gimana cara pindah memilih", Kind.FAQ, "pindah-memilih"),
        ("what should I bring to the polling station?", Kind.FAQ, "bawa-ke-tps"),
        ("berapa gaji KPPS?", Kind.DONT_KNOW, None),
        ("siapa yang menang pilkada jakarta?", Kind.DONT_KNOW, None),
        ("hasil quick count kapan keluar", Kind.DONT_KNOW, None),
        ("kapan PSU di kabupaten Serang", Kind.DONT_KNOW, None),
        ("When was the re-vote in Banjarbaru?", Kind.DONT_KNOW, None),
        ("kapan pelantikan bupati Puncak Jaya", Kind.DONT_KNOW, None),
        ("halo min", Kind.GREETING, None),
        ("Assalamualaikum wr wb", Kind.SALAM, None),
        ("ok siap", Kind.ACK, None),
        ("selamat pagi bapak ibu", Kind.GREETING, None),
        ("makasih banyak min 🙏", Kind.THANKS, None),
        ("kapan pemilu 2019?", Kind.UNKNOWN_ELECTION, None),
        ("pilpres 2030 kapan", Kind.UNKNOWN_ELECTION, None),
    ],
)
def test_other_questions_get_the_faq_or_an_honest_answer_never_a_date(
    text: str, kind: Kind, faq: str | None
) -> None:
    understood = ask(text)
    assert (understood.kind, understood.faq) == (kind, faq)
    assert not understood.answers


@pytest.mark.parametrize(
    "text", ["kampanye hitam itu hoaks", "", "???", "2024", "12345", "🙏🙏", "ok sip 👍 hehe wkwk"]
)
def test_messages_that_ask_nothing_get_no_date(text: str) -> None:
    understood = understand(text, BUNDLED, TODAY, FAQ)
    assert understood is None or not understood.answers


def test_a_statement_about_a_hoax_is_told_how_to_report_one() -> None:
    assert ask("kampanye hitam itu hoaks").faq == "lapor-hoaks"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("when is voting day?", "en"),
        ("What is a legislative election (pileg)?", "en"),
        ("kapan quiet period pemilu 2024?", "id"),  # mixed: Indonesian
        ("kapan pencoblosan?", "id"),
    ],
)
def test_the_language_asked_in(text: str, language: str) -> None:
    assert ask(text).language == language


def test_while_a_stage_is_under_way_until_when_is_about_that_one() -> None:
    during_tabulation = date(2024, 3, 1)
    assert answered("sampai kapan rekapitulasi?", during_tabulation)[0][0] == "pemilu2024"
    assert answered("kapan pencoblosan?", during_tabulation) == [
        ("pilkada2024", ["pemungutan-suara"])
    ]


def test_a_calendar_loaded_later_brings_its_own_stage_words() -> None:
    """An official 2029 calendar, loaded with no code change, is understood at once."""
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
                "words": {"id": ["adu gagasan"], "en": ["face-off"]},
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
    official = (*(e for e in BUNDLED if e.code != "pemilu2029"), parse_election(document))
    understood = understand("kapan adu gagasan pemilu 2029?", official, TODAY)
    assert understood is not None and understood.kind is Kind.DATES
    assert [s.id for s in understood.answers[0].stages] == ["debat"]
    voting = understand("kapan pencoblosan?", official, TODAY)
    assert voting is not None and voting.answers[0].election.voting_day == date(2029, 2, 14)


def test_an_faq_loaded_later_is_understood() -> None:
    entry = FaqEntry(
        id="saksi",
        topics_id=("saksi tps",),
        topics_en=("polling witness",),
        title=FAQ[0].title,
        answer=FAQ[0].answer,
        source="UU 7/2017",
    )
    understood = understand("apa tugas saksi TPS?", BUNDLED, TODAY, (*FAQ, entry))
    assert understood is not None and understood.faq == "saksi"


def test_election_named_reads_codes_families_and_years_but_not_questions() -> None:
    def code(text: str) -> str | None:
        found = election_named(text, BUNDLED, TODAY)
        return found.code if found else None

    assert code("pilkada 2024") == "pilkada2024"
    assert code("PEMILU 2029") == "pemilu2029"
    assert code("Pilkada Serentak 2024") == "pilkada2024"
    assert code("2024 General Election") == "pemilu2024"
    assert code("pilpres") == "pemilu2029"
    assert code("xyz") is None
    assert code("pemilu 2034") is None
    assert code("debat pilkada") is None  # a stage: a question, not a name
    assert code("pemilu 2024 kapan") is None


def test_words_are_folded_split_and_codes_read_as_family_and_year() -> None:
    assert words_of("Hari-H  PEMILU2029?!") == ("hari", "h", "pemilu", "2029")
    assert words_of("ＫＡＰＡＮ") == ("kapan",)  # full-width letters, as some keyboards send


def test_the_bundled_vocabulary_reads_and_a_broken_one_is_refused() -> None:
    vocabulary = bundled_vocabulary()
    assert "hari h" in vocabulary.stages["voting"]["id"]
    assert "on" in vocabulary.sections["filler"]["en"]  # YAML would have made it a boolean
    with pytest.raises(ElectionDataError, match="when: en must be a list of phrases"):
        parse_vocabulary({"when": {"en": "when"}})
    with pytest.raises(ElectionDataError, match="unknown field 'stage'"):
        parse_vocabulary({"stage": {}})
    with pytest.raises(ElectionDataError, match="one word mapped to one word"):
        parse_vocabulary({"slang": {"gmn": "bagaimana caranya"}})
    with pytest.raises(ElectionDataError, match="lists of two or more words"):
        parse_vocabulary({"together": {"results": [["hasil"]]}})


def test_very_long_text_is_read_whole() -> None:
    assert answered("kapan pencoblosan pilkada 2024 " * 300) == [
        ("pilkada2024", ["pemungutan-suara"])
    ]


VOCABULARY_WORDS = sorted(
    phrase
    for groups in (bundled_vocabulary().stages, bundled_vocabulary().families)
    for by_language in groups.values()
    for phrases in by_language.values()
    for phrase in phrases
)
# Random text, and random text salted with the words the reader looks for.
ANY_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=200)
WORDY_TEXT = st.lists(
    st.sampled_from([*VOCABULARY_WORDS, "kapan", "apa itu", "when", "2024", "2029", "?", "xyz"])
    | st.text(max_size=8),
    max_size=12,
).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(ANY_TEXT | WORDY_TEXT, st.dates())
def test_any_text_on_any_day_reads_into_a_consistent_answer(text: str, today: date) -> None:
    understood = understand(text, BUNDLED, today, FAQ)
    if understood is None:
        return
    assert understood.language in (None, "id", "en")
    if understood.kind in (Kind.DATES, Kind.NOT_SET, Kind.UNKNOWN_STAGE):
        assert understood.answers
        for answer in understood.answers:
            assert all(s in answer.election.stages for s in answer.stages)
            # Dates are only ever the calendar's own: a decided election's stages.
            if understood.kind is Kind.DATES:
                assert answer.election.decided and answer.stages
    else:
        assert not understood.answers
    if understood.kind is Kind.FAQ:
        assert understood.faq in {e.id for e in FAQ}
