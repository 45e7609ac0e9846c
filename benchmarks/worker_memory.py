"""Peak memory of `humasbot worker` delivering a 10,000- and a 100,000-member broadcast.

    .venv/bin/python -m benchmarks.worker_memory [--sizes 10000 100000] [--rate 2000]

Each size: a fresh SQLite database, one broadcast to four fifths of the members and one to the
fifth outside the 24-hour window (sent as an approved template), the worker as a subprocess
against the fake Twilio (no latency, so the run is as short as the machine allows), its peak
resident memory (VmHWM) read from /proc once every delivery is final. The growth from the
smallest to the largest must stay under 30 MB: nothing in the worker may grow with the size of
a broadcast.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from broadcasts.clock import SystemClock
from broadcasts.db.database import Database
from broadcasts.db.schema import upgrade
from tests.delivery_fixtures import (
    add_template,
    seed_broadcast,
    start_worker,
    stop,
    unfinished,
    wait_until,
    worker_environment,
)
from tests.fake_twilio import FakeTwilio

LIMIT_MB = 30.0
TEMPLATE = "HXliteracy"


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc")


def measure(members: int, rate: int, workdir: Path) -> tuple[float, float]:
    """(peak RSS in MB, seconds) of a worker delivering one broadcast of `members`."""
    database = Database(f"sqlite:///{workdir / f'memory-{members}.db'}")
    upgrade(database)
    outside = members // 5
    now = SystemClock().now()
    seed_broadcast(database, now, members - outside)
    seed_broadcast(database, now, outside, in_window=False)
    add_template(database, TEMPLATE)
    with FakeTwilio() as fake:
        fake.add_template(TEMPLATE, "Info pemilu: {{1}}")
        environment = worker_environment(
            database, fake, SEND_RATE_PER_SECOND=str(rate), WHATSAPP_DAILY_LIMIT="1000000"
        )
        started = time.monotonic()
        worker = start_worker(environment, workdir, f"worker-{members}.log")
        try:
            finished = wait_until(lambda: unfinished(database) == 0, timeout=3600, every=1.0)
            peak = peak_rss_mb(worker.pid)
        finally:
            stop(worker)
        templated = sum(1 for message in fake.messages if message.content_sid == TEMPLATE)
        if not finished or fake.total() != members or templated != outside:
            raise SystemExit(
                f"{members}: not finished as planned ({fake.total()} sent, {templated} templates)"
            )
    database.dispose()
    return peak, time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description="Worker peak memory against broadcast size.")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--rate", type=int, default=2000, help="SEND_RATE_PER_SECOND")
    arguments = parser.parse_args()
    peaks = []
    with tempfile.TemporaryDirectory() as workdir:
        for members in arguments.sizes:
            peak, seconds = measure(members, arguments.rate, Path(workdir))
            peaks.append(peak)
            print(
                f"{members:>7} members: peak RSS {peak:.1f} MB,"
                f" {seconds:.0f} s ({members / seconds:.0f} msg/s)"
            )
    growth = peaks[-1] - peaks[0]
    verdict = "PASS" if growth < LIMIT_MB else "FAIL"
    print(f"growth {arguments.sizes[0]} -> {arguments.sizes[-1]}: {growth:+.1f} MB -> {verdict}")
    sys.exit(0 if growth < LIMIT_MB else 1)


if __name__ == "__main__":
    main()
