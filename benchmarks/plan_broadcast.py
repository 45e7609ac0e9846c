"""Planning a broadcast to 100,000 members: the set-based INSERT … SELECT against the best plain
loop (the recipients' ids read in one query, every row written in one executemany) and against a
naive per-member ORM loop, on SQLite and on PostgreSQL.

    .venv/bin/python -m benchmarks.plan_broadcast [--members 100000] [--repeat 3]

The members are spread over a tree of groups (a national group, 38 provinces, 10 regencies
each); a few belong to two regencies and a few have stopped broadcasts, so both the
de-duplication and the opt-out filter are exercised. Each run plans one approved broadcast to
the national group from an empty outbound table and commits; times are medians over `--repeat`
runs. The target: under 2 s for 100,000 members on each database. PostgreSQL is a fresh
database on 127.0.0.1:5432 (HUMASBOT_BENCH_POSTGRES overrides the server), dropped afterwards.

The ratio that matters is the one against the plain loop: the naive loop builds 100,000 ORM
objects, which nobody writing it with care would do, so its ratio flatters and is shown second.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, delete, func, insert, select, text
from sqlalchemy.engine import make_url

from broadcasts.db.database import Database
from broadcasts.db.models import (
    Broadcast,
    BroadcastState,
    DeliveryState,
    Group,
    Member,
    Membership,
    OutboundMessage,
)
from broadcasts.db.schema import upgrade
from broadcasts.delivery import planning
from broadcasts.editorial import workflow as editorial
from broadcasts.people import membership

POSTGRES_SERVER = os.environ.get(
    "HUMASBOT_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
TARGET_SECONDS = 2.0
PROVINCES, REGENCIES = 38, 10
NOW = datetime(2024, 2, 4, 2, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Figures:
    backend: str
    audience: int
    set_based: list[float]
    plain: list[float]
    naive: list[float]

    def ratio(self, other: list[float]) -> float:
        return statistics.median(other) / statistics.median(self.set_based)


# --- The databases ---------------------------------------------------------------------------


@contextmanager
def sqlite_database() -> Iterator[Database]:
    with tempfile.TemporaryDirectory(prefix="humasbot-bench-") as folder:
        database = Database(f"sqlite:///{Path(folder) / 'plan.db'}")
        try:
            yield database
        finally:
            database.dispose()


@contextmanager
def postgresql_database() -> Iterator[Database]:
    server = make_url(POSTGRES_SERVER)
    name = f"humasbot_bench_plan_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    database = Database(server.set(database=name).render_as_string(hide_password=False))
    try:
        yield database
    finally:
        database.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# --- The data --------------------------------------------------------------------------------


def build_tree(database: Database) -> list[int]:
    """The national group, its provinces and their regencies; returns the regency ids."""
    with database.transaction() as session:
        membership.create_group(session, "NASIONAL", "Bakohumas Nasional")
        for p in range(PROVINCES):
            membership.create_group(session, f"P{p:02d}", f"Provinsi {p}", parent_code="NASIONAL")
            for r in range(REGENCIES):
                membership.create_group(
                    session, f"P{p:02d}R{r:02d}", f"Kabupaten {p}.{r}", parent_code=f"P{p:02d}"
                )
        return list(session.scalars(select(Group.id).where(Group.code.like("P__R__"))))


def add_members(database: Database, audience: int) -> int:
    """`audience` reachable members, plus 2% opted out; 5% also in a second regency."""
    regencies = build_tree(database)
    stopped = audience // 50
    total = audience + stopped
    members = [
        {
            "id": n + 1,
            "phone": f"+62812{n:08d}",
            "name": f"Anggota {n}",
            "opted_out_at": NOW if n >= audience else None,
            "created_at": NOW,
        }
        for n in range(total)
    ]
    joined = [
        {"member_id": n + 1, "group_id": regencies[n % len(regencies)], "role": "member"}
        for n in range(total)
    ]
    joined += [
        {"member_id": n + 1, "group_id": regencies[(n + 7) % len(regencies)], "role": "member"}
        for n in range(0, total, 20)
    ]
    for row in joined:
        row["created_at"] = NOW
    with database.transaction() as session:
        for start in range(0, total, 20_000):
            session.execute(insert(Member), members[start : start + 20_000])
        for start in range(0, len(joined), 20_000):
            session.execute(insert(Membership), joined[start : start + 20_000])
        if database.is_postgresql:
            session.execute(text("SELECT setval('members_id_seq', :n)"), {"n": total})
    if database.is_postgresql:
        with database.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    return audience


def approved_broadcast(database: Database) -> int:
    """Approved for a later time, so approving does not plan it: the run does."""
    with database.transaction() as session:
        national = membership.group_by_code(session, "NASIONAL")
        broadcast = editorial.propose(
            session,
            group=national,
            author="admin:bench",
            author_member=None,
            body="Pemungutan suara Rabu 14 Februari 2024. Datang ke TPS",
            scheduled_at=NOW + timedelta(days=1),
            now=NOW,
        )
        broadcast_id = broadcast.id
    with database.transaction() as session:
        editorial.approve(session, broadcast_id, editor=None, actor="admin:check", now=NOW)
    return broadcast_id


def empty_outbound(database: Database) -> None:
    with database.transaction() as session:
        session.execute(delete(OutboundMessage))
    if database.is_postgresql:
        with database.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(
                text("VACUUM ANALYZE outbound_messages")
            )


# --- The two ways of planning ----------------------------------------------------------------


def plan_set_based(database: Database, broadcast_id: int) -> int:
    with database.transaction() as session:
        broadcast = session.get(Broadcast, broadcast_id)
        assert broadcast is not None
        return planning.plan(session, broadcast, NOW)


def plan_plain_loop(database: Database, broadcast_id: int) -> int:
    """The best a loop does: the recipients' ids and numbers in one plain query (no ORM objects,
    opted-out members left out by the query), each member once, then every row in one
    executemany INSERT."""
    with database.transaction() as session:
        broadcast = session.get(Broadcast, broadcast_id)
        assert broadcast is not None
        groups = membership.descendant_ids(session, broadcast.group_id)
        found = session.execute(
            select(Member.id, Member.phone)
            .join(Membership, Membership.member_id == Member.id)
            .where(
                Membership.group_id.in_(groups),
                Member.opted_out_at.is_(None),
                Member.phone.is_not(None),
            )
        )
        recipients = {member_id: phone for member_id, phone in found}
        session.execute(
            insert(OutboundMessage),
            [
                {
                    "broadcast_id": broadcast_id,
                    "member_id": member_id,
                    "address": f"whatsapp:{phone}",
                    "state": DeliveryState.QUEUED.value,
                    "attempts": 0,
                    "next_attempt_at": NOW,
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for member_id, phone in recipients.items()
            ],
        )
        broadcast.state = BroadcastState.SENDING.value
        broadcast.planned_at = NOW
        return len(recipients)


def plan_naive(database: Database, broadcast_id: int) -> int:
    """What planning looks like written as a loop: every member an ORM object, then a row."""
    with database.transaction() as session:
        broadcast = session.get(Broadcast, broadcast_id)
        assert broadcast is not None
        groups = membership.descendant_ids(session, broadcast.group_id)
        members = session.scalars(
            select(Member)
            .join(Membership, Membership.member_id == Member.id)
            .where(Membership.group_id.in_(groups))
        )
        seen: set[int] = set()
        for member in members:
            if member.opted_out or member.phone is None or member.id in seen:
                continue
            seen.add(member.id)
            session.add(
                OutboundMessage(
                    broadcast_id=broadcast.id,
                    member_id=member.id,
                    address=f"whatsapp:{member.phone}",
                    state=DeliveryState.QUEUED.value,
                    attempts=0,
                    next_attempt_at=NOW,
                    created_at=NOW,
                    updated_at=NOW,
                )
            )
        broadcast.state = BroadcastState.SENDING.value
        broadcast.planned_at = NOW
        return len(seen)


def timed_runs(
    database: Database, plan: Callable[[Database, int], int], audience: int, repeat: int
) -> list[float]:
    seconds = []
    for _ in range(repeat):
        empty_outbound(database)
        broadcast_id = approved_broadcast(database)
        started = time.perf_counter()
        planned = plan(database, broadcast_id)
        seconds.append(time.perf_counter() - started)
        with database.transaction() as session:
            stored = session.scalar(
                select(func.count()).where(OutboundMessage.broadcast_id == broadcast_id)
            )
        if planned != audience or stored != audience:
            raise SystemExit(f"{plan.__name__} planned {planned}/{stored}, expected {audience}")
    return seconds


def measure(backend: str, database: Database, members: int, repeat: int) -> Figures:
    upgrade(database)
    print(f"{backend}: building {members:,} members over {PROVINCES * REGENCIES} regencies…")
    audience = add_members(database, members)
    set_based = timed_runs(database, plan_set_based, audience, repeat)
    plain = timed_runs(database, plan_plain_loop, audience, repeat)
    naive = timed_runs(database, plan_naive, audience, repeat)
    return Figures(backend, audience, set_based, plain, naive)


def runs(seconds: list[float]) -> str:
    return f"median {statistics.median(seconds):.3f} s ({', '.join(f'{s:.3f}' for s in seconds)})"


def report(figures: Figures) -> bool:
    """Every run, the medians side by side and the verdict, which the slowest run decides."""
    ok = max(figures.set_based) < TARGET_SECONDS
    print(f"{figures.backend}, {figures.audience:,} recipients:")
    print(f"  set-based INSERT … SELECT  {runs(figures.set_based)}")
    print(
        f"  best plain loop            {runs(figures.plain)}"
        f"  -> set-based ×{figures.ratio(figures.plain):.1f} faster"
    )
    print(
        f"  naive ORM loop             {runs(figures.naive)}"
        f"  -> ×{figures.ratio(figures.naive):.1f} (a strawman: one ORM object per member)"
    )
    print(
        f"  target < {TARGET_SECONDS:.0f} s in every run: "
        + ("met" if ok else f"MISSED (slowest run {max(figures.set_based):.3f} s)")
    )
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--backend", choices=("sqlite", "postgresql"), action="append", help="default: both"
    )
    args = parser.parse_args(argv)
    backends = args.backend or ["sqlite", "postgresql"]
    results: list[Figures] = []
    for backend in backends:
        opened = sqlite_database() if backend == "sqlite" else postgresql_database()
        with opened as database:
            results.append(measure(backend, database, args.members, args.repeat))
    print()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{os.cpu_count()} CPUs, load average {load}, SQLite {sqlite3.sqlite_version}")
    print(f"Planning one broadcast, medians of {args.repeat} runs:")
    passed = [report(figures) for figures in results]
    return 0 if all(passed) else 1


if __name__ == "__main__":
    sys.exit(main())
