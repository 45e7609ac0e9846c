"""A whole session's log — joining, questions, a broadcast delivered on the console, errors, SQL
with its parameters, an access line with a token — holds no full phone number and no token."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import phonenumbers
import pytest
from sqlalchemy import insert

from broadcasts.clock import FixedClock
from broadcasts.db.database import Database
from broadcasts.db.models import Member, Role
from broadcasts.delivery.dispatch import Dispatcher
from broadcasts.delivery.transports.console import ConsoleTransport
from broadcasts.elections.stored import load_bundled
from broadcasts.people import membership
from broadcasts.people.masking import install_log_masking
from broadcasts.runtime import Runtime
from broadcasts.worker import Job, _guarded
from config.settings import Settings
from tests.signing import SignedClient

BUDI = "+6281234567890"
CICI = "+6281300000002"
EKA = "+6281300000001"
TOKEN = "eyJncm91cCI6IktBTEJBUiJ9.Zk3aQ"


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Everything logged, SQLAlchemy's statements and parameters included, masked as the
    `humasbot` command and the web process mask it."""
    undo = install_log_masking()
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
    yield caplog
    undo()


def test_no_full_number_or_token_in_a_whole_session(
    logs: pytest.LogCaptureFixture,
    twilio: SignedClient,
    settings: Settings,
    database: Database,
    clock: FixedClock,
) -> None:
    with database.transaction() as session:
        load_bundled(session, clock.now())
        group = membership.create_group(session, "KALBAR", "Bakohumas Kalbar")
        membership.add_member(session, EKA, "KALBAR", role=Role.EDITOR, name="Eka")
        membership.add_member(session, CICI, "KALBAR", role=Role.COORDINATOR)
        join_code = group.join_code
    twilio.say(BUDI, f"DAFTAR {join_code}", WaId=BUDI[1:])
    twilio.say(BUDI, "kapan pencoblosan pemilu 2024?")
    twilio.say(BUDI, "LAPOR Katanya pencoblosan diundur, WA saya 0812-3456-7890")
    twilio.say(EKA, "halo")
    twilio.say(CICI, "SIARKAN KALBAR Pemungutan suara 14 Februari 2024.")
    twilio.say(EKA, "SETUJUI 1")
    printed = io.StringIO()
    sending = Dispatcher(settings, database, clock, ConsoleTransport(printed, clock))
    sending.drain()
    sending.close()
    # Errors: a sender that is no number, and a job that fails on a number's unique key.
    twilio.say("whatsapp:12345", "halo")

    def duplicate_member(runtime: Runtime) -> None:
        with runtime.database.transaction() as session:
            session.execute(insert(Member).values(phone=BUDI, created_at=clock.now()))

    _guarded(Job("duplicate", 1, duplicate_member), Runtime(settings, database, clock))
    logging.getLogger("werkzeug").info(
        '%s - - "%s" %s -', "127.0.0.1", f"GET /calendar/KALBAR.ics?token={TOKEN} HTTP/1.1", 200
    )

    text = logs.text
    assert "job duplicate failed" in text and "IntegrityError" in text
    assert "+62812****7890" in text  # the parameters were logged, masked
    assert "token=***" in text and TOKEN not in text
    console = printed.getvalue()
    assert "Pemungutan suara 14 Februari 2024" in console and "whatsapp:+62812****7890" in console
    for phone in (BUDI, CICI, EKA):
        national = str(phonenumbers.parse(phone).national_number)
        assert national not in text, phone
        assert national not in console, phone
