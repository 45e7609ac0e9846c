"""Applying the Alembic migrations from code (`humasbot db upgrade`, `run`, tests)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from broadcasts.db.database import Database
from config.settings import MIGRATIONS_DIR


def alembic_config(database: Database) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option(
        "sqlalchemy.url", database.url.render_as_string(hide_password=False).replace("%", "%%")
    )
    return config


def upgrade(database: Database, revision: str = "head") -> None:
    config = alembic_config(database)
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
