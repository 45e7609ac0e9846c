"""What a message asks, and which kind of answer it gets — never a guessed date.

The rules, in order: a greeting or a thank-you alone is one; a question about polls, pay or
winners is not ours to answer; a question of another kind (what, how, who) is answered from the
FAQ or honestly not at all; a question about a date is answered from the calendars. There the
words choose the election: its code; its family ("pilkada") or the office it fills
("presiden" → the general election); a year, which may be the year of the stage asked
("pelantikan kepala daerah 2025"); and the stage, which only some elections have. With nothing
to choose by, the next election is meant. An election KPU has not set the dates of says so, with
when the same stage was last held.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from rapidfuzz import fuzz, process

from broadcasts.elections.calendar import (
    Election,
    Stage,
    next_election,
    stages_in_progress,
)
from broadcasts.elections.questions.reading import Index, Reading, Topic, build_index, read
from broadcasts.elections.questions.vocabulary import Vocabulary, bundled_vocabulary
from broadcasts.elections.questions.words import is_indonesian

ANY_ELECTION = "any"  # the family word that names no family in particular ("election")
_MOST_ELECTIONS = 3  # one question answered for at most this many elections ("pencoblosan 2024")
_PHRASE_WEIGHT = 2.0  # per word of a topic phrase found whole
_LEAST_TOPIC_SCORE = 0.9  # one word only this entry's topics use, or a phrase
# Stages that happen only when something calls for them: asked with no year, the last one held.
_CONTINGENT = frozenset({"revote", "empty-box", "dispute", "second-round"})
_THING_LENGTH = 5
_CHOICES, _CHOICE_SCORE, _LEAST_CHOICE_WORDS = 3, 80.0, 4  # "Maksud Anda: …?"
_GREETING_EXTRA_WORDS = 3  # "halo pak budi", "thank you so much": a few more words


class Kind(enum.StrEnum):
    DATES = "dates"  # stages with their dates
    NOT_SET = "not-set"  # the dates asked for are not set by KPU yet
    UNKNOWN_STAGE = "unknown-stage"  # an election named, but no stage of it understood
    UNKNOWN_ELECTION = "unknown-election"  # an election the calendars do not have
    FAQ = "faq"
    GREETING = "greeting"
    SALAM = "salam"  # a greeting with the Islamic salam, answered with its reply
    THANKS = "thanks"
    ACK = "ack"  # "ok siap"
    CURRENT = "current"  # "sekarang lagi tahapan apa?": the stages under way (as TAHAPAN)
    DONT_KNOW = "dont-know"  # a question the bot has no answer to


@dataclass(frozen=True)
class Answer:
    """One election's part of a date answer."""

    election: Election
    stages: tuple[Stage, ...]  # the stages asked, as this calendar has them
    # For an election without dates: the same stages where they were last held.
    last: tuple[tuple[Election, tuple[Stage, ...]], ...] = ()


@dataclass(frozen=True)
class Understood:
    kind: Kind
    language: str | None  # None when the words do not tell
    answers: tuple[Answer, ...] = ()
    faq: str | None = None  # the FAQ entry that answers
    words: str = ""  # how an unknown election was named, or the words not understood
    # Not sure which stage was meant: the closest ones, offered instead of a guess.
    choices: tuple[Stage, ...] = ()


# The indexes last built, with the objects they were built from: calendars and FAQ come from
# caches, so the same objects arrive request after request, and an index is built once per change.
_indexes: list[tuple[Vocabulary, Sequence[Election], Sequence[Topic], Index]] = []
_INDEXES_KEPT = 4


def index_for(
    vocabulary: Vocabulary, elections: Sequence[Election], topics: Sequence[Topic]
) -> Index:
    for known in _indexes:
        if known[0] is vocabulary and known[1] is elections and known[2] is topics:
            return known[3]
    index = build_index(vocabulary, elections, topics)
    _indexes.insert(0, (vocabulary, elections, topics, index))
    del _indexes[_INDEXES_KEPT:]
    return index


def understand(
    text: str,
    elections: Sequence[Election],
    today: date,
    topics: Sequence[Topic] = (),
    vocabulary: Vocabulary | None = None,
) -> Understood | None:
    """What `text` asks; None when it reads as no question at all (a command mistyped, noise)."""
    reading = read(text, index_for(vocabulary or bundled_vocabulary(), elections, topics))
    if not reading.words:
        return None
    language = reading.language
    if reading.has("now") and not (reading.names_election or reading.years):
        return Understood(Kind.CURRENT, language)  # "sekarang lagi tahapan apa?"
    asks_date, asks_other = reading.has("when"), reading.has("other")
    names = reading.names_election or reading.names_stage or bool(reading.years)
    if not (names or asks_date or asks_other or reading.topics or reading.has("outside")):
        return _courtesy(reading, language)
    if reading.has("outside"):
        return Understood(Kind.DONT_KNOW, language)
    if asks_other and not asks_date:
        return _from_faq(reading, language)
    if asks_date and names:
        return _dates(reading, elections, today, language)
    if _best_topic(reading) and not (reading.names_stage and (reading.years or reading.codes)):
        return _from_faq(reading, language)
    named = reading.names_election or reading.names_stage  # a year alone is no question
    if asks_date or (named and ("?" in text or not reading.unknown)):
        return _dates(reading, elections, today, language)
    if "?" in text:
        return Understood(Kind.DONT_KNOW, language, words=" ".join(reading.unknown))
    return None


def asks(
    text: str,
    elections: Sequence[Election],
    vocabulary: Vocabulary | None = None,
    cues: tuple[str, ...] = ("when", "other"),
) -> bool:
    """Whether `text` asks something ("dpt sampai kapan?", "bagaimana caranya"), by a question
    mark or a word of the vocabulary's `cues` sections."""
    reading = read(text, index_for(vocabulary or bundled_vocabulary(), elections, ()))
    return "?" in text or any(reading.has(cue) for cue in cues)


def election_named(
    text: str, elections: Sequence[Election], today: date, vocabulary: Vocabulary | None = None
) -> Election | None:
    """The election some words name ("pilkada 2024", "PEMILU2029", "pilpres"), if any."""
    reading = read(text, index_for(vocabulary or bundled_vocabulary(), elections, ()))
    if reading.unknown or reading.names_stage or not (reading.names_election or reading.years):
        return None
    if reading.has("when") or reading.has("other"):
        return None  # a question, not a name: "pemilu 2024 kapan?"
    pool = _by_year(_by_family(reading, elections), reading)
    return _choose(pool, reading, today)[0] if pool else None


def _courtesy(reading: Reading, language: str | None) -> Understood | None:
    if reading.has("now"):
        return Understood(Kind.CURRENT, language)
    if len(reading.unknown) > _GREETING_EXTRA_WORDS:
        return None
    for section, kind in _COURTESIES:
        if reading.has(section):
            return Understood(kind, language)
    return None


_COURTESIES = (
    ("salam", Kind.SALAM),
    ("greeting", Kind.GREETING),
    ("thanks", Kind.THANKS),
    ("ack", Kind.ACK),
)


def _from_faq(reading: Reading, language: str | None) -> Understood:
    best = _best_topic(reading)
    if best is None:
        return Understood(Kind.DONT_KNOW, language, words=" ".join(reading.unknown))
    return Understood(Kind.FAQ, language, faq=best)


def _best_topic(reading: Reading) -> str | None:
    """The FAQ entry whose topic the words name best: a whole phrase of it counts most, then
    its distinctive words ("What do DPT and DPK mean?"); None when none is named enough."""
    scores = dict(reading.topic_scores)
    for entry, length in reading.topics.items():
        scores[entry] = scores.get(entry, 0.0) + _PHRASE_WEIGHT * length
    best = max(scores.items(), key=lambda item: (item[1], item[0]), default=None)
    return best[0] if best is not None and best[1] >= _LEAST_TOPIC_SCORE else None


# --- Dates -----------------------------------------------------------------------------------


def _dates(
    reading: Reading, elections: Sequence[Election], today: date, language: str | None
) -> Understood:
    pool = _by_year(_by_family(reading, elections), reading)
    if not pool:
        named = " ".join(reading.election_words)
        return Understood(Kind.UNKNOWN_ELECTION, language, words=named)
    if reading.names_stage:
        # A stage only some elections have decides among them; one without dates may have it
        # when it fills an office of one that held it (the local elections may re-vote, as the
        # regional ones did; Pemilu 2029 elects no regent).
        having = [e for e in pool if e.decided and _stages(e, reading)]
        pool = [e for e in pool if e in having or _may_hold(e, having)] or pool
    chosen = _choose(pool, reading, today)
    answers = tuple(_answer(e, reading, _related(e, reading, elections), today) for e in chosen)
    if _about_one_region(reading, answers):
        return Understood(Kind.DONT_KNOW, language, words=" ".join(reading.unknown))
    if all(not a.election.decided for a in answers):
        return Understood(Kind.NOT_SET, language, answers)
    if not any(a.stages for a in answers):
        unknown = " ".join(reading.unknown)
        choices = _closest_stages(answers[0].election, unknown)
        return Understood(Kind.UNKNOWN_STAGE, language, answers, words=unknown, choices=choices)
    return Understood(Kind.DATES, language, tuple(a for a in answers if a.stages))


def _about_one_region(reading: Reading, answers: Sequence[Answer]) -> bool:
    """A question about one region ("PSU di kabupaten Serang", "pelantikan bupati Puncak Jaya")
    whose answer would be a national range, or nothing at all: not ours to answer."""
    if not reading.places:
        return False
    stages = [s for a in answers for s in (*a.stages, *(s for _, held in a.last for s in held))]
    return not stages or all(s.regional for s in stages)


def _by_family(reading: Reading, elections: Sequence[Election]) -> list[Election]:
    if reading.codes:
        return [e for e in elections if e.code in reading.codes]
    named = {f for f in reading.families if f != ANY_ELECTION}
    pool = [e for e in elections if e.family in named] if named else list(elections)
    offices = set(reading.offices)
    if offices:
        # An election that lists its offices fills those; one that does not, its family's.
        families = set(reading.office_families)
        filling = [
            e
            for e in pool
            if offices & set(e.offices or ()) or (not e.offices and e.family in families)
        ]
        pool = filling or pool
    return pool


def _may_hold(election: Election, having: Sequence[Election]) -> bool:
    if election.decided:
        return False
    if not having or not election.offices:
        return True
    return any(set(election.offices) & set(e.offices) or not e.offices for e in having)


def _related(election: Election, reading: Reading, elections: Sequence[Election]) -> list[Election]:
    """Where a stage asked of an election without dates was held before: the elections that
    filled the offices asked about ("pemilihan DPRD" — Pemilu 2024's), else its own family's,
    else those that filled its offices (the local elections after 2029: the regional ones)."""
    others = [e for e in elections if e is not election and e.decided]
    asked = set(reading.offices) & set(election.offices or reading.offices)
    for group in (
        [e for e in others if asked & set(e.offices)],
        [e for e in others if e.family == election.family],
        [e for e in others if set(election.offices) & set(e.offices)],
    ):
        if group:
            return group
    return []


def _by_year(pool: Sequence[Election], reading: Reading) -> list[Election]:
    """The elections of the years named; a year may also be when the stage asked was held."""
    if not reading.years:
        return list(pool)
    years = set(reading.years)
    if reading.names_stage:
        # "pelantikan 2024": the inaugurations held in 2024, not Pilkada 2024's of 2025.
        held = [e for e in pool if any(_in_years(s, years) for s in _stages(e, reading))]
        if held:
            return held
    return [e for e in pool if e.year in years]


def _in_years(stage: Stage, years: set[int]) -> bool:
    return bool(stage.start and stage.end and {stage.start.year, stage.end.year} & years)


def _choose(pool: Sequence[Election], reading: Reading, today: date) -> list[Election]:
    if len(pool) == 1 or len(reading.codes) > 1:
        return list(pool)[:_MOST_ELECTIONS]  # "pemilu 2024 dan pilkada 2024"
    asked = {k for s in _stages_asked(pool, reading) for k in s.kinds}
    for election in pool:
        if asked & {k for s in stages_in_progress(election, today) for k in s.kinds}:
            return [election]  # "sampai kapan rekapitulasi?" while one is under way
    if reading.years:
        # Elections of the same year both answered: "pencoblosan 2024" was twice; a month
        # named tells them apart ("the February 2024 election").
        in_month = [e for e in pool if e.voting_day and e.voting_day.month in reading.months]
        chosen = in_month or sorted(pool, key=lambda e: (e.year, e.code))
        return chosen[:_MOST_ELECTIONS]
    held = [e for e in pool if e.voting_day and e.voting_day <= today]
    if reading.has("past") and held:
        return [_latest(held)]  # "pemilu kemarin"
    if asked and asked <= _CONTINGENT and held:
        # "kapan PSU?": a re-vote or a dispute is only ever known after the fact; the last one.
        with_stage = [e for e in held if _stages(e, reading)]
        if with_stage:
            return [_latest(with_stage)]
    coming = next_election(pool, today)
    return [coming] if coming else [_latest(pool)]


def _stages_asked(pool: Iterable[Election], reading: Reading) -> list[Stage]:
    return [s for e in pool for s in _stages(e, reading)]


def _answer(
    election: Election, reading: Reading, related: Sequence[Election], today: date
) -> Answer:
    stages = _stages(election, reading)
    if election.decided:
        return Answer(election, stages)
    return Answer(election, stages, _last_held(election, reading, related, today))


def _last_held(
    election: Election, reading: Reading, related: Sequence[Election], today: date
) -> tuple[tuple[Election, tuple[Stage, ...]], ...]:
    """The most recent election that held the stages asked, before this one."""
    held = []
    for other in related:
        if other is election or not other.decided:
            continue
        stages = tuple(s for s in _stages(other, reading) if s.end and s.end < today)
        if stages:
            held.append((max(s.end for s in stages if s.end), other, stages))
    if not held:
        return ()
    _, latest, stages = max(held, key=lambda item: (item[0], item[1].code))
    return ((latest, stages),)


def _stages(election: Election, reading: Reading) -> tuple[Stage, ...]:
    """The stages of `election` the words ask for; its voting day when they name none."""
    if not reading.stage_phrases:
        # "kapan pemilu 2024?" asks for its voting day; "kapan penetapan pemilu 2024?" for
        # something the words do not tell: no guess.
        voting = election.voting_stage
        asked_else = any(_names_a_thing(word) for word in reading.unknown)
        found: list[Stage] = [voting] if voting is not None and not asked_else else []
    else:
        found = []
        for phrase in reading.stage_phrases:
            own = [s for s in election.stages if (election.code, s.id) in phrase.refs]
            for stage in own or _most_specific(election, phrase.kinds):
                if stage not in found:
                    found.append(stage)
    offices = set(reading.offices)
    if offices:
        # A stage for other offices is not the one asked ("pelantikan DPRD": not the DPR's).
        found = [s for s in found if not s.offices or offices & set(s.offices)]
    return tuple(sorted(found, key=election.stages.index))


def _closest_stages(election: Election, words: str) -> tuple[Stage, ...]:
    """The stages whose names are closest to words not understood ("penetapan" → Penetapan
    peserta Pemilu, Penetapan DPT nasional), best first."""
    if len(words) < _LEAST_CHOICE_WORDS:
        return ()
    names = {stage: f"{stage.name.id} {stage.name.en}".lower() for stage in election.stages}
    found = process.extract(
        words.lower(), names, scorer=fuzz.partial_ratio, limit=_CHOICES, score_cutoff=_CHOICE_SCORE
    )
    return tuple(stage for _, _, stage in found)


def _names_a_thing(word: str) -> bool:
    """An Indonesian word of some length ("penetapan", "rapat"), not a particle, a regional
    word or a misspelling the reader let pass ("teh", "dilaksanakeun")."""
    return len(word) >= _THING_LENGTH and is_indonesian(word.casefold())


def _most_specific(election: Election, kinds: Sequence[str]) -> tuple[Stage, ...]:
    """Of the kinds one phrase may mean, the one naming the fewest of this election's stages
    ("pendaftaran capres": the presidential candidacy, not every candidacy)."""
    matches = [election.stages_of_kind([kind]) for kind in kinds if kind]
    return min((m for m in matches if m), key=len, default=())


def _latest(pool: Sequence[Election]) -> Election:
    return max(pool, key=lambda e: (e.voting_day or date(e.year, 1, 1), e.code))
