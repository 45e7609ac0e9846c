"""Fixtures shared by the delivery tests: a fake Twilio over real HTTP, and settings that send
to it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from config.settings import Settings
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
