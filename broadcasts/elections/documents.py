"""Validated documents kept in the database, one row per key, read cheaply by every process.

Election calendars and FAQ entries are stored this way: each row holds a JSON document and the
time it was loaded (`loaded_at`). Every load moves `loaded_at` strictly forward, so a tiny query —
how many rows, and the latest `loaded_at` — tells any process whether something was loaded since
it last parsed them. That query runs at most once every few seconds per process (`recheck`).
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import Engine, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import InstrumentedAttribute, Session

T = TypeVar("T")
Version = tuple[int, datetime | None]


@dataclass
class _Cached(Generic[T]):
    version: Version
    parsed: T
    checked: float  # time.monotonic() when the version was last read


class VersionedCache(Generic[T]):
    """What `parse` made of the rows, per database engine (tests use two at once), parsed again
    only when the version changed; the version is read at most every `recheck()` seconds."""

    def __init__(
        self,
        id_column: InstrumentedAttribute[int],
        loaded_at: InstrumentedAttribute[datetime],
        parse: Callable[[Session, Version], T],
        recheck: Callable[[], float],
    ) -> None:
        # Built once: this runs on hot paths, and building a statement costs as much as running it.
        self._version_query = select(func.count(id_column), func.max(loaded_at))
        self._parse = parse
        self._recheck = recheck
        self._cache: weakref.WeakKeyDictionary[Engine, _Cached[T]] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def get(self, session: Session) -> T:
        engine = session.get_bind()
        cached = self._cache.get(engine) if isinstance(engine, Engine) else None
        now = time.monotonic()
        if cached is not None and now - cached.checked < self._recheck():
            return cached.parsed
        count, latest = session.execute(self._version_query).one()
        version: Version = (int(count), latest)
        if cached is not None and cached.version == version:
            cached.checked = now
            return cached.parsed
        fresh = self._parse(session, version)
        if isinstance(engine, Engine):
            with self._lock:
                self._cache[engine] = _Cached(version, fresh, now)
        return fresh

    def forget(self) -> None:
        """Drops this process's parsed documents (others notice through the version)."""
        with self._lock:
            self._cache.clear()


def load_time(
    session: Session, loaded_at: InstrumentedAttribute[datetime], now: datetime
) -> datetime:
    """`now`, or just after the latest load when that is not earlier (a clock standing still, or
    behind another machine's), so every load changes the version readers compare."""
    latest: datetime | None = session.scalar(select(func.max(loaded_at)))
    if latest is not None and latest >= now:
        return latest + timedelta(microseconds=1)
    return now


def upsert(
    session: Session, model: type[Any], key: str, values: dict[str, Any], *, replace: bool
) -> Any:
    """INSERT … ON CONFLICT on the key column: race-free on PostgreSQL and SQLite alike. Without
    `replace`, a row stored meanwhile by another process stands."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        statement: Any = postgresql.insert(model).values(**values)
    elif dialect == "sqlite":
        statement = sqlite.insert(model).values(**values)
    else:
        raise NotImplementedError(f"documents are not stored on {dialect}")
    if not replace:
        return statement.on_conflict_do_nothing(index_elements=[key])
    return statement.on_conflict_do_update(
        index_elements=[key],
        set_={"document": statement.excluded.document, "loaded_at": statement.excluded.loaded_at},
    )


def insert_new(
    session: Session, model: type[Any], key: str, documents: dict[str, Any], now: datetime
) -> list[str]:
    """Stores the documents whose key the table lacks (bundled ones never overwrite a load);
    a row another process stores at the same moment stands. Returns the keys stored."""
    present = set(session.scalars(select(getattr(model, key))))
    missing = {name: document for name, document in documents.items() if name not in present}
    if not missing:
        return []
    loaded_at = load_time(session, model.loaded_at, now)
    stored: list[str] = []
    for name, document in sorted(missing.items()):
        values = {key: name, "document": document, "loaded_at": loaded_at}
        if getattr(
            session.execute(upsert(session, model, key, values, replace=False)), "rowcount", 0
        ):
            stored.append(name)
    return stored
