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
    deliveries,
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


def test_killed_workers_lose_nothing_and_send_nothing_twice(
    database: Database, tmp_path: Path, seed: int
) -> None:
    chance = random.Random(seed)  # when each life is killed (HUMASBOT_TEST_SEED pins it)
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
            sent = wait_until(lambda t=target: fake.total() >= t, timeout=30)
            assert sent, f"seed {seed}: {fake.total()} sent, waiting for {target}"
            time.sleep(chance.uniform(0, 0.2))
            stop(worker, signal.SIGKILL)
        worker = start_worker(environment, tmp_path, "worker.log")
        done = BroadcastState.DONE.value
        try:
            # The final state of both broadcasts, waited for while the last worker runs (it is
            # written after their rows are final, perhaps by a later reconcile job).
            final = [wait_for_state(database, b, done, 90) for b in (free_form, template)]
        finally:
            stop(worker)
        log = (tmp_path / "worker.log").read_text(errors="replace")
        assert final == [done, done], (
            f"seed {seed}: {final}, rows {states(database)}\n{log[-3000:]}"
        )
        assert unfinished(database) == 0, f"seed {seed}"
        assert exactly_once_problems(database, fake) == [], f"seed {seed}"
        assert fake.total() == len(rows) - 1, f"seed {seed}"
