"""CEK: the approved clarifications that match the words people type.

Both sides are read the same way: words folded and split, spelling variants made one
(hoax → hoaks), Indonesian affixes taken off with Sastrawi (pencoblosan, dicoblos → coblos;
diundur, pengunduran → undur). A clarification keeps its terms in `contents.search_terms`,
full-text indexed by the database (FTS5 on SQLite; on PostgreSQL a stored
`to_tsvector('simple', …)` column, GIN-indexed: migration 0007). A query word that is no known
term and no Indonesian word is read as the closest word of a clarification (rapidfuzz):
"pencoblsan" → coblos.

Same results on both databases: the terms are plain lowercase tokens that both indexes split
alike, each engine answers only "which clarifications hold this term", and the ranking counts
in whole numbers — the most of the query's terms first, then the reader's language, then the
rarer terms, then the newest.
"""

from __future__ import annotations

import math
import re
import unicodedata
from functools import lru_cache

from rapidfuzz import fuzz, process
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from broadcasts.db.inserts import insert_or_skip
from broadcasts.db.models import Content, ContentKind, SearchWord
from broadcasts.elections.questions.words import is_indonesian, root, words_of
from broadcasts.hoaxes.texts import without_phones
from broadcasts.phrasebook import render
from config.settings import SUPPORTED_LANGUAGES

# One form for words people spell several ways.
SPELLING = {
    "hoax": "hoaks",
    "hoaxs": "hoaks",
    "hoak": "hoaks",
    "hox": "hoaks",
    "hoaxes": "hoaks",
    "coblosan": "coblos",
    "nyoblos": "coblos",
    "pilpres": "pemilu",
    "pileg": "pemilu",
    "election": "pemilu",
    "elections": "pemilu",
}
# Too common to tell clarifications apart.
STOPWORDS = frozenset(
    {
        "yang",
        "dan",
        "dari",
        "itu",
        "ini",
        "apa",
        "ada",
        "untuk",
        "dengan",
        "atau",
        "apakah",
        "kah",
        "tidak",
        "bukan",
        "sudah",
        "akan",
        "the",
        "and",
        "for",
        "are",
        "was",
        "that",
        "this",
        "with",
        "not",
        "is",
    }
)
_TOKEN = re.compile(r"[a-z]+|[0-9]+")
_PHONE_LIKE = 7  # digits: a number this long may be someone's phone, and is not kept
_WORD_LENGTH = 40
MAX_QUERY_TERMS = 8
# How close a misspelling must be to a clarification's word (rapidfuzz ratio), by length.
_TYPO_CUTOFF_SHORT = 88.0
_TYPO_CUTOFF = 84.0
_TYPO_MIN_LENGTH = 4
CANDIDATES = 20


@lru_cache(maxsize=65536)  # the same words come back in every report and query
def _read(word: str) -> tuple[tuple[str, str], ...]:
    """A folded word's tokens worth searching for, each with its term: accents off, letters and
    digits apart, a phone-like number left out."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))
    pairs = []
    for token in _TOKEN.findall(plain):
        if token.isdigit() and len(token) >= _PHONE_LIKE:
            continue
        token = token[:_WORD_LENGTH]
        found = term(token)
        if _meaningful(token, found):
            pairs.append((token, found))
    return tuple(pairs)


def term(word: str) -> str:
    """The form a word is compared in: its spelling made one, then its Indonesian root."""
    if word.isdigit():
        return word
    spelled = SPELLING.get(word)
    if spelled is None and word.endswith("nya"):
        spelled = SPELLING.get(word[:-3])
    return root(spelled or word)


def _meaningful(word: str, found: str) -> bool:
    if word.isdigit():
        return True
    return len(word) >= 3 and word not in STOPWORDS and found not in STOPWORDS


def words_and_terms(text_: str) -> list[tuple[str, str]]:
    """(word as written, term) for each word worth searching for, each word once, in order;
    phone numbers are no words."""
    words = words_of(without_phones(text_))
    return list(dict.fromkeys(pair for word in words for pair in _read(word)))


def document(*parts: str) -> str:
    """The terms a clarification is found by: each once, space-separated."""
    return " ".join(dict.fromkeys(found for _, found in words_and_terms(" ".join(parts))))


# --- Keeping the index -------------------------------------------------------------------------


def index(session: Session, content: Content) -> None:
    """Makes an approved clarification findable: by its title, text, tags and its verdict's
    label in every language (HOAKS, FALSE…); its words kept for reading misspellings."""
    labels = (
        [render("verdict_label", lang, verdict=content.verdict) for lang in SUPPORTED_LANGUAGES]
        if content.verdict
        else []
    )
    pairs = words_and_terms(" ".join([content.title, content.body, *content.tags, *labels]))
    content.search_terms = " ".join(dict.fromkeys(found for _, found in pairs))
    rows = [
        {"word": word, "head": word[:2], "term": found}
        for word, found in pairs
        if word.isalpha() and len(word) >= _TYPO_MIN_LENGTH
    ]
    if rows:
        session.execute(insert_or_skip(session, SearchWord, "word"), rows)


def searchable(content: Content) -> bool:
    return content.kind == ContentKind.CLARIFICATION.value and content.approved_at is not None


# --- Searching ---------------------------------------------------------------------------------


def query_terms(session: Session, text_: str) -> list[str]:
    """The terms of a CEK query, misspellings read as the closest clarification word."""
    pairs = words_and_terms(text_)[: MAX_QUERY_TERMS * 2]
    if not pairs:
        return []
    candidates = {found for _, found in pairs}
    known = set(session.scalars(select(SearchWord.term).where(SearchWord.term.in_(candidates))))
    terms: dict[str, None] = {}
    for word, found in pairs:
        if found not in known and not word.isdigit():
            found = _closest(session, word) or found
        terms[found] = None
    return list(terms)[:MAX_QUERY_TERMS]


def _closest(session: Session, word: str) -> str | None:
    """The term of the clarification word closest to a misspelt `word`, if close enough; an
    Indonesian word (which is no misspelling) or a short one is left alone."""
    if len(word) < _TYPO_MIN_LENGTH or is_indonesian(word):
        return None
    rows = session.execute(
        select(SearchWord.word, SearchWord.term).where(SearchWord.head == word[:2])
    ).all()
    choices = {w: found for w, found in rows if abs(len(w) - len(word)) <= 3}
    cutoff = _TYPO_CUTOFF_SHORT if len(word) == _TYPO_MIN_LENGTH else _TYPO_CUTOFF
    match = process.extractOne(word, list(choices), scorer=fuzz.ratio, score_cutoff=cutoff)
    return choices[match[0]] if match else None


def _hits(session: Session, terms: list[str]) -> str:
    """SQL for (term, id): each clarification holding each term, from the database's own
    full-text index, one term at a time."""
    if session.get_bind().dialect.name == "postgresql":
        each = (
            "SELECT {n} AS term, id FROM contents"
            " WHERE search_vector @@ to_tsquery('simple', :t{n})"
        )
    else:
        each = (
            "SELECT {n} AS term, rowid AS id FROM contents_search WHERE contents_search MATCH :t{n}"
        )
    return " UNION ALL ".join(each.format(n=n) for n in range(len(terms)))


def _best(session: Session, terms: list[str]) -> list[int]:
    """The clarifications holding the most of `terms` (at least half of them), those holding
    rarer ones first (a term few hold tells more), then the newest; at most `CANDIDATES`.
    Counted by the database in whole numbers, so both kinds count alike."""
    dialect = session.get_bind().dialect.name
    params: dict[str, object] = {
        f"t{n}": found if dialect == "postgresql" else f'"{found}"' for n, found in enumerate(terms)
    }
    params.update(enough=math.ceil(len(terms) / 2), limit=CANDIDATES)
    statement = text(
        f"WITH hits AS ({_hits(session, terms)}),"
        " holders AS (SELECT term, count(*) AS many FROM hits GROUP BY term)"
        " SELECT hits.id, count(*) AS held, sum(holders.many) AS commonness"
        " FROM hits JOIN holders ON holders.term = hits.term"
        " GROUP BY hits.id HAVING count(*) >= :enough"
        " ORDER BY held DESC, commonness, hits.id DESC LIMIT :limit"
    )
    rows = session.execute(statement, params).all()
    most = rows[0].held if rows else 0
    return [row.id for row in rows if row.held == most]


def clarifications(
    session: Session, text_: str, *, language: str | None = None, limit: int = 3
) -> list[Content]:
    """Approved clarifications about the words of `text_`, best first: of those holding the
    most of its terms, those in the reader's language, then those holding rarer terms, then
    the newest."""
    terms = query_terms(session, text_)
    if not terms:
        return []
    best = _best(session, terms)
    if not best:
        return []
    order = {content_id: n for n, content_id in enumerate(best)}
    rows = session.scalars(select(Content).where(Content.id.in_(best)))
    ranked = sorted(
        (c for c in rows if searchable(c)), key=lambda c: (c.language != language, order[c.id])
    )
    return ranked[:limit]


def has_terms(text_: str) -> bool:
    """Whether a CEK query holds any word worth searching for."""
    return bool(words_and_terms(text_))
