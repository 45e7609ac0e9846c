"""Election calendars in the database, and a cheap read of them for every date question.

The `elections` table keeps one validated document per election code. Bundled calendars
(`config/elections/*.yaml`) fill in the codes the database lacks and never overwrite one an admin
loaded. Reading is the hot path (JADWAL): parsed calendars stay in memory per process, and a
tiny query — how many rows, and the latest `loaded_at` — tells whether any process has loaded a
calendar since. Every load therefore moves `loaded_at` strictly forward. The query runs at most
once every `RECHECK_SECONDS` per process: a load reaches every answer within that time.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
import weakref
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from broadcasts.elections import CalendarError, Election, election_document, parse_election
from broadcasts.elections import parse_yaml as parse_calendar_yaml
from broadcasts.models import Election as ElectionRow
from config.settings import ELECTIONS_DIR

log = logging.getLogger(__name__)

VOCABULARY_FILE = "vocabulary.yaml"  # the words of questions, kept beside the calendars

_generations = itertools.count(1)


@dataclass(frozen=True)
class Snapshot:
    """The calendars as last loaded, in order of election year."""

    elections: tuple[Election, ...]
    loaded_at: datetime | None  # when the newest of them was loaded; None when there are none

    # Numbers each snapshot parsed in this process: what is worked out from one (a rendered
    # date answer) can be kept under its number, and is not found again once calendars change.
    generation: int = field(default_factory=lambda: next(_generations), compare=False)

    @property
    def codes(self) -> list[str]:
        return [e.code for e in self.elections]


_Version = tuple[int, datetime | None]
# Built once: this runs on every JADWAL, and building a statement costs as much as running it.
_VERSION_QUERY = select(func.count(ElectionRow.id), func.max(ElectionRow.loaded_at))

# How long a process answers from its parsed calendars before it asks again whether they
# changed: asking costs a round trip, which every date question would otherwise pay.
RECHECK_SECONDS = 1.0


@dataclass
class _Cached:
    version: _Version
    snapshot: Snapshot
    checked: float  # time.monotonic() when the version was last read


# Per database engine (tests use two at once), the version read and the calendars parsed for it.
_cache: weakref.WeakKeyDictionary[Engine, _Cached] = weakref.WeakKeyDictionary()
_cache_lock = threading.Lock()


def read_calendar_file(path: Path) -> Election:
    """A calendar file parsed and validated; `CalendarError` names the file and the problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CalendarError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise CalendarError(f"{path}: is a directory, not a calendar file") from None
    except OSError as error:
        raise CalendarError(f"{path}: cannot be read ({error.strerror})") from error
    except UnicodeDecodeError:
        raise CalendarError(f"{path}: is not UTF-8 text") from None
    return parse_calendar_yaml(text, path.name)


def bundled_files(directory: Path = ELECTIONS_DIR) -> list[Path]:
    return sorted(p for p in directory.glob("*.yaml") if p.name != VOCABULARY_FILE)


def is_loaded(session: Session, code: str) -> bool:
    return session.scalar(select(ElectionRow.id).where(ElectionRow.code == code)) is not None


def load_calendar(session: Session, election: Election, now: datetime) -> bool:
    """Stores `election`, replacing the calendar of the same code; True if it replaced one."""
    replaced = is_loaded(session, election.code)
    values = _row_values(election, _load_time(session, now))
    session.execute(_upsert(session, values, replace=True))
    forget_cached()
    return replaced


def load_bundled(session: Session, now: datetime, directory: Path = ELECTIONS_DIR) -> list[str]:
    """Loads the bundled calendars whose code the database does not have; returns their codes."""
    present = set(session.scalars(select(ElectionRow.code)))
    loaded: list[str] = []
    for path in bundled_files(directory):
        election = read_calendar_file(path)
        if election.code in present:
            continue
        values = _row_values(election, _load_time(session, now))
        # Another process starting at the same moment may insert it first: theirs stands.
        result = session.execute(_upsert(session, values, replace=False))
        if getattr(result, "rowcount", 0):
            loaded.append(election.code)
    if loaded:
        forget_cached()
        log.info("loaded bundled election calendars: %s", ", ".join(loaded))
    return loaded


def snapshot(session: Session) -> Snapshot:
    """The calendars, parsed once per change; a small query at most every `RECHECK_SECONDS`."""
    engine = session.get_bind()
    cached = _cache.get(engine) if isinstance(engine, Engine) else None
    now = time.monotonic()
    if cached is not None and now - cached.checked < RECHECK_SECONDS:
        return cached.snapshot
    count, latest = session.execute(_VERSION_QUERY).one()
    version: _Version = (int(count), latest)
    if cached is not None and cached.version == version:
        cached.checked = now
        return cached.snapshot
    fresh = Snapshot(_parse_rows(session), version[1])
    if isinstance(engine, Engine):
        with _cache_lock:
            _cache[engine] = _Cached(version, fresh, now)
    return fresh


def all_elections(session: Session) -> tuple[Election, ...]:
    return snapshot(session).elections


def forget_cached() -> None:
    """Drops this process's parsed calendars (other processes notice through the version, within
    `RECHECK_SECONDS`)."""
    with _cache_lock:
        _cache.clear()


def _parse_rows(session: Session) -> tuple[Election, ...]:
    elections: list[Election] = []
    for code, document in session.execute(select(ElectionRow.code, ElectionRow.document)):
        try:
            elections.append(parse_election(document, f"stored calendar {code}"))
        except CalendarError:
            # Only validated documents are stored; a hand-edited row must not take the bot down.
            log.exception("skipping the stored calendar %s", code)
    return tuple(sorted(elections, key=lambda e: (e.year, e.code)))


def _load_time(session: Session, now: datetime) -> datetime:
    """`now`, or just after the latest load when that is not earlier (a clock standing still, or
    behind another machine's), so every load changes the version readers compare."""
    latest: datetime | None = session.scalar(select(func.max(ElectionRow.loaded_at)))
    if latest is not None and latest >= now:
        return latest + timedelta(microseconds=1)
    return now


def _row_values(election: Election, loaded_at: datetime) -> dict[str, Any]:
    return {
        "code": election.code,
        "document": election_document(election),
        "loaded_at": loaded_at,
    }


def _upsert(session: Session, values: dict[str, Any], *, replace: bool) -> Any:
    """INSERT … ON CONFLICT on the code: race-free on PostgreSQL and SQLite alike."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        statement: Any = postgresql.insert(ElectionRow).values(**values)
    elif dialect == "sqlite":
        statement = sqlite.insert(ElectionRow).values(**values)
    else:
        raise NotImplementedError(f"election calendars are not stored on {dialect}")
    if not replace:
        return statement.on_conflict_do_nothing(index_elements=["code"])
    return statement.on_conflict_do_update(
        index_elements=["code"],
        set_={"document": statement.excluded.document, "loaded_at": statement.excluded.loaded_at},
    )
