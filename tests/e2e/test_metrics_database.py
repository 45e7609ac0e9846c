"""The figures /metrics reads from the database at each scrape: outbound messages by state and
by error code, the queue's depth and its oldest due row, send latency, scheduler lag and missed
calendar sends. Each is read through GET /metrics (as Prometheus reads it), with real rows, and
must move when the rows do — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select, update

from bot.cli import main
from broadcasts.clock import FixedClock
from broadcasts.db.database import Database
from broadcasts.db.models import Broadcast, OutboundMessage
from broadcasts.delivery import planning
from broadcasts.editorial_calendar import scan
from broadcasts.runtime import Runtime
from config.settings import Settings
from tests.signing import SignedClient

COORDINATOR = "+6281200000001"
EDITOR = "+6281200000002"
MEMBERS = [f"+628123000000{n}" for n in range(1, 4)]


@pytest.fixture(autouse=True)
def world(settings: Settings, database: Database, clock: FixedClock) -> None:
    def run(*args: str) -> None:
        result = CliRunner().invoke(main, list(args), obj=Runtime(settings, database, clock))
        assert result.exit_code == 0, result.output

    run("group", "create", "JATIM", "--name", "Bakohumas Jawa Timur")
    run("member", "add", COORDINATOR, "--group", "JATIM", "--role", "coordinator")
    run("member", "add", EDITOR, "--group", "JATIM", "--role", "editor")
    for number in MEMBERS:
        run("member", "add", number, "--group", "JATIM")


def scrape(client: FlaskClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample /metrics serves, by name and labels."""
    answer = client.get("/metrics")
    assert answer.status_code == 200
    samples = {}
    for family in text_string_to_metric_families(answer.get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = float(sample.value)
    return samples


def value(client: FlaskClient, name: str, **labels: str) -> float:
    return scrape(client).get((name, tuple(sorted(labels.items()))), 0.0)


def broadcast_rows(database: Database, broadcast_id: int) -> list[int]:
    with database.transaction() as session:
        return list(
            session.scalars(
                select(OutboundMessage.id)
                .where(OutboundMessage.broadcast_id == broadcast_id)
                .order_by(OutboundMessage.id)
            )
        )


def test_outbound_states_error_codes_queue_and_latency_follow_the_rows(
    client: FlaskClient, twilio: SignedClient, database: Database, clock: FixedClock
) -> None:
    assert value(client, "humasbot_outbound_messages", state="queued") == 0
    assert value(client, "humasbot_outbound_queue_depth") == 0
    twilio.say(COORDINATOR, "SIARKAN JATIM Cek nama Anda di DPT: cekdptonline.kpu.go.id")
    notices = value(client, "humasbot_outbound_queue_depth")
    assert notices == 1  # the editor's review request
    twilio.say(EDITOR, "SETUJUI 1")
    rows = broadcast_rows(database, 1)
    assert len(rows) == 5  # everyone in the group
    queued = value(client, "humasbot_outbound_messages", state="queued")
    assert queued == value(client, "humasbot_outbound_queue_depth") >= 5 + notices
    assert value(client, "humasbot_outbound_oldest_due_seconds") == 0
    clock.advance(timedelta(seconds=90))
    assert value(client, "humasbot_outbound_oldest_due_seconds") == 90

    sent_at = clock.now()
    with database.transaction() as session:
        for row_id, took in ((rows[0], 3), (rows[1], 120)):
            row = session.get(OutboundMessage, row_id)
            assert row is not None
            row.state, row.sent_at = "sent", row.created_at + timedelta(seconds=took)
        session.execute(
            update(OutboundMessage)
            .where(OutboundMessage.id.in_(rows[2:4]))
            .values(state="failed", error_code=63016, sent_at=None)
        )
        session.execute(
            update(OutboundMessage)
            .where(OutboundMessage.id == rows[4])
            .values(state="delivered", error_code=None, sent_at=sent_at)
        )
    samples = scrape(client)

    def sample(name: str, **labels: str) -> float:
        return samples.get((name, tuple(sorted(labels.items()))), 0.0)

    assert sample("humasbot_outbound_messages", state="sent") == 2
    assert sample("humasbot_outbound_messages", state="failed") == 2
    assert sample("humasbot_outbound_messages", state="delivered") == 1
    assert sample("humasbot_outbound_messages", state="queued") == queued - 5
    assert sample("humasbot_outbound_queue_depth") == queued - 5
    assert sample("humasbot_outbound_errors", error_code="63016") == 2
    assert sample("humasbot_outbound_errors", error_code="63049") == 0
    # Planned at START; sent 3 s, 120 s and 90 s later (the last within the hour's window).
    buckets = {
        le: sample("humasbot_send_latency_seconds_bucket", le=le)
        for le in ("1.0", "5.0", "15.0", "60.0", "300.0", "3600.0", "+Inf")
    }
    assert buckets == {
        "1.0": 0, "5.0": 1, "15.0": 1, "60.0": 1, "300.0": 3, "3600.0": 3, "+Inf": 3
    }  # fmt: skip
    assert sample("humasbot_send_latency_seconds_gcount") == 3
    assert sample("humasbot_send_latency_seconds_gsum") == pytest.approx(213, abs=0.01)
    clock.advance(timedelta(hours=2))  # the window has moved past them
    assert value(client, "humasbot_send_latency_seconds_gcount") == 0


def test_scheduler_lag_is_the_oldest_due_work_not_done_and_falls_when_it_is(
    client: FlaskClient,
    twilio: SignedClient,
    database: Database,
    clock: FixedClock,
    settings: Settings,
) -> None:
    twilio.say(COORDINATOR, "SIARKAN JATIM Jangan lupa cek DPT")
    assert value(client, "humasbot_scheduler_lag_seconds", job="plan_broadcasts") == 0
    due = clock.now() - timedelta(minutes=5)
    with database.transaction() as session:
        session.execute(  # approved for five minutes ago; the planner has not run since
            update(Broadcast)
            .where(Broadcast.id == 1)
            .values(state="approved", scheduled_at=due, approved_at=due, approved_by="admin:x")
        )
    assert value(client, "humasbot_scheduler_lag_seconds", job="plan_broadcasts") == 300
    clock.advance(timedelta(seconds=30))
    assert value(client, "humasbot_scheduler_lag_seconds", job="plan_broadcasts") == 330
    with database.transaction() as session:
        assert planning.plan_due(session, clock.now()) == [1]
    assert value(client, "humasbot_scheduler_lag_seconds", job="plan_broadcasts") == 0

    added = CliRunner().invoke(
        main,
        ["calendar", "add", "--group", "JATIM", "--on", "2024-02-04", "--time", "10:00",
         "--body", "Cek DPT hari ini"],
        obj=Runtime(settings, database, clock),
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert value(client, "humasbot_scheduler_lag_seconds", job="calendar") == 0
    clock.set(datetime(2024, 2, 4, 3, 20, tzinfo=UTC))  # 10:20 WIB, the scan has not run
    assert value(client, "humasbot_scheduler_lag_seconds", job="calendar") == 1200
    assert value(client, "humasbot_calendar_missed_occurrences") == 0


def test_calendar_misses_count_occurrences_marked_missed(
    client: FlaskClient, database: Database, clock: FixedClock, settings: Settings
) -> None:
    for day in ("2024-02-04", "2024-02-05"):
        added = CliRunner().invoke(
            main,
            ["calendar", "add", "--group", "JATIM", "--on", day, "--time", "10:00", "--body", day],
            obj=Runtime(settings, database, clock),
        )
        assert added.exit_code == 0, added.output
    clock.set(datetime(2024, 2, 4, 10, 0, tzinfo=UTC))  # 17:00 WIB: seven hours late
    assert value(client, "humasbot_scheduler_lag_seconds", job="calendar") == 7 * 3600
    scan.tick(database, clock.now(), timedelta(hours=6))
    assert value(client, "humasbot_calendar_missed_occurrences") == 1
    assert value(client, "humasbot_scheduler_lag_seconds", job="calendar") == 0
    clock.set(datetime(2024, 2, 5, 17, 0, tzinfo=UTC))
    scan.tick(database, clock.now(), timedelta(hours=6))
    assert value(client, "humasbot_calendar_missed_occurrences") == 2
