"""The retention job with the clock moved: incoming texts go after INBOUND_RETENTION_DAYS (their
MessageSid stays, so a repeat is still answered once), report links after 180 days, a silent
number in no group is erased — and each run that deleted something says how much."""

from __future__ import annotations

import io
import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from broadcasts.clock import FixedClock
from broadcasts.db.database import Database
from broadcasts.db.models import (
    AuditEvent,
    HoaxReport,
    InboundMessage,
    Member,
    OutboundMessage,
    Role,
)
from broadcasts.delivery.dispatch import Dispatcher
from broadcasts.delivery.transports.console import ConsoleTransport
from broadcasts.people import membership
from broadcasts.people.retention import retention_job
from broadcasts.runtime import Runtime
from config.settings import Settings
from tests.number_scan import places_holding
from tests.signing import SignedClient, new_message_sid, twiml_text

BUDI = "+6281234567890"  # in a group: his number stays, his old texts go
SARI = "+6281298765432"  # asks once, in no group: erased once silent for the period
CICI = "+6281300000002"  # coordinator, told of Budi's report


def texts_of(database: Database, phone: str) -> list[str]:
    with database.transaction() as session:
        return list(
            session.scalars(
                select(InboundMessage.body)
                .join(Member, Member.id == InboundMessage.member_id)
                .where(Member.phone == phone)
                .order_by(InboundMessage.id)
            )
        )


def retention_events(database: Database) -> list[dict[str, object]]:
    with database.transaction() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "retention").order_by(AuditEvent.id)
        )
        return [event.detail for event in events]


def test_retention_deletes_what_is_past_its_time(
    twilio: SignedClient,
    database: Database,
    settings: Settings,
    clock: FixedClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="broadcasts.people.retention")
    with database.transaction() as session:
        group = membership.create_group(session, "KALBAR", "Bakohumas Kalbar")
        membership.add_member(session, CICI, "KALBAR", role=Role.COORDINATOR)
        join_code = group.join_code
    runtime = Runtime(settings, database, clock)
    join_sid = new_message_sid()
    twilio.message(BUDI, f"DAFTAR {join_code}", message_sid=join_sid)
    twilio.say(CICI, "halo")  # she wrote today: the report's notice goes to her at once
    twilio.say(BUDI, "LAPOR Katanya TPS dipindah ke balai desa")
    twilio.say(SARI, "apa itu DPT?")
    sending = Dispatcher(settings, database, clock, ConsoleTransport(io.StringIO(), clock))
    sending.drain()  # the report's notice to Cici is sent
    sending.close()

    clock.advance(timedelta(days=60))
    twilio.say(BUDI, "MENU")
    retention_job(runtime)
    assert retention_events(database) == []  # nothing is old enough yet

    clock.advance(timedelta(days=31))  # 91 days after the first messages
    retention_job(runtime)
    assert texts_of(database, BUDI) == ["MENU"]
    assert places_holding(database, SARI) == []
    with database.transaction() as session:
        budi = membership.find_member(session, phone=BUDI)
        assert budi is not None and membership.groups_of(session, budi)
        assert session.scalars(select(HoaxReport.member_id)).one() == budi.id
        notice = session.scalars(
            select(OutboundMessage.body).where(OutboundMessage.dedupe_key.startswith("hoax:"))
        ).one()
        assert notice is None
    [first] = retention_events(database)
    # Budi's two first texts, Cici's and Sari's; the report's notice; Sari herself.
    assert first == {"days": 90, "texts": 4, "notices": 1, "report_links": 0, "numbers": 1}
    assert "retention:" in caplog.text and "1 silent numbers" in caplog.text

    # Twilio sending the old join again is answered once more with nothing, and changes nothing.
    assert twiml_text(twilio.message(BUDI, f"DAFTAR {join_code}", message_sid=join_sid)) == ""
    with database.transaction() as session:
        assert (
            session.scalar(
                select(InboundMessage.body).where(InboundMessage.message_sid == join_sid)
            )
            == ""
        )

    clock.advance(timedelta(days=90))  # 181 days after the report
    retention_job(runtime)
    with database.transaction() as session:
        assert session.scalars(select(HoaxReport.member_id)).one() is None
    assert texts_of(database, BUDI) == []
    assert retention_events(database)[-1] == {
        "days": 90,
        "texts": 1,
        "notices": 0,
        "report_links": 1,
        "numbers": 0,
    }

    retention_job(runtime)  # nothing left to delete: no event, no line
    assert len(retention_events(database)) == 2
