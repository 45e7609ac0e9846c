"""What the words of a message are: question words, elections, offices, stages, FAQ topics.

A message is read left to right, the longest known phrase first at each place; what is in no
phrase is a year, a number or a word not understood. The result is a bag of what was found
(`Reading`): the order of words matters only inside a phrase, as people write in any order.
A longer phrase still names the offices, elections and stages inside it ("cara pindah memilih"
is an FAQ topic and names the stage), and some words name a stage only together, wherever they
stand ("partai … daftar": party registration).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from broadcasts.elections.calendar import Election
from broadcasts.elections.questions.vocabulary import WORD_SECTIONS, Vocabulary
from broadcasts.elections.questions.words import Spelling, words_of

_YEAR = re.compile(r"^(19|20|21)\d\d$")
_NUMBER = re.compile(r"^\d+$")
# What a phrase inside a longer one may add: the parts a question is answered by.
_INNER = ("office", "family", "kind", "stage", "place")


class Topic(Protocol):
    """An FAQ entry as the reader sees it: the phrases that name its topic."""

    @property
    def id(self) -> str: ...
    @property
    def topics_id(self) -> tuple[str, ...]: ...
    @property
    def topics_en(self) -> tuple[str, ...]: ...


# A meaning: (what it is, its value, its language or None). What: one of WORD_SECTIONS, or
# family, office, kind, stage (value "code/stage-id"), code, faq, place.
Meaning = tuple[str, str, str | None]


@dataclass(frozen=True)
class StagePhrase:
    """Words naming a stage: the kinds they may mean, and the calendars' stages they name
    (election code, stage id). A calendar's own name for a stage beats a kind."""

    kinds: tuple[str, ...]
    refs: tuple[tuple[str, str], ...]
    words: tuple[str, ...]


@dataclass
class Reading:
    """What the words of one message were found to be."""

    words: int = 0
    found: set[str] = field(default_factory=set)  # the WORD_SECTIONS met: when, other, greeting…
    codes: list[str] = field(default_factory=list)
    families: list[str] = field(default_factory=list)
    offices: list[str] = field(default_factory=list)
    office_families: list[str] = field(default_factory=list)  # the families the offices fill
    years: list[int] = field(default_factory=list)
    stage_phrases: list[StagePhrase] = field(default_factory=list)
    topics: dict[str, int] = field(default_factory=dict)  # FAQ entry id → words of a phrase
    # FAQ entry id → how much its distinctive words are present ("What do DPT and DPK mean?")
    topic_scores: dict[str, float] = field(default_factory=dict)
    places: bool = False  # a region is named ("kabupaten", "kota …")
    months: set[int] = field(default_factory=set)  # months named ("February 2024")
    after: bool = False  # "setelah", "after": what follows is a point in time, not what is asked
    election_words: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    languages: dict[str, int] = field(default_factory=dict)
    # The languages of the question words, greetings and filler alone: they tell the language
    # of "What do DPT and DPK mean?", whose other words are Indonesian acronyms.
    function_languages: dict[str, int] = field(default_factory=dict)

    def has(self, section: str) -> bool:
        return section in self.found

    @property
    def names_election(self) -> bool:
        return bool(self.codes or self.families or self.offices)

    @property
    def names_stage(self) -> bool:
        return bool(self.stage_phrases)

    @property
    def language(self) -> str | None:
        """English when English words clearly outnumber Indonesian ones: "kapan quiet period
        pemilu 2024?" is asked in Indonesian."""
        for counts in (self.function_languages, self.languages):
            english, indonesian = counts.get("en", 0), counts.get("id", 0)
            if english > 2 * indonesian:
                return "en"
            if indonesian:
                return "id"
        return None


@dataclass(frozen=True)
class Index:
    phrases: Mapping[tuple[str, ...], tuple[Meaning, ...]]
    longest: int
    spelling: Spelling
    office_families: Mapping[str, tuple[str, ...]]
    together: tuple[tuple[str, frozenset[str]], ...]  # (kind, words that together name it)
    before_places: frozenset[str]  # words a place name follows: "di", "bupati", "kota"
    # A word of FAQ topics → the entries it names, weighed by how few entries share it.
    topic_words: Mapping[str, Mapping[str, float]]
    months: Mapping[str, int]


def build_index(
    vocabulary: Vocabulary, elections: Sequence[Election], topics: Sequence[Topic]
) -> Index:
    entries: list[tuple[str, Meaning]] = []
    for section in WORD_SECTIONS:
        for language, phrases in vocabulary.sections[section].items():
            entries += [(p, (section, "", language)) for p in phrases]
    for language, phrases in vocabulary.places.items():
        entries += [(p, ("place", "", language)) for p in phrases]
    groups = [("family", vocabulary.families), ("kind", vocabulary.stages)]
    groups.append(("office", {name: o.words for name, o in vocabulary.offices.items()}))
    for what, named in groups:
        for value, by_language in named.items():
            for language, phrases in by_language.items():
                entries += [(p, (what, value, language)) for p in phrases]
    for election in elections:
        entries.append((election.code, ("code", election.code, None)))
        for stage in election.stages:
            ref = f"{election.code}/{stage.id}"
            # A calendar's name for a stage also means its kinds, in any other calendar.
            for language, phrases in (
                ("id", (stage.name.id, *stage.words.id)),
                ("en", (stage.name.en, *stage.words.en)),
            ):
                for p in phrases:
                    entries.append((p, ("stage", ref, language)))
                    entries += [(p, ("kind", kind, language)) for kind in stage.kinds]
    for topic in topics:
        entries += [(p, ("faq", topic.id, "id")) for p in topic.topics_id]
        entries += [(p, ("faq", topic.id, "en")) for p in topic.topics_en]

    known = {w for text, _ in entries for w in words_of(text)}
    spelling = Spelling(known, vocabulary.slang, vocabulary.keep)
    index: dict[tuple[str, ...], list[Meaning]] = {}
    for text, meaning in entries:
        phrase = spelling.phrase(text)
        meanings = index.setdefault(phrase, [])
        if phrase and meaning not in meanings:
            meanings.append(meaning)
    index.pop((), None)
    together = tuple(
        (kind, frozenset(spelling.phrase(" ".join(words))))
        for kind, rules in vocabulary.together.items()
        for words in rules
    )
    return Index(
        topic_words=_topic_words(topics, spelling, index),
        phrases={phrase: tuple(meanings) for phrase, meanings in index.items()},
        longest=max(map(len, index), default=1),
        spelling=spelling,
        office_families={name: o.families for name, o in vocabulary.offices.items()},
        together=together,
        before_places=frozenset(w for p in vocabulary.before_places for w in spelling.phrase(p)),
        months={w: n for n, names in vocabulary.months.items() for w in names},
    )


def _topic_words(
    topics: Sequence[Topic], spelling: Spelling, index: Mapping[tuple[str, ...], list[Meaning]]
) -> Mapping[str, Mapping[str, float]]:
    """The words of each entry's topics that say something: not question words or filler."""
    plain = {
        w
        for (w,), meanings in ((p, m) for p, m in index.items() if len(p) == 1)
        if any(what in WORD_SECTIONS for what, _, _ in meanings)
        for w in (w,)
    }
    entries: dict[str, set[str]] = {}
    for topic in topics:
        for text in (*topic.topics_id, *topic.topics_en):
            for word in spelling.phrase(text):
                if word not in plain and not word.isdigit() and len(word) > 1:
                    entries.setdefault(word, set()).add(topic.id)
    return {word: {e: 1 / len(ids) for e in ids} for word, ids in entries.items()}


def read(text: str, index: Index) -> Reading:
    typed = words_of(text)
    words = [index.spelling.canonical(w) for w in typed]
    reading = Reading(words=len(words))
    at = 0
    alone = False  # whether the word before was a phrase of its own ("di", "bupati")
    while at < len(words):
        for length in range(min(index.longest, len(words) - at), 0, -1):
            phrase = tuple(words[at : at + length])
            meanings = index.phrases.get(phrase)
            if meanings:
                alone = length == 1
                _note(reading, phrase, " ".join(typed[at : at + length]), meanings, index)
                if length > 1:
                    _note_inside(reading, phrase, meanings, index)
                at += length
                break
        else:
            unknown = len(reading.unknown)
            _note_word(reading, words[at], typed[at], index)
            # "PSU di Banjarbaru", "bupati Puncak Jaya": a word not understood after "di", "in"
            # or a regional office is most likely a place.
            before = words[at - 1] if at else ""
            if len(reading.unknown) > unknown and alone and before in index.before_places:
                reading.places = True
            alone = True
            at += 1
    _note_together(reading, set(words), index)
    _score_topics(reading, set(words), index)
    return reading


def _note_word(reading: Reading, word: str, typed: str, index: Index) -> None:
    if word in index.months:
        reading.months.add(index.months[word])
    elif _YEAR.match(word):
        reading.years.append(int(word))
        reading.election_words.append(typed)
    elif not _NUMBER.match(word):
        reading.unknown.append(typed)


def _note(
    reading: Reading,
    phrase: tuple[str, ...],
    typed: str,
    meanings: Iterable[Meaning],
    index: Index,
) -> None:
    # A phrase counts for each language it belongs to, by its length: "what is a legislative
    # election (pileg)" is English.
    for language in {language for _, _, language in meanings if language is not None}:
        reading.languages[language] = reading.languages.get(language, 0) + len(phrase)
    for language in {lang for what, _, lang in meanings if what in WORD_SECTIONS and lang}:
        counts = reading.function_languages
        counts[language] = counts.get(language, 0) + len(phrase)
    kinds = tuple(value for what, value, _ in meanings if what == "kind")
    refs = tuple(_ref(value) for what, value, _ in meanings if what == "stage")
    # "pelantikan anggota DPRD hasil pemilu 2024": "hasil" after a stage says which members.
    describes = kinds == ("results",) and phrase[0] == "hasil" and bool(reading.stage_phrases)
    if (kinds or refs) and not reading.after and not describes:
        reading.stage_phrases.append(StagePhrase(kinds, refs, phrase))
    for what, value, _language in meanings:
        if what == "after":
            reading.after = True
        elif what in WORD_SECTIONS:
            reading.found.add(what)
        elif what == "family" and value not in reading.families:
            reading.families.append(value)
        elif what == "office" and value not in reading.offices:
            reading.offices.append(value)
            reading.office_families += index.office_families.get(value, ())
        elif what == "code":
            reading.codes.append(value)
        elif what == "faq":
            reading.topics[value] = max(reading.topics.get(value, 0), len(phrase))
        elif what == "place":
            reading.places = True
    if any(what in ("family", "code", "office") for what, _, _ in meanings):
        reading.election_words.append(typed)


def _note_inside(
    reading: Reading, phrase: tuple[str, ...], meanings: Iterable[Meaning], index: Index
) -> None:
    """What the shorter phrases inside a matched one name, of what the phrase itself does not:
    "pelantikan kepala daerah" is a kind of stage, and also names the office."""
    has = {what for what, _, _ in meanings}
    if "kind" in has:
        has.add("stage")
    wanted = [what for what in _INNER if what not in has]
    if not wanted:
        return
    for start in range(len(phrase)):
        for end in range(len(phrase), start, -1):
            if end - start == len(phrase):
                continue
            inner = phrase[start:end]
            found = [m for m in index.phrases.get(inner, ()) if m[0] in wanted]
            if found:
                _note_parts(reading, inner, found, index)


def _note_parts(
    reading: Reading, phrase: tuple[str, ...], meanings: Sequence[Meaning], index: Index
) -> None:
    """Like `_note`, for the parts of a phrase only: no question words, no language."""
    kinds = tuple(value for what, value, _ in meanings if what == "kind")
    refs = tuple(_ref(value) for what, value, _ in meanings if what == "stage")
    if (
        (kinds or refs)
        and not reading.after
        and phrase not in [p.words for p in reading.stage_phrases]
    ):
        reading.stage_phrases.append(StagePhrase(kinds, refs, phrase))
    for what, value, _ in meanings:
        if what == "family" and value not in reading.families:
            reading.families.append(value)
        elif what == "office" and value not in reading.offices:
            reading.offices.append(value)
            reading.office_families += index.office_families.get(value, ())
        elif what == "place":
            reading.places = True


def _note_together(reading: Reading, words: set[str], index: Index) -> None:
    """Words that together name a stage replace what each said alone ("daftar" alone is a
    candidacy; with "partai", the parties' registration)."""
    for kind, rule in index.together:
        if rule <= words:
            reading.stage_phrases = [p for p in reading.stage_phrases if not set(p.words) <= rule]
            reading.stage_phrases.append(StagePhrase((kind,), (), tuple(sorted(rule))))


def _score_topics(reading: Reading, words: set[str], index: Index) -> None:
    for word in words:
        for entry, weight in index.topic_words.get(word, {}).items():
            reading.topic_scores[entry] = reading.topic_scores.get(entry, 0.0) + weight


def _ref(value: str) -> tuple[str, str]:
    code, _, stage_id = value.partition("/")
    return code, stage_id
