"""The `humasbot` group and what its commands share: settings, the database, the clock."""

from __future__ import annotations

import logging
from functools import cached_property

import click

from broadcasts.clock import Clock, SystemClock
from broadcasts.database import Database
from config.settings import Settings, SettingsError, load_settings


class Context:
    """Built lazily, so `humasbot --help` works even with broken settings."""

    @cached_property
    def settings(self) -> Settings:
        try:
            return load_settings()
        except SettingsError as error:
            raise click.ClickException(str(error)) from error

    _own_database: Database | None = None

    @cached_property
    def database(self) -> Database:
        self._own_database = Database(self.settings.database_url)
        return self._own_database

    @cached_property
    def clock(self) -> Clock:
        return SystemClock()

    def close(self) -> None:
        """Returns the pool's connections, so no command leaves one open behind it."""
        if self._own_database is not None:
            self._own_database.dispose()


pass_context = click.make_pass_decorator(Context, ensure=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.pass_context
def main(ctx: click.Context) -> None:
    """Humasbot: election-literacy broadcasts over WhatsApp."""
    ctx.ensure_object(Context)
    ctx.call_on_close(ctx.obj.close)
    level = ctx.obj.settings.log_level if ctx.invoked_subcommand else "WARNING"
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
