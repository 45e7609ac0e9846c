"""REKAP for a big broadcast: 500 offices, 50,000 members, 20,000 confirmed links (issue 14).

    .venv/bin/python -m benchmarks.amplification [--offices 500] [--members 50000]
                                                 [--links 20000] [--runs 50]
                                                 [--databases sqlite postgresql]

On a fresh database of each kind: a province group with 500 office groups under it, 100 members
each (bulk inserts), one approved broadcast to the province sent to all 50,000 (its delivery rows
SENT), and 20,000 distinct links confirmed by 70% of the offices on the six platforms. Measured:
the whole in-process reply to `REKAP <id>` from the province's coordinator
(`bot.chat.inbound.answer`: record the message, find the offices reached, count the links,
render), and the coverage query alone. Target: median under 200 ms on both databases.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial

from sqlalchemy import insert

from benchmarks.webhook import fresh_database
from bot.chat.inbound import Inbound, answer
from broadcasts.amplification import coverage
from broadcasts.amplification.links import Platform
from broadcasts.clock import FixedClock
from broadcasts.db.database import Database
from broadcasts.db.models import (
    Amplification,
    Broadcast,
    BroadcastState,
    DeliveryState,
    Group,
    Member,
    Membership,
    OutboundMessage,
    Role,
)
from config.settings import Settings

TARGET_MS = 200.0
NOW = datetime(2024, 2, 4, 2, 0, tzinfo=UTC)
COORDINATOR = "+6281100000000"


def milliseconds(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return (time.perf_counter() - started) * 1000


def summary(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"median {statistics.median(values):.1f} ms, p95 {p95:.1f} ms, max {ordered[-1]:.1f} ms"


def populate(database: Database, offices: int, members: int, links: int) -> int:
    rng = random.Random(14)
    per_office = max(1, members // offices)
    with database.transaction() as session:
        session.execute(
            insert(Group),
            [
                {
                    "id": 1,
                    "code": "KALBAR",
                    "name": "Diskominfo Kalbar",
                    "parent_id": None,
                    "timezone": "Asia/Pontianak",
                    "join_code": "J-KALBAR",
                    "created_at": NOW,
                }
            ]
            + [
                {
                    "id": 1 + n,
                    "code": f"KAB{n:03d}",
                    "name": f"Diskominfo Kabupaten {n:03d}",
                    "parent_id": 1,
                    "timezone": "Asia/Pontianak",
                    "join_code": f"J-{n:05d}",
                    "created_at": NOW,
                }
                for n in range(1, offices + 1)
            ],
        )
        people = [{"id": 1, "phone": COORDINATOR, "language": "id", "created_at": NOW}] + [
            {"id": 2 + n, "phone": f"+62812{n:08d}", "language": "id", "created_at": NOW}
            for n in range(members)
        ]
        session.execute(insert(Member), people)
        session.execute(
            insert(Membership),
            [{"member_id": 1, "group_id": 1, "role": Role.COORDINATOR.value, "created_at": NOW}]
            + [
                {
                    "member_id": 2 + n,
                    "group_id": 2 + min(n // per_office, offices - 1),
                    "role": Role.MEMBER.value,
                    "created_at": NOW,
                }
                for n in range(members)
            ],
        )
        session.execute(
            insert(Broadcast),
            [
                {
                    "id": 1,
                    "group_id": 1,
                    "author": "admin:bench",
                    "body": "Cek nama Anda di DPT: https://cekdptonline.kpu.go.id",
                    "state": BroadcastState.DONE.value,
                    "approved_by": "admin:editor",
                    "approved_at": NOW,
                    "planned_at": NOW,
                    "created_at": NOW,
                    "tags": [],
                }
            ],
        )
        session.execute(
            insert(OutboundMessage),
            [
                {
                    "broadcast_id": 1,
                    "member_id": 2 + n,
                    "address": f"whatsapp:+62812{n:08d}",
                    "state": DeliveryState.SENT.value,
                    "attempts": 1,
                    "created_at": NOW,
                }
                for n in range(members)
            ],
        )
        confirming = rng.sample(range(2, offices + 2), int(offices * 0.7))
        platforms = list(Platform)
        session.execute(
            insert(Amplification),
            [
                {
                    "broadcast_id": 1,
                    "group_id": confirming[n % len(confirming)],
                    "member_id": None,
                    "url": f"https://example.go.id/post/{n}",
                    "url_key": hashlib.sha256(f"post{n}".encode()).hexdigest(),
                    "platform": rng.choice(platforms).value,
                    "created_at": NOW,
                }
                for n in range(links)
            ],
        )
    if database.is_postgresql:  # as autovacuum would after such a load
        with database.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    return 1


def run(kind: str, args: argparse.Namespace) -> bool:
    with fresh_database(kind) as database:
        started = time.perf_counter()
        broadcast_id = populate(database, args.offices, args.members, args.links)
        print(f"  {kind}: populated in {time.perf_counter() - started:.1f} s", flush=True)
        settings = Settings(database_url=database.url.render_as_string(hide_password=False))
        clock = FixedClock(NOW)
        sender = f"whatsapp:{COORDINATOR}"
        first = answer(
            database, settings, clock, Inbound("SMwarm", sender, f"REKAP {broadcast_id}")
        )
        assert f"dari {args.offices} kantor" in first.text, first.text
        whole: list[float] = []
        for n in range(args.runs):
            inbound = Inbound(f"SM{kind}{n:030d}", sender, "REKAP 1")
            whole.append(milliseconds(partial(answer, database, settings, clock, inbound)))
        alone: list[float] = []
        for _ in range(args.runs):
            with database.transaction() as session:
                alone.append(milliseconds(partial(coverage.coverage, session, 1, None)))
        print(f"  {kind}: REKAP, the whole reply: {summary(whole)}")
        print(f"  {kind}: the coverage alone: {summary(alone)}")
        print("  " + first.text.split("\n")[1])
        ok = statistics.median(whole) < TARGET_MS
        print(f"  {kind}: target median < {TARGET_MS:.0f} ms: {'met' if ok else 'MISSED'}")
        return ok


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--offices", type=int, default=500)
    parser.add_argument("--members", type=int, default=50_000)
    parser.add_argument("--links", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"])
    args = parser.parse_args(argv)
    results = [run(kind, args) for kind in args.databases]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
