"""Every migration goes down and up again: from the newest, one step down at a time to an
empty database, then up to the newest, on SQLite and PostgreSQL. A downgrade that leaves a table,
index or column behind makes the next upgrade fail here, before it fails an operator."""

from __future__ import annotations

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from broadcasts.db.database import Database
from broadcasts.db.schema import alembic_config, upgrade


def tables(database: Database) -> set[str]:
    return set(inspect(database.engine).get_table_names()) - {"alembic_version"}


def test_each_migration_goes_down_and_up_again(empty: Database) -> None:
    upgrade(empty)
    newest = tables(empty)
    config = alembic_config(empty)
    revisions = [r.revision for r in ScriptDirectory.from_config(config).walk_revisions()]
    assert len(revisions) >= 9
    for revision in revisions:  # newest first
        with empty.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, f"{revision}-1" if revision != revisions[-1] else "base")
    empty.engine.dispose()
    assert tables(empty) == set()
    upgrade(empty)
    assert tables(empty) == newest
