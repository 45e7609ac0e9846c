"""Where a phone number is still kept: every table and every column of the database, as the
database itself lists them (not as the models do), searched for the number in any form."""

from __future__ import annotations

import re

import phonenumbers
from sqlalchemy import column, inspect, select, table

from broadcasts.db.database import Database


def places_holding(database: Database, phone: str) -> list[str]:
    """`table.column = value` for every value that holds `phone` (E.164) in any of its forms:
    `+62812…`, `62812…`, `0812…`, `whatsapp:+62812…`, with or without spaces and dashes. The
    national number is part of each, so a value is searched for it as written and with all
    but its digits taken out."""
    national = str(phonenumbers.parse(phone).national_number)
    found = []
    tables = inspect(database.engine).get_table_names()
    assert "members" in tables and "alembic_version" in tables, tables
    with database.engine.connect() as connection:
        for name in tables:
            columns = [c["name"] for c in inspect(connection).get_columns(name)]
            rows = connection.execute(select(table(name, *map(column, columns))))
            for row in rows:
                for key, value in zip(columns, row, strict=True):
                    text = "" if value is None else str(value)
                    if national in text or national in re.sub(r"\D", "", text):
                        found.append(f"{name}.{key} = {text[:120]!r}")
    return found
