"""Messages as they arrive in production: at the same moment, again (Twilio retries), and across
a database restart."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import Flask
from sqlalchemy import func, select, text

from bot.web.app import create_app
from broadcasts.clock import FixedClock
from broadcasts.db.database import Database
from broadcasts.db.models import InboundMessage, Member
from config.settings import Settings
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL
from tests.signing import SignedClient, new_message_sid

SENDERS_AT_ONCE = 6
NEW_NUMBERS = 10


def test_a_new_numbers_first_messages_at_the_same_moment_are_all_answered(
    app: Flask, database: Database
) -> None:
    # On PostgreSQL both requests see no member yet and both insert one; the loser must not 500.
    barrier = threading.Barrier(SENDERS_AT_ONCE)

    def send(phone: str) -> str:
        twilio = SignedClient(app.test_client(), AUTH_TOKEN, PUBLIC_BASE_URL)
        barrier.wait()
        return twilio.say(phone, "MENU")

    with ThreadPoolExecutor(SENDERS_AT_ONCE) as pool:
        for number in range(NEW_NUMBERS):
            phone = f"+62812555{number:05d}"
            replies = list(pool.map(send, [phone] * SENDERS_AT_ONCE))
            assert all("MENU" in reply for reply in replies)
    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Member)) == NEW_NUMBERS
        messages = session.scalar(select(func.count()).select_from(InboundMessage))
    assert messages == NEW_NUMBERS * SENDERS_AT_ONCE


def test_one_message_sid_delivered_twice_at_the_same_moment_is_answered_once(
    app: Flask, database: Database
) -> None:
    barrier = threading.Barrier(SENDERS_AT_ONCE)

    def send(message_sid: str) -> str:
        twilio = SignedClient(app.test_client(), AUTH_TOKEN, PUBLIC_BASE_URL)
        barrier.wait()
        return twilio.say("+6281255500001", "BERHENTI", message_sid=message_sid)

    with ThreadPoolExecutor(SENDERS_AT_ONCE) as pool:
        for _ in range(NEW_NUMBERS):
            replies = set(pool.map(send, [new_message_sid()] * SENDERS_AT_ONCE))
            assert len(replies) == 1
    with database.transaction() as session:
        messages = session.scalar(select(func.count()).select_from(InboundMessage))
    assert messages == NEW_NUMBERS


def test_a_message_after_the_server_dropped_the_connections_is_answered_once(
    settings: Settings, database: Database, clock: FixedClock
) -> None:
    if not database.is_postgresql:
        pytest.skip("only a database server drops connections")
    # Its own pool, so that only its connections are dropped, as a server restart would.
    url = database.url.render_as_string(hide_password=False)
    own = Database(url, connect_args={"application_name": "humasbot-dropped"})
    try:
        twilio = SignedClient(
            create_app(settings, database=own, clock=clock).test_client(),
            AUTH_TOKEN,
            PUBLIC_BASE_URL,
        )
        assert "MENU" in twilio.say("+6281255500002", "MENU")
        with database.transaction() as session:
            dropped = session.scalar(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE application_name = 'humasbot-dropped'"
                )
            )
        assert dropped
        assert "tidak akan menerima siaran" in twilio.say("+6281255500002", "BERHENTI")
    finally:
        own.dispose()
    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(InboundMessage)) == 2


def test_a_late_retry_returns_the_first_reply_and_undoes_nothing_since(
    twilio: SignedClient, database: Database
) -> None:
    phone = "+6281255500003"
    switch = new_message_sid()
    first = twilio.say(phone, "BAHASA EN", message_sid=switch)
    assert "English" in first
    assert "Indonesia" in twilio.say(phone, "BAHASA ID")
    # Twilio delivers the first message again: same reply, and the member stays on Indonesian.
    assert twilio.say(phone, "BAHASA EN", message_sid=switch) == first
    with database.transaction() as session:
        member = session.scalars(select(Member).where(Member.phone == phone)).one()
        assert member.language == "id"
        assert session.scalar(select(func.count()).select_from(InboundMessage)) == 2
