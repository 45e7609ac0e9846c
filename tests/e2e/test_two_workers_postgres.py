"""Two `humasbot worker` processes on one PostgreSQL database share a broadcast: rows are
claimed with FOR UPDATE SKIP LOCKED under leases, so each recipient gets one message."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from broadcasts.clock import SystemClock
from broadcasts.db.database import Database
from broadcasts.db.models import BroadcastState
from tests.delivery_fixtures import (
    exactly_once_problems,
    seed_broadcast,
    start_worker,
    states,
    stop,
    unfinished,
    wait_for_state,
    wait_until,
    worker_environment,
)
from tests.fake_twilio import FakeTwilio

pytestmark = pytest.mark.slow

SENDERS = ("whatsapp:+14155238886", "whatsapp:+14155238887")


def started(log: Path) -> bool:
    return log.exists() and "worker started" in log.read_text(errors="replace")


@pytest.fixture
def postgres(database: Database) -> Database:
    if not database.is_postgresql:
        pytest.skip("several workers need PostgreSQL; SQLite has a single dispatcher")
    return database


def test_two_workers_share_a_broadcast_and_send_nothing_twice(
    postgres: Database, tmp_path: Path
) -> None:
    with FakeTwilio(latency=0.05) as fake:
        fake.fail_after_create_next = 3  # a few outcomes unknown: reconciled, not resent
        workers = [
            start_worker(
                worker_environment(
                    postgres,
                    fake,
                    TWILIO_WHATSAPP_FROM=sender,
                    SEND_RATE_PER_SECOND="60",
                    DELIVERY_SETTLE_SECONDS="1",
                ),
                tmp_path,
                f"worker{number}.log",
            )
            for number, sender in enumerate(SENDERS)
        ]
        try:
            # Both running before there is anything to send, so neither can do it all alone.
            logs = [tmp_path / f"worker{number}.log" for number in range(len(SENDERS))]
            assert wait_until(lambda: all(started(log) for log in logs), timeout=60)
            broadcast_id = seed_broadcast(postgres, SystemClock().now(), 240)
            # Done is the broadcast's final state, written by whichever worker sees its last row
            # final (in a flush, or in a later reconcile job): waited for with both running.
            state = wait_for_state(postgres, broadcast_id, BroadcastState.DONE.value, 90)
        finally:
            for worker in workers:
                stop(worker)
        logs = "".join(p.read_text(errors="replace") for p in tmp_path.glob("*.log"))
        assert state == BroadcastState.DONE.value, (
            f"{state}, rows {states(postgres)}\n{logs[-3000:]}"
        )
        assert unfinished(postgres) == 0
        assert exactly_once_problems(postgres, fake) == []
        assert fake.total() == 240
        by_sender = Counter(message.sender for message in fake.messages)
        assert set(by_sender) == set(SENDERS), by_sender  # both did part of the work
