"""Fixtures shared by every tier.

Integration and end-to-end tests take `database`, which runs each test on SQLite and on the
PostgreSQL server at 127.0.0.1:5432 (`HUMASBOT_TEST_POSTGRES` overrides it). Without that
server the PostgreSQL half is skipped, unless `HUMASBOT_REQUIRE_POSTGRES=1` (CI) makes it fail.
"""

from __future__ import annotations

import os
import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import settings as hypothesis_settings
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.web.app import create_app
from broadcasts.clock import FixedClock
from broadcasts.db.database import Database
from broadcasts.db.models import Base
from broadcasts.db.schema import upgrade
from broadcasts.elections import faq
from broadcasts.elections import stored as calendars
from config.settings import Settings
from tests.signing import SignedClient

# No per-example deadline: a slow or shared CI machine must not turn a correct test red (how
# fast things are is the benchmarks' business, not the suite's).
hypothesis_settings.register_profile("humasbot", deadline=None)
hypothesis_settings.load_profile("humasbot")

POSTGRES_SERVER = os.environ.get(
    "HUMASBOT_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
AUTH_TOKEN = "test-auth-token"
PUBLIC_BASE_URL = "https://humasbot.example.go.id"
# Ten days before voting day of Pemilu 2024: in the campaign period, WIB morning.
START = datetime(2024, 2, 4, 2, 0, tzinfo=UTC)


def _postgres_database(name: str) -> str | None:
    """Creates a fresh database on the test server; None if the server is not there."""
    server = make_url(POSTGRES_SERVER)
    try:
        engine = create_engine(server, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
    except Exception as error:
        if os.environ.get("HUMASBOT_REQUIRE_POSTGRES") == "1":
            raise RuntimeError(f"PostgreSQL is required but not reachable: {error}") from error
        return None
    return server.set(database=name).render_as_string(hide_password=False)


def _drop_postgres_database(name: str) -> None:
    engine = create_engine(make_url(POSTGRES_SERVER), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    path: Path = tmp_path_factory.mktemp("db") / "humasbot.db"
    database = Database(f"sqlite:///{path}")
    upgrade(database)
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def postgresql_database() -> Iterator[Database]:
    name = f"humasbot_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    url = _postgres_database(name)
    if url is None:
        pytest.skip("PostgreSQL is not reachable at " + POSTGRES_SERVER)
    database = Database(url)
    upgrade(database)
    yield database
    database.dispose()
    _drop_postgres_database(name)


def _empty(database: Database) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with database.engine.begin() as connection:
        if database.is_postgresql:
            quoted = ", ".join(f'"{t}"' for t in tables)
            connection.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(text(f'DELETE FROM "{table}"'))


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest) -> Iterator[Database]:
    """An empty, migrated database: each test runs once on SQLite and once on PostgreSQL."""
    found: Database = request.getfixturevalue(f"{request.param}_database")
    _empty(found)
    calendars.forget_cached()  # emptied behind this process's back, as another process could
    faq.forget_cached()
    yield found


@pytest.fixture
def seed() -> int:
    """The seed of a test that draws at random: `HUMASBOT_TEST_SEED=N` pins it, otherwise a new
    one each run. Printed (pytest shows it with a failure); tests name it in their messages too."""
    pinned = os.environ.get("HUMASBOT_TEST_SEED", "").strip()
    chosen = int(pinned) if pinned else random.randrange(1_000_000)
    print(f"seed {chosen} (HUMASBOT_TEST_SEED={chosen} runs it again)")
    return chosen


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def settings(database: Database) -> Settings:
    return Settings(
        database_url=database.url.render_as_string(hide_password=False),
        twilio_auth_token=AUTH_TOKEN,
        public_base_url=PUBLIC_BASE_URL,
        secret_key="test-secret",
    )


@pytest.fixture
def app(settings: Settings, database: Database, clock: FixedClock) -> Flask:
    flask_app = create_app(settings, database=database, clock=clock)
    flask_app.testing = True
    return flask_app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def twilio(client: FlaskClient) -> SignedClient:
    """Sends webhook requests signed exactly as Twilio signs them."""
    return SignedClient(client, AUTH_TOKEN, PUBLIC_BASE_URL)
