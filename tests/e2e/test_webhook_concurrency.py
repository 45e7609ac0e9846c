"""Messages arriving at the same moment, as they do under load: each answered, none lost."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from flask import Flask
from sqlalchemy import func, select

from broadcasts.database import Database
from broadcasts.models import InboundMessage, Member
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
