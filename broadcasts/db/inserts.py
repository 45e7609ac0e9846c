"""INSERT statements that leave rows already there alone, on PostgreSQL and SQLite alike."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_or_skip(session: Session, model: type[Any], *keys: str) -> Any:
    """`INSERT … ON CONFLICT (keys) DO NOTHING` into `model`'s table: a row another
    transaction stored meanwhile stands, and no error is raised."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model).on_conflict_do_nothing(index_elements=list(keys))
    return sqlite.insert(model).on_conflict_do_nothing(index_elements=list(keys))
