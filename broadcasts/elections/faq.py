"""The FAQ: short, sourced answers to the election-literacy questions members ask, by topic.

An FAQ file (`config/faq/*.yaml`, or one an admin loads with `humasbot faq load`) is a list of
entries; each is parsed and validated here into a frozen `FaqEntry`. The database keeps one
validated document per entry id, loaded exactly like the election calendars
(`broadcasts.elections.stored`): bundled files fill in the ids the database lacks and never
overwrite one an admin loaded; an admin's load replaces the entries of the same ids. Reading is
the hot path: parsed entries stay in memory per process, and a tiny query — how many rows, and the
latest `loaded_at` — tells whether any process has loaded entries since. Every load therefore
moves `loaded_at` strictly forward. The query runs at most once every `RECHECK_SECONDS` per
process: a load reaches every answer within that time.

No Flask here: the CLI, the web process and the worker all use it.
"""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcasts.db.models import FaqEntryRow
from broadcasts.elections.calendar import Localized
from broadcasts.elections.documents import Version, VersionedCache, insert_new, load_time, upsert
from broadcasts.elections.fields import Fields, kind_of, read_yaml
from config.settings import FAQ_DIR

log = logging.getLogger(__name__)

# Room for the title and the source line in one WhatsApp message (1600 characters at most).
ANSWER_LIMIT = 1000
ID_LIMIT = 64  # the width of faq_entries.entry_id

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_FILE_FIELDS = frozenset({"entries"})
_ENTRY_FIELDS = frozenset({"id", "topics", "title", "answer", "source"})
_LANGUAGES = frozenset({"id", "en"})


class FaqError(ValueError):
    """An FAQ document the bot cannot use; the message names the file, the entry and why."""


@dataclass(frozen=True)
class FaqEntry:
    id: str  # a slug, unique among the entries
    topics_id: tuple[str, ...]  # phrases members write for this topic, lowercase, in Indonesian
    topics_en: tuple[str, ...]  # … and in English
    title: Localized
    answer: Localized  # may hold line breaks; at most ANSWER_LIMIT characters in each language
    source: str

    @property
    def topics(self) -> tuple[str, ...]:
        """Every topic phrase, Indonesian first."""
        return self.topics_id + self.topics_en


# --- Parsing and validation ----------------------------------------------------------------


def parse_faq(document: object, origin: str) -> tuple[FaqEntry, ...]:
    """Validates an FAQ file's document (parsed YAML) into its entries, in file order.

    `origin` (the file's name) begins every error message."""
    fields = _Fields(document, origin, _FILE_FIELDS)
    raw = fields.get("entries")
    if not isinstance(raw, list) or not raw:
        raise fields.error("entries must be a non-empty list")
    entries: list[FaqEntry] = []
    first_seen: dict[str, int] = {}
    for number, item in enumerate(raw, 1):
        entry = _entry(item, f"{origin}: entry {number}")
        if entry.id in first_seen:
            raise FaqError(
                f"{origin}: entry {number} ({entry.id}): id {entry.id!r} is already used by "
                f"entry {first_seen[entry.id]}"
            )
        first_seen[entry.id] = number
        entries.append(entry)
    return tuple(entries)


def parse_entry(document: object, origin: str = "FAQ entry") -> FaqEntry:
    """Validates one entry's document (as `faq_document` makes it, or as stored); errors begin
    with `origin` and the entry's id."""
    return _entry(document, origin)


def parse_faq_yaml(text: str, origin: str) -> tuple[FaqEntry, ...]:
    """The entries of an FAQ file's text; `origin` names the file in errors."""
    document = read_yaml(text, origin, FaqError)
    return parse_faq(document, origin)


def read_faq_file(path: Path) -> tuple[FaqEntry, ...]:
    """An FAQ file parsed and validated; `FaqError` names the file, the entry and the problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FaqError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise FaqError(f"{path}: is a directory, not an FAQ file") from None
    except UnicodeDecodeError:
        raise FaqError(f"{path}: is not UTF-8 text") from None
    except OSError as error:
        raise FaqError(f"{path}: cannot be read ({error.strerror})") from error
    return parse_faq_yaml(text, path.name)


def faq_document(entry: FaqEntry) -> dict[str, Any]:
    """The canonical JSON-safe document of an entry (what the database keeps)."""
    return {
        "id": entry.id,
        "topics": {"id": list(entry.topics_id), "en": list(entry.topics_en)},
        "title": {"id": entry.title.id, "en": entry.title.en},
        "answer": {"id": entry.answer.id, "en": entry.answer.en},
        "source": entry.source,
    }


def _entry(item: object, where: str) -> FaqEntry:
    """One entry; once its id is known, every error names it after `where`."""
    raw_id = item.get("id") if isinstance(item, Mapping) else None
    if isinstance(raw_id, str) and _SLUG.match(raw_id):
        where = f"{where} ({raw_id})"
    fields = _Fields(item, where, _ENTRY_FIELDS)
    entry_id = fields.slug("id")
    topics_id, topics_en = fields.topics("topics")
    title = fields.localized("title")
    answer = fields.localized("answer", multiline=True)
    for language in ("id", "en"):
        length = len(answer.in_language(language))
        if length > ANSWER_LIMIT:
            raise fields.error(
                f"answer.{language} is {length} characters long; at most {ANSWER_LIMIT} fit "
                "in a reply"
            )
    return FaqEntry(
        id=entry_id,
        topics_id=topics_id,
        topics_en=topics_en,
        title=title,
        answer=answer,
        source=fields.text("source"),
    )


class _Fields(Fields):
    """A mapping being read: unknown keys are refused and every error says where it is."""

    error_type = FaqError

    def slug(self, key: str) -> str:
        value = self.value.get(key)
        if value is None:
            raise self.error(f"{key} is missing")
        if not isinstance(value, str) or not _SLUG.match(value):
            raise self.error(f"{key} {value!r} must be lowercase words joined by hyphens")
        if len(value) > ID_LIMIT:
            raise self.error(f"{key} {value!r} is longer than {ID_LIMIT} characters")
        return value

    def localized(self, key: str, *, multiline: bool = False) -> Localized:
        value = self.value.get(key)
        if value is None:
            raise self.error(f"{key} is missing (give it in id and en)")
        inner = _Fields(value, f"{self.where}: {key}", _LANGUAGES)
        return Localized(
            id=inner.text("id", multiline=multiline), en=inner.text("en", multiline=multiline)
        )

    def topics(self, key: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        value = self.value.get(key)
        if value is None:
            raise self.error(f"{key} is missing (give the phrases people write, in id and en)")
        inner = _Fields(value, f"{self.where}: {key}", _LANGUAGES)
        found = inner.phrases("id"), inner.phrases("en")
        if not found[0] and not found[1]:
            raise self.error(f"{key} needs at least one phrase")
        return found

    def phrases(self, key: str) -> tuple[str, ...]:
        value = self.value.get(key)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.error(f"{key} must be a list of phrases (text), found {kind_of(value)}")
        phrases: list[str] = []
        for raw in value:
            phrase = " ".join(raw.lower().split())
            if phrase in phrases:
                raise self.error(f"{key}: the phrase {phrase!r} is given twice")
            phrases.append(phrase)
        return tuple(phrases)


# --- Storage ---------------------------------------------------------------------------------

_generations = itertools.count(1)


@dataclass(frozen=True)
class FaqSnapshot:
    """The FAQ entries as last loaded, in order of id."""

    entries: tuple[FaqEntry, ...]
    # Numbers each snapshot parsed in this process: what is worked out from one (a topic index)
    # can be kept under its number, and is not found again once entries change.
    generation: int = field(default_factory=lambda: next(_generations), compare=False)

    def find(self, entry_id: str) -> FaqEntry | None:
        return next((e for e in self.entries if e.id == entry_id), None)


# How long a process answers from its parsed entries before it asks again whether they changed.
RECHECK_SECONDS = 1.0


def _parse_snapshot(session: Session, version: Version) -> FaqSnapshot:
    return FaqSnapshot(_parse_rows(session))


_cache = VersionedCache(
    FaqEntryRow.id, FaqEntryRow.loaded_at, _parse_snapshot, lambda: RECHECK_SECONDS
)


def bundled_files(directory: Path = FAQ_DIR) -> list[Path]:
    return sorted(directory.glob("*.yaml"))


def load_faq(
    session: Session, entries: Iterable[FaqEntry], now: datetime
) -> tuple[list[str], list[str]]:
    """Stores `entries`, replacing those of the same ids; returns the ids (added, replaced)."""
    batch = list(entries)
    ids = [e.id for e in batch]
    if len(set(ids)) != len(ids):
        raise ValueError("load_faq: the same entry id is given twice")
    if not batch:
        return [], []
    present = set(
        session.scalars(select(FaqEntryRow.entry_id).where(FaqEntryRow.entry_id.in_(ids)))
    )
    loaded_at = _load_time(session, now)
    for entry in batch:
        session.execute(_upsert(session, _row_values(entry, loaded_at), replace=True))
    forget_cached()
    added = [i for i in ids if i not in present]
    replaced = [i for i in ids if i in present]
    return added, replaced


def load_bundled(session: Session, now: datetime, directory: Path = FAQ_DIR) -> list[str]:
    """Loads the bundled entries whose id the database does not have; returns their ids.

    Every bundled file is read and validated before anything is written."""
    bundled: dict[str, tuple[FaqEntry, str]] = {}
    for path in bundled_files(directory):
        for entry in read_faq_file(path):
            if entry.id in bundled:
                raise FaqError(
                    f"{path.name}: entry {entry.id} is also in {bundled[entry.id][1]}; "
                    "an id may be used once across the bundled FAQ files"
                )
            bundled[entry.id] = (entry, path.name)
    if not bundled:
        return []
    documents = {entry_id: faq_document(entry) for entry_id, (entry, _) in bundled.items()}
    loaded = insert_new(session, FaqEntryRow, "entry_id", documents, now)
    if loaded:
        forget_cached()
        log.info("loaded bundled FAQ entries: %s", ", ".join(loaded))
    return loaded


def snapshot(session: Session) -> FaqSnapshot:
    """The entries, parsed once per change; a small query at most every `RECHECK_SECONDS`."""
    return _cache.get(session)


def forget_cached() -> None:
    """Drops this process's parsed entries (other processes notice through the version, within
    `RECHECK_SECONDS`)."""
    _cache.forget()


def _parse_rows(session: Session) -> tuple[FaqEntry, ...]:
    entries: list[FaqEntry] = []
    for entry_id, document in session.execute(select(FaqEntryRow.entry_id, FaqEntryRow.document)):
        try:
            entry = parse_entry(document, "stored FAQ entry")
        except FaqError:
            # Only validated documents are stored; a hand-edited row must not take the bot down.
            log.exception("skipping the stored FAQ entry %s", entry_id)
            continue
        if entry.id != entry_id:
            log.error("skipping the stored FAQ entry %s: its document is %s", entry_id, entry.id)
            continue
        entries.append(entry)
    return tuple(sorted(entries, key=lambda e: e.id))


def _load_time(session: Session, now: datetime) -> datetime:
    return load_time(session, FaqEntryRow.loaded_at, now)


def _row_values(entry: FaqEntry, loaded_at: datetime) -> dict[str, Any]:
    return {"entry_id": entry.id, "document": faq_document(entry), "loaded_at": loaded_at}


def _upsert(session: Session, values: dict[str, Any], *, replace: bool) -> Any:
    return upsert(session, FaqEntryRow, "entry_id", values, replace=replace)
