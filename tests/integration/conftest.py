"""Fixtures shared by integration tests: a fake Twilio over real HTTP and settings that send to
it (delivery tests); an empty database of each kind, not yet migrated (migration tests)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from broadcasts.db.database import Database
from config.settings import Settings
from tests.conftest import _drop_postgres_database, _postgres_database
from tests.fake_twilio import FakeTwilio


@pytest.fixture
def fake(settings: Settings) -> Iterator[FakeTwilio]:
    with FakeTwilio(auth_token=settings.twilio_auth_token or "") as running:
        yield running


@pytest.fixture
def delivery_settings(settings: Settings, fake: FakeTwilio) -> Settings:
    return settings.replace(
        twilio_account_sid=fake.account_sid,
        twilio_whatsapp_from="whatsapp:+14155238886",
        twilio_api_base_url=fake.url,
        send_rate_per_second=50,
        delivery_settle_seconds=30.0,
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def empty(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'migrated.db'}")
        yield database
        database.dispose()
        return
    name = f"humasbot_migration_{uuid.uuid4().hex[:8]}"
    url = _postgres_database(name)
    if url is None:
        pytest.skip("PostgreSQL is not reachable")
    database = Database(url)
    yield database
    database.dispose()
    _drop_postgres_database(name)
