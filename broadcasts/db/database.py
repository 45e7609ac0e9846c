"""Engine and transactions. One `Database` per process; one transaction per request or job."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker


def normalise_url(url: str) -> URL:
    """`postgresql://` means psycopg 3 here; SQLite paths are made to exist."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


# The largest id an INTEGER key holds on both databases: a larger one names no row (and would
# make PostgreSQL refuse the query), so lookups answer "not found" without asking.
MAX_ID = 2**31 - 1

# How long a SQLite writer waits for the one before it before giving up.
BUSY_TIMEOUT_MS = 30_000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Autocommit at the driver so SQLAlchemy's "begin" event decides how a transaction starts.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


# The session of the transaction open in this thread (or task), if any: `Database.reading`.
_open: ContextVar[Session | None] = ContextVar("open_transaction", default=None)


def _sqlite_begin_immediate(connection: Any) -> None:
    # Take the write lock up front: two writers then queue instead of one failing with
    # "database is locked" halfway through its transaction.
    raw = connection.connection.driver_connection
    raw.execute("PRAGMA busy_timeout=0")
    try:
        _wait_for_write_lock(raw)
    finally:
        raw.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


def _wait_for_write_lock(raw: sqlite3.Connection) -> None:
    """BEGIN IMMEDIATE, retried every millisecond or less while another process writes.

    SQLite's own busy handler sleeps up to 100 ms between tries, so the file sits idle while
    the writers of several gunicorn workers sleep; retrying this often keeps it busy.
    """
    pause, deadline = 0.0001, time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            raw.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.001)


# A pooled PostgreSQL connection is pinged before use only when it has sat idle this long. That
# catches a server restart or a dropped idle connection before a request uses it, without
# pool_pre_ping's round trip on every checkout (a tenth of a webhook request's database work).
IDLE_PING_SECONDS = 5.0


def _note_checkin(_dbapi_connection: Any, record: Any) -> None:
    record.info["idle_since"] = time.monotonic()


def _ping_if_idle(engine: Engine) -> Callable[[Any, Any, Any], None]:
    def check(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < IDLE_PING_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            # The pool drops this connection and checks out another (a new one if need be).
            raise DisconnectionError("pooled connection is gone") from error

    return check


class Database:
    def __init__(self, url: str, **engine_options: Any) -> None:
        self.url = normalise_url(url)
        if self.is_sqlite:
            database = self.url.database
            if database and database != ":memory:":
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            engine_options.setdefault("connect_args", {"check_same_thread": False})
        else:
            engine_options.setdefault("pool_size", 10)
            engine_options.setdefault("max_overflow", 20)
        self.engine: Engine = create_engine(self.url, **engine_options)
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.engine, "begin", _sqlite_begin_immediate)
        elif not engine_options.get("pool_pre_ping"):
            event.listen(self.engine, "checkin", _note_checkin)
            event.listen(self.engine, "checkout", _ping_if_idle(self.engine))
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # SQLite lets one transaction at a time write (and every transaction here starts as a
        # writer); this process's threads queue on a lock, which hands over at once, rather
        # than each polling the file.
        self._writer_turn: AbstractContextManager[Any] = (
            threading.RLock() if self.is_sqlite else nullcontext()
        )

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @property
    def is_postgresql(self) -> bool:
        return self.url.get_backend_name() == "postgresql"

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed together, or rolled back on any error."""
        with self._writer_turn, self._sessions() as session, session.begin():
            token = _open.set(session)
            try:
                yield session
            finally:
                _open.reset(token)

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """The transaction this thread has open, to read in (on SQLite a second one would wait
        for the first to end); a new one when none is."""
        open_now = _open.get()
        if open_now is not None and open_now.get_bind() is self.engine:
            yield open_now
            return
        with self.transaction() as session:
            yield session

    def ping(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    def dispose(self) -> None:
        self.engine.dispose()
