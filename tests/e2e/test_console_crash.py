"""`kill -9` of `humasbot run` mid-broadcast on the console transport (no Twilio settings, as
`make run`), then a restart: every recipient is in the console's durable record exactly once and
printed exactly once over both runs.

The kill is aimed: the process is frozen (SIGSTOP) at a random point of the broadcast and killed
only when some messages are already in its outbox (and printed) but not yet committed as SENT,
the rows that were printed again before the fix. Reconciliation after the restart must find
them in instance/console-outbox.jsonl.

Recorded but not printed: the transport fsyncs the record, then prints. A kill between the two
leaves a message that the record (the transport's "sent", as Twilio's message list is) holds and
the printout does not; it is not printed again. So the test asserts: printed at most once, and
every recipient never printed was recorded by the killed process (and says how many there were,
normally none).
"""

from __future__ import annotations

import json
import random
import re
import signal
import sqlite3
import time
from collections import Counter
from pathlib import Path

import pytest

from broadcasts.clock import SystemClock
from broadcasts.db.database import Database
from broadcasts.db.models import BroadcastState, DeliveryState
from tests.delivery_fixtures import (
    deliveries,
    seed_broadcast,
    unfinished,
    wait_for_state,
    wait_until,
)
from tests.processes import clean_environment, humasbot_run

pytestmark = pytest.mark.slow

MEMBERS = 200
# The console masks the number it prints and names the message by its id.
PRINTED = re.compile(r"^--- to whatsapp:\+\d+\*{4}\d{4} \((CONSOLE[0-9a-f]+)\)", re.MULTILINE)


def recorded_lines(outbox: Path) -> int:
    return outbox.read_bytes().count(b"\n") if outbox.exists() else 0


def committed_sent(database_file: Path) -> int:
    """SENT rows as committed, read without waiting for a writer (which may be frozen)."""
    with sqlite3.connect(f"file:{database_file}?mode=ro", uri=True, timeout=5) as connection:
        found = connection.execute(
            "SELECT count(*) FROM outbound_messages WHERE state = ?", (DeliveryState.SENT.value,)
        ).fetchone()
    connection.close()
    return int(found[0])


def test_killed_run_on_the_console_prints_each_recipient_once(tmp_path: Path, seed: int) -> None:
    chance = random.Random(seed)  # where the kill lands (HUMASBOT_TEST_SEED pins it)
    environment = clean_environment(SEND_RATE_PER_SECOND="40", DELIVERY_SETTLE_SECONDS="1")
    database_file = tmp_path / "instance" / "humasbot.db"
    outbox = tmp_path / "instance" / "console-outbox.jsonl"
    outputs = [tmp_path / "run1.out", tmp_path / "run2.out"]
    started = time.monotonic()

    with (
        outputs[0].open("w") as output,
        humasbot_run(tmp_path, environment, output.fileno()) as (_, first),
    ):
        # `run` migrated the empty directory's SQLite database; its worker sends what is due.
        database = Database(f"sqlite:///{database_file}")
        broadcast_id = seed_broadcast(database, SystemClock().now(), MEMBERS)
        target = chance.randint(20, 150)
        assert wait_until(lambda: recorded_lines(outbox) >= target, 30), f"seed {seed}: no sends"
        time.sleep(chance.uniform(0, 0.2))
        for _ in range(500):
            first.send_signal(signal.SIGSTOP)
            at_kill = recorded_lines(outbox), committed_sent(database_file)
            if at_kill[0] > at_kill[1]:
                break
            first.send_signal(signal.SIGCONT)
            time.sleep(0.01)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    killed_pid = first.pid
    recorded_at_kill, committed_at_kill = at_kill
    assert recorded_at_kill > committed_at_kill, f"seed {seed}: no send in doubt at the kill"
    assert recorded_at_kill < MEMBERS, f"seed {seed}: all sent before the kill"

    with outputs[1].open("w") as output, humasbot_run(tmp_path, environment, output.fileno()):
        # The broadcast's final state, waited for while the restarted run is up: it is written
        # after the rows are final, perhaps by a later reconcile job.
        done = wait_for_state(database, broadcast_id, BroadcastState.DONE.value, 60)
    printed_text = "".join(path.read_text(errors="replace") for path in outputs)
    assert unfinished(database) == 0, f"seed {seed}: unfinished\n{printed_text[-3000:]}"

    rows = deliveries(database, broadcast_id)
    database.dispose()
    addresses = {row.address for row in rows}
    assert len(addresses) == MEMBERS
    record = [json.loads(line) for line in outbox.read_text().splitlines() if line.strip()]
    recorded = Counter(entry["to"] for entry in record)
    printed = Counter(PRINTED.findall(printed_text))
    by_sid = {entry["sid"]: entry for entry in record}

    assert len(by_sid) == len(record), f"seed {seed}: a message id was used twice"
    assert {to: n for to, n in recorded.items() if n != 1} == {}, f"seed {seed}: recorded twice"
    assert set(recorded) == addresses, f"seed {seed}"
    assert {sid: n for sid, n in printed.items() if n > 1} == {}, f"seed {seed}: printed twice"
    assert set(printed) <= set(by_sid), f"seed {seed}"
    unprinted = set(by_sid) - set(printed)
    assert {by_sid[sid]["pid"] for sid in unprinted} <= {killed_pid}, f"seed {seed}"
    for row in rows:
        assert row.state == DeliveryState.SENT.value, f"seed {seed}: {row.address} {row.state}"
        assert row.twilio_sid in by_sid, f"seed {seed}: {row.address} {row.twilio_sid}"
        assert by_sid[row.twilio_sid]["to"] == row.address, f"seed {seed}: {row.address}"
    assert done == BroadcastState.DONE.value, f"seed {seed}"
    print(
        f"seed {seed}: killed with {recorded_at_kill} recorded, {committed_at_kill} committed"
        f" SENT; {len(record)} recorded and {sum(printed.values())} printed in all,"
        f" {len(unprinted)} recorded but not printed; {time.monotonic() - started:.1f} s"
    )
