"""SIGKILL the real `humasbot worker` mid-broadcast, again and again: nobody is lost or sent
twice. The ground truth is what the fake Twilio received, per recipient."""

from __future__ import annotations

import random
import signal
import time
from pathlib import Path

import pytest

from broadcasts.clock import SystemClock
from broadcasts.db.database import Database
from broadcasts.db.models import BroadcastState
from tests.delivery_fixtures import (
    add_template,
    broadcast_state,
    deliveries,
    exactly_once_problems,
    seed_broadcast,
    start_worker,
    stop,
    unfinished,
    wait_until,
    worker_environment,
)
from tests.fake_twilio import FakeTwilio

pytestmark = pytest.mark.slow


def test_killed_workers_lose_nothing_and_send_nothing_twice(
    database: Database, tmp_path: Path
) -> None:
    seed = random.randrange(1_000_000)
    chance = random.Random(seed)
    with FakeTwilio(latency=0.03) as fake:
        fake.add_template("HXliteracy", "Info pemilu: {{1}}")
        add_template(database, "HXliteracy")
        now = SystemClock().now()
        free_form = seed_broadcast(database, now, 60)
        template = seed_broadcast(database, now, 20, in_window=False)
        rows = deliveries(database)
        fake.errors[rows[7].address] = 63024  # one recipient is not on WhatsApp
        fake.fail_after_create_next = 4  # created, then answered 500: outcome unknown
        environment = worker_environment(
            database, fake, SEND_RATE_PER_SECOND="40", DELIVERY_SETTLE_SECONDS="1"
        )
        for _ in range(3):
            before = fake.total()
            worker = start_worker(environment, tmp_path, "worker.log")
            target = before + chance.randint(3, 15)
            assert wait_until(lambda t=target: fake.total() >= t, timeout=30), "nothing sent"
            time.sleep(chance.uniform(0, 0.2))
            stop(worker, signal.SIGKILL)
        worker = start_worker(environment, tmp_path, "worker.log")
        try:
            finished = wait_until(lambda: unfinished(database) == 0, timeout=60, every=0.2)
        finally:
            stop(worker)
        log = (tmp_path / "worker.log").read_text(errors="replace")
        assert finished, f"seed {seed}: deliveries left unfinished\n{log[-3000:]}"
        assert exactly_once_problems(database, fake) == [], f"seed {seed}"
        assert fake.total() == len(rows) - 1
        assert broadcast_state(database, free_form) == BroadcastState.DONE.value
        assert broadcast_state(database, template) == BroadcastState.DONE.value
