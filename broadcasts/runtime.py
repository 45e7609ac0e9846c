"""The runtime: settings, the database and the clock — what the web app, the worker and the CLI
each make once and hand to the domain.

Each part is made on first use, so `humasbot --help` works even with broken settings; parts
passed in (tests, the web app's factory) are used as they are. `prepare` runs once on a database
this runtime makes itself: the CLI brings it to the newest schema there, so every command works
on a fresh install.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property

from broadcasts.clock import Clock, SystemClock
from broadcasts.db.database import Database
from config.settings import Settings, load_settings


class Runtime:
    def __init__(
        self,
        settings: Settings | None = None,
        database: Database | None = None,
        clock: Clock | None = None,
        *,
        prepare: Callable[[Database], None] | None = None,
    ) -> None:
        # Set only what was given: the cached properties below make the rest on first use.
        for name, given in (("settings", settings), ("database", database), ("clock", clock)):
            if given is not None:
                self.__dict__[name] = given
        self._own_database: Database | None = None
        self._prepare = prepare

    @cached_property
    def settings(self) -> Settings:
        return load_settings()

    @cached_property
    def database(self) -> Database:
        self._own_database = Database(self.settings.database_url)
        if self._prepare is not None:
            self._prepare(self._own_database)
        return self._own_database

    @cached_property
    def clock(self) -> Clock:
        return SystemClock()

    def close(self) -> None:
        """Returns the pool's connections of a database this runtime made itself."""
        if self._own_database is not None:
            self._own_database.dispose()
