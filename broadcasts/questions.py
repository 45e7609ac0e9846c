"""Questions about election dates in words: which election, which stage, and in which language.

"kapan masa tenang pilkada 2024?", "when is voting day?", "tanggal nyoblos", "hari H pemilu 2029".
The words come from data: `config/elections/vocabulary.yaml` (question words, election families,
the words for each kind of stage) plus each calendar's own stage names and words, so a calendar
loaded later is understood with no code change. Pure domain: elections and the day are passed in.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

import yaml

from broadcasts.elections import (
    CalendarError,
    Election,
    Stage,
    latest_election,
    next_election,
    stages_in_progress,
)
from config.settings import ELECTIONS_DIR, SUPPORTED_LANGUAGES

VOCABULARY_FILE = ELECTIONS_DIR / "vocabulary.yaml"
ANY_ELECTION = "any"  # the family word that names no family in particular ("election")

_YEAR = re.compile(r"^(19|20|21)\d\d$")
# "pemilu2024" is also read as "pemilu 2024", so family and year are found in a code.
_LETTERS_THEN_YEAR = re.compile(r"(?<=[a-z])(?=\d{4}(?!\d))")
_NOT_WORD = re.compile(r"[^\w]+|_+")


@dataclass(frozen=True)
class Vocabulary:
    """Phrases (tuples of words) with what they mean and the language they are in."""

    question: Mapping[str, frozenset[tuple[str, ...]]]
    filler: Mapping[str, frozenset[tuple[str, ...]]]
    families: Mapping[str, Mapping[str, frozenset[tuple[str, ...]]]]
    stages: Mapping[str, Mapping[str, frozenset[tuple[str, ...]]]]


@dataclass(frozen=True)
class Question:
    """What a message asks. `election` None: the words name no election in the calendar;
    `stages` empty: none of the election's stages matches the words."""

    election: Election | None
    stages: tuple[Stage, ...]
    language: str | None  # None when the words do not tell
    election_words: str = ""  # how the member named the election
    unknown_words: str = ""  # words that are neither a stage nor filler


@dataclass
class _Reading:
    """What the words of a message were found to be."""

    question: bool = False
    codes: list[str] = field(default_factory=list)
    families: list[str] = field(default_factory=list)
    years: list[int] = field(default_factory=list)
    kinds: list[tuple[str, ...]] = field(default_factory=list)  # the kinds of each phrase
    stages: list[tuple[str, str]] = field(default_factory=list)  # (election code, stage id)
    election_words: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    languages: dict[str, int] = field(default_factory=dict)

    @property
    def names_election(self) -> bool:
        return bool(self.codes or self.families)

    @property
    def names_stage(self) -> bool:
        return bool(self.kinds or self.stages)

    @property
    def language(self) -> str | None:
        english, indonesian = self.languages.get("en", 0), self.languages.get("id", 0)
        return "en" if english > indonesian else "id" if indonesian > english else None


# --- The vocabulary ------------------------------------------------------------------------


def words_of(text: str) -> tuple[str, ...]:
    """Lowercase words; punctuation and hyphens separate words; "pemilu2024" → pemilu 2024."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return tuple(_NOT_WORD.sub(" ", _LETTERS_THEN_YEAR.sub(" ", folded)).split())


def parse_vocabulary(document: object, origin: str = "vocabulary") -> Vocabulary:
    top = _mapping(document, origin, {"question", "filler", "elections", "stages"})
    return Vocabulary(
        question=_by_language(top.get("question"), f"{origin}: question"),
        filler=_by_language(top.get("filler"), f"{origin}: filler"),
        families=_grouped(top.get("elections"), f"{origin}: elections"),
        stages=_grouped(top.get("stages"), f"{origin}: stages"),
    )


def load_vocabulary(path: Path = VOCABULARY_FILE) -> Vocabulary:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise CalendarError(f"{path.name}: cannot be read: {error}") from error
    return parse_vocabulary(document, path.name)


@cache
def bundled_vocabulary() -> Vocabulary:
    """Read once per process: the words change with a release, not per request."""
    return load_vocabulary()


def _mapping(value: object, where: str, allowed: set[str] | None = None) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise CalendarError(f"{where}: expected a mapping")
    unknown = [str(k) for k in value if allowed is not None and k not in allowed]
    if unknown:
        raise CalendarError(f"{where}: unknown field {unknown[0]!r}")
    return value


def _by_language(value: object, where: str) -> Mapping[str, frozenset[tuple[str, ...]]]:
    languages = _mapping(value, where, set(SUPPORTED_LANGUAGES))
    found: dict[str, frozenset[tuple[str, ...]]] = {}
    for language, phrases in languages.items():
        if not isinstance(phrases, list) or not all(isinstance(p, str) for p in phrases):
            raise CalendarError(f"{where}: {language} must be a list of phrases")
        found[language] = frozenset(w for w in (words_of(p) for p in phrases) if w)
    return found


def _grouped(value: object, where: str) -> Mapping[str, Mapping[str, frozenset[tuple[str, ...]]]]:
    groups = _mapping(value, where)
    return {str(name): _by_language(words, f"{where}: {name}") for name, words in groups.items()}


# --- Reading a message ---------------------------------------------------------------------

# A meaning: (what it is, its value, its language or None). What: question, filler, family,
# kind, stage (value "code/stage-id"), code.
_Meaning = tuple[str, str, str | None]


@dataclass(frozen=True)
class _Index:
    phrases: Mapping[tuple[str, ...], list[_Meaning]]
    longest: int


# The last index built, with the objects it was built from: the calendars come from a cache, so
# the same objects arrive request after request, and the index is built once per calendar change.
_last_index: tuple[Vocabulary, Sequence[Election], _Index] | None = None


def _index_for(vocabulary: Vocabulary, elections: Sequence[Election]) -> _Index:
    global _last_index
    last = _last_index
    if last is not None and last[0] is vocabulary and last[1] is elections:
        return last[2]
    index = _build_index(vocabulary, elections)
    _last_index = (vocabulary, elections, index)
    return index


def _build_index(vocabulary: Vocabulary, elections: Sequence[Election]) -> _Index:
    index: dict[tuple[str, ...], list[_Meaning]] = {}

    def add(phrases: Iterable[tuple[str, ...]], meaning: _Meaning) -> None:
        for phrase in phrases:
            meanings = index.setdefault(phrase, [])
            if phrase and meaning not in meanings:
                meanings.append(meaning)

    for language, phrases in vocabulary.question.items():
        add(phrases, ("question", "", language))
    for language, phrases in vocabulary.filler.items():
        add(phrases, ("filler", "", language))
    for family, by_language in vocabulary.families.items():
        for language, phrases in by_language.items():
            add(phrases, ("family", family, language))
    for kind, by_language in vocabulary.stages.items():
        for language, phrases in by_language.items():
            add(phrases, ("kind", kind, language))
    for election in elections:
        add([words_of(election.code)], ("code", election.code, None))
        for stage in election.stages:
            value = f"{election.code}/{stage.id}"
            add([words_of(stage.name.id), *map(words_of, stage.words.id)], ("stage", value, "id"))
            add([words_of(stage.name.en), *map(words_of, stage.words.en)], ("stage", value, "en"))
    index.pop((), None)
    return _Index(index, max(map(len, index), default=1))


def _read(words: Sequence[str], index: _Index) -> _Reading:
    """Longest phrase first at each place; a word that is in no phrase is a year or unknown."""
    reading = _Reading()
    at = 0
    while at < len(words):
        for length in range(min(index.longest, len(words) - at), 0, -1):
            phrase = tuple(words[at : at + length])
            meanings = index.phrases.get(phrase)
            if meanings:
                _note(reading, phrase, meanings)
                at += length
                break
        else:
            word = words[at]
            if _YEAR.match(word):
                reading.years.append(int(word))
                reading.election_words.append(word)
            else:
                reading.unknown.append(word)
            at += 1
    return reading


def _note(reading: _Reading, phrase: tuple[str, ...], meanings: list[_Meaning]) -> None:
    # A phrase counts once for each language it belongs to, however many meanings it has.
    for language in {language for _, _, language in meanings if language is not None}:
        reading.languages[language] = reading.languages.get(language, 0) + 1
    kinds = tuple(value for what, value, _ in meanings if what == "kind")
    if kinds:
        reading.kinds.append(kinds)
    for what, value, _language in meanings:
        if what == "question":
            reading.question = True
        elif what == "family":
            reading.families.append(value)
        elif what == "code":
            reading.codes.append(value)
        elif what == "stage":
            code, _, stage_id = value.partition("/")
            reading.stages.append((code, stage_id))
    if any(what in ("family", "code") for what, _, _ in meanings):
        reading.election_words.append(" ".join(phrase))


def read_question(
    text: str,
    elections: Sequence[Election],
    today: date,
    vocabulary: Vocabulary | None = None,
) -> Question | None:
    """The date question `text` asks, or None when it is not one."""
    words = words_of(text)
    if not words or not elections:
        return None
    reading = _read(words, _index_for(vocabulary or bundled_vocabulary(), elections))
    asks = reading.question or "?" in text
    if reading.names_stage:
        if not (asks or reading.names_election or not reading.unknown):
            return None  # a statement that mentions a stage ("kampanye hitam itu hoaks")
    elif not (reading.names_election and asks):
        return None
    election = _election(reading, elections, today)
    if election is None:
        return Question(None, (), reading.language, " ".join(reading.election_words))
    stages = _stages(reading, election, elections)
    unknown = " ".join(reading.unknown) if not stages else ""
    return Question(election, stages, reading.language, election.code, unknown)


def election_named(
    text: str, elections: Sequence[Election], today: date, vocabulary: Vocabulary | None = None
) -> Election | None:
    """The election some words name ("pilkada 2024", "PEMILU2029", "pilkada"), if any."""
    words = words_of(text)
    if not words:
        return None
    reading = _read(words, _index_for(vocabulary or bundled_vocabulary(), elections))
    if reading.unknown or not (reading.names_election or reading.years):
        return None
    return _election(reading, elections, today)


def _election(reading: _Reading, elections: Sequence[Election], today: date) -> Election | None:
    if reading.codes:
        return next(e for e in elections if e.code == reading.codes[0])
    candidates = list(elections)
    families = [f for f in reading.families if f != ANY_ELECTION]
    if families:
        candidates = [e for e in candidates if e.family in families]
    if reading.years:
        candidates = [e for e in candidates if e.year in reading.years]
    if not candidates:
        return None
    kinds = {k for group in reading.kinds for k in group}
    kinds |= {_kind_of_stage(ref, elections) for ref in reading.stages}
    under_way = [
        e
        for e in candidates
        if any(kinds.intersection(s.kinds) for s in stages_in_progress(e, today))
    ]
    if under_way:
        return under_way[0]
    return next_election(candidates, today) or latest_election(candidates)


def _stages(
    reading: _Reading, election: Election, elections: Sequence[Election]
) -> tuple[Stage, ...]:
    named = [s for s in election.stages if (election.code, s.id) in reading.stages]
    if named:
        return tuple(named)
    # A stage named after another election's ("rekapitulasi hasil penghitungan suara" of
    # Pemilu 2024, asked of Pilkada) means the same kind of stage here.
    groups = [*reading.kinds, *((_kind_of_stage(ref, elections),) for ref in reading.stages)]
    if groups:
        found: list[Stage] = []
        for group in groups:
            for stage in _most_specific(election, group):
                if stage not in found:
                    found.append(stage)
        return tuple(sorted(found, key=election.stages.index))
    if reading.unknown:
        return ()
    voting = election.voting_stage  # "kapan pemilu 2024?" asks for its voting day
    return (voting,) if voting is not None else ()


def _most_specific(election: Election, kinds: Sequence[str]) -> tuple[Stage, ...]:
    """Of the kinds one phrase may mean, the one naming the fewest of this election's stages
    ("pendaftaran capres": the presidential candidacy, not every candidacy)."""
    matches = [election.stages_of_kind([kind]) for kind in kinds if kind]
    return min((m for m in matches if m), key=len, default=())


def _kind_of_stage(ref: tuple[str, str], elections: Sequence[Election]) -> str:
    code, stage_id = ref
    for election in elections:
        if election.code == code:
            for stage in election.stages:
                if stage.id == stage_id and stage.kinds:
                    return stage.kinds[0]
    return ""
