"""The words of questions, as data: `config/elections/vocabulary.yaml`.

Phrases are kept as written (lowercase text), by language; the reader puts them in compared form.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from broadcasts.elections.calendar import ElectionDataError
from broadcasts.elections.questions.words import words_of
from config.settings import ELECTIONS_DIR, SUPPORTED_LANGUAGES

VOCABULARY_FILE = ELECTIONS_DIR / "vocabulary.yaml"

# Phrases by language: {"id": ("kapan", "sampai kapan"), "en": ("when",)}
ByLanguage = Mapping[str, tuple[str, ...]]

# The sections that are one list of phrases per language, each meaning what its name says.
WORD_SECTIONS = (
    *("when", "other", "greeting", "thanks", "ack", "salam", "now"),
    *("outside", "after", "past", "filler"),
)
_SECTIONS = {
    *WORD_SECTIONS,
    *("slang", "keep", "places", "before_places", "months", "elections", "offices"),
    *("stages", "together"),
}


@dataclass(frozen=True)
class Office:
    families: tuple[str, ...]
    words: ByLanguage


@dataclass(frozen=True)
class Vocabulary:
    sections: Mapping[str, ByLanguage]  # one of WORD_SECTIONS → its phrases
    slang: Mapping[str, str]
    families: Mapping[str, ByLanguage]
    offices: Mapping[str, Office]
    stages: Mapping[str, ByLanguage]  # a stage kind → its phrases
    places: ByLanguage = field(default_factory=dict)  # words that name a region
    # A stage kind → sets of words that name it together, in any order ("partai", "daftar").
    together: Mapping[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)
    before_places: tuple[str, ...] = ()  # words a place name follows ("di", "bupati")
    keep: tuple[str, ...] = ()  # words not reduced to their root ("terpilih" is not "memilih")
    months: Mapping[int, tuple[str, ...]] = field(default_factory=dict)  # 2 → februari, feb…

    def phrases(self) -> list[str]:
        """Every phrase of the vocabulary, for the words it knows."""
        groups = [
            *self.sections.values(),
            *self.families.values(),
            *self.stages.values(),
            *(office.words for office in self.offices.values()),
        ]
        return [p for group in groups for phrases in group.values() for p in phrases]


def parse_vocabulary(document: object, origin: str = "vocabulary") -> Vocabulary:
    top = _mapping(document, origin, _SECTIONS)
    return Vocabulary(
        sections={name: _by_language(top.get(name), f"{origin}: {name}") for name in WORD_SECTIONS},
        slang=_slang(top.get("slang"), f"{origin}: slang"),
        families=_grouped(top.get("elections"), f"{origin}: elections"),
        offices=_offices(top.get("offices"), f"{origin}: offices"),
        stages=_grouped(top.get("stages"), f"{origin}: stages"),
        places=_by_language(top.get("places"), f"{origin}: places"),
        together=_together(top.get("together"), f"{origin}: together"),
        before_places=_words(top.get("before_places"), f"{origin}: before_places"),
        keep=_words(top.get("keep"), f"{origin}: keep"),
        months=_months(top.get("months"), f"{origin}: months"),
    )


def load_vocabulary(path: Path = VOCABULARY_FILE) -> Vocabulary:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise ElectionDataError(f"{path.name}: cannot be read: {error}") from error
    return parse_vocabulary(document, path.name)


@cache
def bundled_vocabulary() -> Vocabulary:
    """Read once per process: the words change with a release, not per request."""
    return load_vocabulary()


def _mapping(value: object, where: str, allowed: set[str] | None = None) -> Mapping[str, object]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ElectionDataError(f"{where}: expected a mapping")
    unknown = [str(k) for k in value if allowed is not None and k not in allowed]
    if unknown:
        raise ElectionDataError(f"{where}: unknown field {unknown[0]!r}")
    return value


def _by_language(value: object, where: str) -> ByLanguage:
    found: dict[str, tuple[str, ...]] = {}
    for language, phrases in _mapping(value, where, set(SUPPORTED_LANGUAGES)).items():
        if not isinstance(phrases, list) or not all(isinstance(p, str) for p in phrases):
            raise ElectionDataError(f"{where}: {language} must be a list of phrases")
        found[language] = tuple(" ".join(words_of(p)) for p in phrases if words_of(p))
    return found


def _grouped(value: object, where: str) -> Mapping[str, ByLanguage]:
    groups = _mapping(value, where)
    return {str(name): _by_language(words, f"{where}: {name}") for name, words in groups.items()}


def _offices(value: object, where: str) -> Mapping[str, Office]:
    found: dict[str, Office] = {}
    for name, item in _mapping(value, where).items():
        fields = _mapping(item, f"{where}: {name}", {"families", *SUPPORTED_LANGUAGES})
        families = fields.get("families")
        if not isinstance(families, list) or not all(isinstance(f, str) for f in families):
            raise ElectionDataError(
                f"{where}: {name}: families must be a list of election families"
            )
        words = {k: v for k, v in fields.items() if k != "families"}
        found[str(name)] = Office(tuple(families), _by_language(words, f"{where}: {name}"))
    return found


def _slang(value: object, where: str) -> Mapping[str, str]:
    found: dict[str, str] = {}
    for typed, meant in _mapping(value, where).items():
        if (
            not isinstance(meant, str)
            or len(words_of(str(typed))) != 1
            or len(words_of(meant)) != 1
        ):
            raise ElectionDataError(f"{where}: {typed!r} must be one word mapped to one word")
        found[words_of(str(typed))[0]] = words_of(meant)[0]
    return found


def _together(value: object, where: str) -> Mapping[str, tuple[tuple[str, ...], ...]]:
    found: dict[str, tuple[tuple[str, ...], ...]] = {}
    for kind, rules in _mapping(value, where).items():
        if not isinstance(rules, list) or not all(
            isinstance(rule, list) and len(rule) >= 2 and all(isinstance(w, str) for w in rule)
            for rule in rules
        ):
            raise ElectionDataError(f"{where}: {kind} must be a list of lists of two or more words")
        found[str(kind)] = tuple(tuple(w for r in rule for w in words_of(r)) for rule in rules)
    return found


def _words(value: object, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(w, str) for w in value):
        raise ElectionDataError(f"{where}: must be a list of words")
    return tuple(" ".join(words_of(w)) for w in value)


def _months(value: object, where: str) -> Mapping[int, tuple[str, ...]]:
    found: dict[int, tuple[str, ...]] = {}
    for number, names in _mapping(value, where).items():
        if not isinstance(number, int) or not 1 <= number <= 12:
            raise ElectionDataError(f"{where}: {number!r} is not a month number (1 to 12)")
        found[number] = _words(names, f"{where}: {number}")
    return found
