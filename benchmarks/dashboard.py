"""Every dashboard page at scale: 100,000 members, 1,000 groups, 1,000 broadcasts, 10,000
calendar entries (issue 10).

    .venv/bin/python -m benchmarks.dashboard [--runs 50] [--databases sqlite postgresql]

On a fresh database of each kind: 38 provinces with 962 regencies and cities under them (1,000
groups across WIB, WITA and WIT), 100 members in each (bulk inserts), 1,000 broadcasts in every
state with 50 deliveries each (50,000 rows, every delivery state, failures with error codes),
10,000 calendar entries (one-off, recurring and election-anchored, from the calendar
benchmark's mix) with their targets worked out, 300 hoax reports in 60 claims and 20,000 audit
events. An admin signs in once; each page is then asked for `--runs` times through the app
in-process (Flask's test client: the server's whole work, no network), pages interleaved so
that a noisy neighbour slows them all alike. Printed: a table per page of its first view (the
calendar's sends computed, nothing reused), the median and p95 of the views after it (the
calendar's sends reused while nothing changed: `agenda_cache`), and the SQL statements of the
first view. Target: every page's median under 300 ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, insert

from benchmarks.calendar import election_document, entry_row
from benchmarks.webhook import fresh_database
from bot.web.app import create_app
from broadcasts.clock import FixedClock
from broadcasts.db.database import Database
from broadcasts.db.models import (
    AuditEvent,
    Broadcast,
    BroadcastState,
    CalendarEntry,
    CalendarTarget,
    DeliveryState,
    Group,
    Member,
    Membership,
    OutboundMessage,
    Role,
)
from broadcasts.editorial_calendar import agenda_cache, targets
from broadcasts.elections.calendar import parse_election
from broadcasts.elections.stored import load_calendar
from broadcasts.hoaxes import reports as hoaxes
from broadcasts.people import accounts
from config.settings import Settings

TARGET_MS = 300.0
NOW = datetime(2029, 1, 8, 2, 0, tzinfo=UTC)
ZONES = ("Asia/Jakarta", "Asia/Pontianak", "Asia/Makassar", "Asia/Jayapura")
ADMIN, PASSWORD = "bench-admin", "kata-sandi-benchmark"
PROVINCES, GROUPS, PER_GROUP = 38, 1_000, 100
ACTORS = ("admin:editor-a", "admin:editor-b", "member:+6281200000007")

# (label, path): the pages an admin opens, with the heaviest filter each offers.
PAGES = (
    ("overview", "/admin/"),
    ("content", "/admin/content"),
    ("broadcasts", "/admin/broadcasts"),
    ("broadcast #500", "/admin/broadcasts/500"),
    ("compose", "/admin/broadcasts/new"),
    ("calendar month", "/admin/calendar"),
    ("calendar week", "/admin/calendar?view=week"),
    ("series", "/admin/campaigns"),
    ("groups", "/admin/groups"),
    ("group P01", "/admin/groups/P01"),
    ("hoax reports", "/admin/reports"),
    ("audit log", "/admin/audit"),
    ("accounts", "/admin/users"),
)


def populate(database: Database) -> None:
    rng = random.Random(10)
    with database.transaction() as session:
        load_calendar(session, parse_election(election_document()), NOW)  # the anchors' dates
        groups = [_group(n, rng) for n in range(1, GROUPS + 1)]
        session.execute(insert(Group), groups)
        session.execute(
            insert(Member),
            [
                {"id": n, "phone": f"+62812{n:08d}", "language": "id", "created_at": NOW}
                for n in range(1, GROUPS * PER_GROUP + 1)
            ],
        )
        session.execute(insert(Membership), [_membership(n) for n in range(GROUPS * PER_GROUP)])
        session.execute(insert(Broadcast), [_broadcast(n, rng) for n in range(1, 1_001)])
        session.execute(
            insert(OutboundMessage),
            [_delivery(b, k, rng) for b in range(1, 1_001) for k in range(50)],
        )
        session.execute(insert(CalendarEntry), [entry_row(n, rng) for n in range(10_000)])
        session.execute(
            insert(CalendarTarget),
            [
                {"entry_id": n, "group_id": rng.randint(1, GROUPS), "not_before": NOW}
                for n in range(1, 10_001)
            ],
        )
        _hoaxes(session)
        session.execute(
            insert(AuditEvent),
            [
                {
                    "at": NOW - timedelta(minutes=n),
                    "actor": rng.choice(
                        ("admin:editor-a", "admin:editor-b", "member:+6281200000007")
                    ),
                    "action": rng.choice(("approved", "created", "cancelled", "scheduled")),
                    "subject": "broadcast",
                    "subject_id": rng.randint(1, 1_000),
                    "detail": {},
                }
                for n in range(20_000)
            ],
        )
        accounts.create(session, ADMIN, PASSWORD, "admin")
    with database.transaction() as session:
        targets.recompute_where(session, NOW)
    if database.is_postgresql:  # as autovacuum would after such a load
        with database.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")


def _group(n: int, rng: random.Random) -> dict[str, Any]:
    province = n <= PROVINCES
    return {
        "id": n,
        "code": f"P{n:02d}" if province else f"K{n:04d}",
        "name": f"Diskominfo Provinsi {n}" if province else f"Diskominfo Kabupaten {n}",
        "parent_id": None if province else rng.randint(1, PROVINCES),
        "timezone": ZONES[n % len(ZONES)],
        "join_code": f"J{n:05d}",
        "created_at": NOW,
    }


def _membership(n: int) -> dict[str, Any]:
    role = Role.EDITOR if n % PER_GROUP == 0 else Role.COORDINATOR if n % 50 == 1 else Role.MEMBER
    return {
        "member_id": n + 1,
        "group_id": n // PER_GROUP + 1,
        "role": role.value,
        "created_at": NOW,
    }


def _broadcast(n: int, rng: random.Random) -> dict[str, Any]:
    state = rng.choice(list(BroadcastState))
    approved = state not in (BroadcastState.PENDING, BroadcastState.REJECTED)
    return {
        "id": n,
        "group_id": rng.randint(1, GROUPS),
        "author": f"member:+62812{n:08d}",
        "body": f"Siaran literasi pemilu nomor {n}: cek nama Anda di DPT.",
        "state": state.value,
        "tags": [],
        "scheduled_at": NOW + timedelta(hours=rng.randint(-200, 200)),
        "approved_by": "admin:editor-b" if approved else None,
        "approved_at": NOW if approved else None,
        "created_at": NOW - timedelta(hours=n),
    }


def _delivery(broadcast: int, k: int, rng: random.Random) -> dict[str, Any]:
    state = rng.choice(list(DeliveryState))
    return {
        "broadcast_id": broadcast,
        "member_id": (broadcast * 50 + k) % (GROUPS * PER_GROUP) + 1,
        "address": f"whatsapp:+62812{broadcast:04d}{k:04d}",
        "state": state.value,
        "attempts": 1,
        "error_code": 63016 if state is DeliveryState.FAILED else None,
        "created_at": NOW,
    }


def _hoaxes(session: Any) -> None:
    """300 reports from 300 members of different groups, about 60 claims, filed as LAPOR files
    them (grouped into claims, the reporters' groups recorded)."""
    for n in range(300):
        member = session.get(Member, n * 331 + 1)
        hoaxes.report(
            session,
            member,
            f"Katanya pencoblosan di daerah {n % 60} diundur ke bulan depan",
            now=NOW - timedelta(minutes=n),
        )


def signed_in(app: Flask) -> FlaskClient:
    client = app.test_client()
    answer = client.get("/admin/login")
    token = answer.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    answer = client.post(
        "/admin/login", data={"username": ADMIN, "password": PASSWORD, "csrf_token": token}
    )
    assert answer.status_code == 302, answer.status_code
    return client


def count_statements(database: Database) -> Counter[str]:
    """Statements run, by the page being asked for (set by the caller in `current`)."""
    seen: Counter[str] = Counter()

    @event.listens_for(database.engine, "before_cursor_execute")
    def _count(*_: object) -> None:
        seen[count_statements.current] += 1  # type: ignore[attr-defined]

    count_statements.current = ""  # type: ignore[attr-defined]
    return seen


def run(kind: str, runs: int) -> bool:
    with fresh_database(kind) as database:
        started = time.perf_counter()
        populate(database)
        print(f"  {kind}: populated in {time.perf_counter() - started:.1f} s", flush=True)
        settings = Settings(
            database_url=database.url.render_as_string(hide_password=False),
            secret_key="benchmark-secret",
        )
        app = create_app(settings, database=database, clock=FixedClock(NOW))
        client = signed_in(app)
        statements = count_statements(database)
        times: dict[str, list[float]] = {label: [] for label, _ in PAGES}
        cold: dict[str, float] = {}
        for label, path in PAGES:  # once each first: nothing reused yet, and check they answer
            agenda_cache.forget()
            count_statements.current = label  # type: ignore[attr-defined]
            started = time.perf_counter()
            answer = client.get(path)
            cold[label] = (time.perf_counter() - started) * 1000
            assert answer.status_code == 200, f"{path}: {answer.status_code}"
        for _ in range(runs):
            for label, path in PAGES:
                count_statements.current = ""  # type: ignore[attr-defined]
                started = time.perf_counter()
                client.get(path)
                times[label].append((time.perf_counter() - started) * 1000)
        print(f"  {'page':<16} {'first':>9} {'median':>9} {'p95':>9} {'SQL':>5}")
        ok = True
        for label, _ in PAGES:
            ordered = sorted(times[label])
            median = statistics.median(ordered)
            p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
            ok = ok and median < TARGET_MS
            flag = "" if median < TARGET_MS else "  MISSED"
            print(
                f"  {label:<16} {cold[label]:>6.1f} ms {median:>6.1f} ms {p95:>6.1f} ms"
                f" {statements[label]:>5}{flag}"
            )
        print(f"  {kind}: every page's median < {TARGET_MS:.0f} ms: {'met' if ok else 'MISSED'}")
        return ok


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"])
    args = parser.parse_args(argv)
    results = [run(kind, args.runs) for kind in args.databases]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
