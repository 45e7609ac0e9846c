"""Ten random SIGKILLs of `humasbot worker` during a 5,000-member broadcast.

    .venv/bin/python -m benchmarks.kill_storm [--members 5000] [--kills 10] [--seed N] [--postgres]

The worker runs as a subprocess against a fresh SQLite database (or `--database-url`) and the
fake Twilio (20 ms per request, a few answers of 500 after the message was created, one
recipient not on WhatsApp). A fifth of the members (`--outside`) have not written for days, so
their messages go out as an approved template, the other path through the dispatcher. Each
life of the worker is killed at a random moment once it has sent something; after the last
kill it runs to the end. Counted on the fake: recipients that got no message and have no
recorded reason (lost), and recipients that got more than one (duplicated). Both must be 0.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from broadcasts.clock import SystemClock
from broadcasts.db.database import Database
from broadcasts.db.schema import upgrade
from tests.delivery_fixtures import (
    add_template,
    deliveries,
    seed_broadcast,
    start_worker,
    stop,
    unfinished,
    wait_until,
    worker_environment,
)
from tests.fake_twilio import FakeTwilio

TEMPLATE = "HXliteracy"
POSTGRES_SERVER = os.environ.get(
    "HUMASBOT_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def main() -> None:
    parser = argparse.ArgumentParser(description="SIGKILL the worker mid-broadcast, count.")
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--rate", type=int, default=200, help="SEND_RATE_PER_SECOND")
    parser.add_argument("--seed", type=int, default=random.randrange(1_000_000))
    parser.add_argument(
        "--outside",
        type=float,
        default=0.2,
        help="share of members outside the 24-hour window (sent a template)",
    )
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument(
        "--postgres", action="store_true", help="a fresh database on 127.0.0.1:5432, dropped after"
    )
    arguments = parser.parse_args()
    if arguments.postgres:
        with fresh_postgres() as url:
            arguments.database_url = url
            storm(arguments)
    else:
        storm(arguments)


@contextmanager
def fresh_postgres() -> Iterator[str]:
    server = make_url(POSTGRES_SERVER)
    name = f"humasbot_storm_{uuid.uuid4().hex[:8]}"
    engine = create_engine(server, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def storm(arguments: argparse.Namespace) -> None:
    chance = random.Random(arguments.seed)
    with tempfile.TemporaryDirectory() as workdir, FakeTwilio(latency=0.02) as fake:
        work = Path(workdir)
        database = Database(arguments.database_url or f"sqlite:///{work / 'storm.db'}")
        upgrade(database)
        outside = round(arguments.members * arguments.outside)
        now = SystemClock().now()
        fake.add_template(TEMPLATE, "Info pemilu: {{1}}")
        add_template(database, TEMPLATE)
        seed_broadcast(database, now, arguments.members - outside)
        seed_broadcast(database, now, outside, in_window=False)
        rows = deliveries(database)
        fake.errors[rows[chance.randrange(len(rows))].address] = 63024
        fake.fail_after_create_next = 5
        environment = worker_environment(
            database,
            fake,
            SEND_RATE_PER_SECOND=str(arguments.rate),
            DELIVERY_SETTLE_SECONDS="1",
            WHATSAPP_DAILY_LIMIT="1000000",  # the tier is not what this measures
        )
        started = time.monotonic()
        print(
            f"seed {arguments.seed}: {arguments.members} members ({outside} outside the window:"
            f" a template), {arguments.kills} kills"
        )
        for kill in range(arguments.kills):
            worker = start_worker(environment, work, "worker.log")
            before = fake.total()
            wait_until(lambda b=before: fake.total() > b, timeout=60)
            time.sleep(chance.uniform(0.0, 1.5))
            stop(worker, signal.SIGKILL)
            print(f"  kill {kill + 1:>2}: {fake.total():>5} messages at the fake so far")
        worker = start_worker(environment, work, "worker.log")
        try:
            finished = wait_until(lambda: unfinished(database) == 0, timeout=900, every=0.5)
        finally:
            stop(worker)
        elapsed = time.monotonic() - started
        rows = deliveries(database)
        states = Counter(row.state for row in rows)
        lost = sum(
            1
            for row in rows
            if fake.counts[row.address] == 0
            and not (row.state in ("failed", "skipped") and row.reason)
        )
        duplicated = sum(1 for count in fake.counts.values() if count > 1)
        modes = Counter(row.mode for row in rows)
        templated = sum(1 for message in fake.messages if message.content_sid == TEMPLATE)
        database.dispose()
    print(f"finished: {finished} in {elapsed:.1f} s; states {dict(states)}")
    print(f"messages at the fake: {fake.total()} for {len(rows)} deliveries")
    print(f"by mode: {dict(modes)}; templates received at the fake: {templated}")
    print(f"lost: {lost}   duplicated: {duplicated}")
    sys.exit(0 if finished and lost == 0 and duplicated == 0 else 1)


if __name__ == "__main__":
    main()
