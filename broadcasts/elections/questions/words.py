"""From a message to the words the reader compares.

Folded and split ("Hari-H PEMILU2029?" → hari h pemilu 2029), slang resolved (kpn → kapan),
reduced to the Indonesian root (dilantik, pelantikan → lantik) with Sastrawi, and a misspelt word
that is no Indonesian word read as the closest word the reader knows (pemillu → pemilu) with
rapidfuzz. The vocabulary's phrases go through the same steps, so both sides meet.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from functools import cache, lru_cache

from rapidfuzz import fuzz, process
from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

# "pemilu2024" is also read as "pemilu 2024", so family and year are found in a code.
_LETTERS_THEN_YEAR = re.compile(r"(?<=[a-z])(?=\d{4}(?!\d))")
_NOT_WORD = re.compile(r"[^\w]+|_+")
_LETTERS = re.compile(r"^[a-z]+$")

# How close a misspelling must be to a known word (rapidfuzz ratio, 0–100), by the word's length:
# one wrong letter in a short word is a larger share of it.
_CUTOFF_SHORT = 88.0  # four letters
_CUTOFF = 84.0
_MIN_TYPO_LENGTH = 4
_BETAWI = "nye"  # Jakarta's -nya


def words_of(text: str) -> tuple[str, ...]:
    """Lowercase words; punctuation and hyphens separate words; "pemilu2024" → pemilu 2024."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return tuple(_NOT_WORD.sub(" ", _LETTERS_THEN_YEAR.sub(" ", folded)).split())


@cache
def _stemmer() -> object:
    stemmer = StemmerFactory().create_stemmer()
    # Sastrawi keeps its 28,000 roots in a list, and looks words up in it many times per word:
    # a set makes a first stemming take microseconds instead of a tenth of a second.
    dictionary = stemmer.delegatedStemmer.dictionary
    dictionary.words = frozenset(dictionary.words)
    return stemmer


@lru_cache(maxsize=65536)
def root(word: str) -> str:
    """The Indonesian root of a word (pencoblosan → coblos); other words as they are."""
    if not _LETTERS.match(word) or len(word) <= 3:
        return word
    stemmed: str = _stemmer().stem(word)  # type: ignore[attr-defined]
    return stemmed or word


@lru_cache(maxsize=65536)
def is_indonesian(word: str) -> bool:
    """A word, or the root of one, in Sastrawi's dictionary of Indonesian roots."""
    dictionary = _stemmer().delegatedStemmer.dictionary  # type: ignore[attr-defined]
    return bool(dictionary.contains(word) or dictionary.contains(root(word)))


class Spelling:
    """Turns a word as typed into the form the reader compares: slang, typos, root."""

    def __init__(
        self, known: Iterable[str], slang: Mapping[str, str], keep: Iterable[str] = ()
    ) -> None:
        self._keep = frozenset(keep)
        self._known = frozenset(known)
        self._choices = sorted(w for w in self._known if _LETTERS.match(w) and len(w) >= 3)
        self._slang = dict(slang)
        self._roots = frozenset(self._root(w) for w in self._known)
        self._cache: dict[str, str] = {}

    def canonical(self, word: str) -> str:
        """What `word` is compared as; the same word always gives the same answer."""
        found = self._cache.get(word)
        if found is None:
            found = self._canonical(word)
            if len(self._cache) < 65536:
                self._cache[word] = found
        return found

    def phrase(self, text: str) -> tuple[str, ...]:
        """A vocabulary phrase in compared form (no typo correction: it defines the words)."""
        return tuple(self._root(self._slang.get(w, w)) for w in words_of(text))

    def _root(self, word: str) -> str:
        return word if word in self._keep else root(word)

    def _canonical(self, word: str) -> str:
        word = self._slang.get(word, word)
        if word in self._known or not _LETTERS.match(word):
            return self._root(word)
        if word.endswith(_BETAWI) and len(word) > len(_BETAWI) + 2:
            betawi = word.removesuffix(_BETAWI) + "nya"  # tenangnye → tenangnya
            if root(betawi) in self._roots:
                return root(betawi)
        stemmed = self._root(word)
        if stemmed in self._roots or len(word) < _MIN_TYPO_LENGTH or is_indonesian(word):
            return stemmed
        cutoff = _CUTOFF_SHORT if len(word) == _MIN_TYPO_LENGTH else _CUTOFF
        match = process.extractOne(word, self._choices, scorer=fuzz.ratio, score_cutoff=cutoff)
        return self._root(match[0]) if match else stemmed
