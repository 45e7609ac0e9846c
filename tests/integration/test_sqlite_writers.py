"""SQLite writers in other processes: a transaction waits its turn, then goes ahead."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from sqlalchemy import text

from broadcasts.db.database import Database


def test_a_transaction_waits_while_another_connection_writes_then_commits(
    tmp_path: Path,
) -> None:
    path = tmp_path / "writers.db"
    database = Database(f"sqlite:///{path}")
    with database.transaction() as session:
        session.execute(text("CREATE TABLE log (entry TEXT)"))
    # Another process's writer, as far as this Database can tell: its own connection.
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO log VALUES ('first')")
    outcome: list[BaseException | str] = []

    def write() -> None:
        try:
            with database.transaction() as session:
                session.execute(text("INSERT INTO log VALUES ('second')"))
            outcome.append("committed")
        except BaseException as error:
            outcome.append(error)

    writer = threading.Thread(target=write)
    writer.start()
    writer.join(timeout=0.3)
    assert writer.is_alive() and outcome == []  # waiting, not failed
    other.execute("COMMIT")
    writer.join(timeout=10)
    assert not writer.is_alive() and outcome == ["committed"]
    entries = [row[0] for row in other.execute("SELECT entry FROM log ORDER BY rowid")]
    assert entries == ["first", "second"]
    other.close()
    database.dispose()
