"""Broadcasts ready to deliver, written straight through the models (set-based, so benchmarks
can make 100,000 recipients quickly), and what the tests read back."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, literal, select

from broadcasts.db.database import Database
from broadcasts.db.models import (
    Broadcast,
    BroadcastState,
    DeliveryState,
    Group,
    Member,
    OutboundMessage,
    UTCDateTime,
    WhatsAppTemplate,
)
from tests.fake_twilio import FakeTwilio

_groups = itertools.count(1)
_phones = itertools.count(1)


def phone(number: int) -> str:
    return f"+62811{number:08d}"


def seed_broadcast(
    database: Database,
    now: datetime,
    count: int,
    *,
    in_window: bool = True,
    kind: str = "literacy",
    language: str = "id",
    body: str = "Pemungutan suara Rabu, 14 Februari 2024. Ayo ke TPS!",
    media_url: str | None = None,
) -> int:
    """A SENDING broadcast with `count` new members planned as QUEUED rows; returns its id."""
    last_inbound = now - timedelta(hours=1) if in_window else now - timedelta(days=3)
    numbers = [next(_phones) for _ in range(count)]
    with database.transaction() as session:
        code = f"G{next(_groups)}{uuid.uuid4().hex[:6].upper()}"
        group = Group(code=code, name=code, timezone="Asia/Jakarta", join_code=f"J{code}")
        session.add(group)
        session.flush()
        broadcast = Broadcast(
            group_id=group.id,
            author="admin:test",
            body=body,
            media_url=media_url,
            kind=kind,
            language=language,
            state=BroadcastState.SENDING.value,
            approved_by="admin:editor",
            approved_at=now,
            planned_at=now,
        )
        session.add(broadcast)
        session.flush()
        if not numbers:
            return broadcast.id
        session.execute(
            insert(Member),
            [
                {"phone": phone(n), "last_inbound_at": last_inbound, "created_at": now}
                for n in numbers
            ],
        )
        when = literal(now, UTCDateTime())
        rows = select(
            literal(broadcast.id),
            Member.id,
            literal("whatsapp:") + Member.phone,
            literal(DeliveryState.QUEUED.value),
            literal(0),
            when,
            when,
        ).where(Member.phone.between(phone(numbers[0]), phone(numbers[-1])))
        columns = [
            "broadcast_id",
            "member_id",
            "address",
            "state",
            "attempts",
            "next_attempt_at",
            "created_at",
        ]
        session.execute(insert(OutboundMessage).from_select(columns, rows))
        return broadcast.id


def add_template(
    database: Database,
    content_sid: str,
    *,
    kind: str = "literacy",
    language: str = "id",
    status: str = "approved",
    variables: dict[str, str] | None = None,
) -> None:
    with database.transaction() as session:
        session.add(
            WhatsAppTemplate(
                content_sid=content_sid,
                friendly_name=content_sid,
                language=language,
                category="utility",
                approval_status=status,
                kind=kind,
                variables={"1": "contoh"} if variables is None else variables,
            )
        )


def deliveries(database: Database, broadcast_id: int | None = None) -> list[OutboundMessage]:
    with database.transaction() as session:
        statement = select(OutboundMessage).order_by(OutboundMessage.id)
        if broadcast_id is not None:
            statement = statement.where(OutboundMessage.broadcast_id == broadcast_id)
        return list(session.scalars(statement))


def states(database: Database, broadcast_id: int | None = None) -> Counter[str]:
    return Counter(row.state for row in deliveries(database, broadcast_id))


def broadcast_state(database: Database, broadcast_id: int) -> str:
    with database.transaction() as session:
        found = session.get(Broadcast, broadcast_id)
        assert found is not None
        return found.state


# --- worker processes --------------------------------------------------------------------------

HUMASBOT = Path(sys.executable).parent / "humasbot"


def worker_environment(database: Database, fake: FakeTwilio, **extra: str) -> dict[str, str]:
    """A worker's environment: this database and the fake Twilio, nothing from the caller's."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "DATABASE_URL": database.url.render_as_string(hide_password=False),
        "PUBLIC_BASE_URL": "http://127.0.0.1:9",
        "LOG_LEVEL": "WARNING",
        **fake.environment(),
        **extra,
    }


def start_worker(
    environment: dict[str, str], workdir: Path, log_name: str
) -> subprocess.Popen[bytes]:
    """`humasbot worker` in its own directory (so no `.env` is read), logging to a file."""
    with (workdir / log_name).open("ab") as log:  # the child keeps its own copy
        return subprocess.Popen(
            [str(HUMASBOT), "worker"],
            cwd=workdir,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
    process.wait(timeout=30)


def wait_until(predicate: Callable[[], bool], timeout: float, every: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return predicate()


def wait_for_state(database: Database, broadcast_id: int, state: str, timeout: float) -> str:
    """Waits (at most `timeout` s) for the broadcast to reach `state`; returns the state it has
    then, so a test asserts on what it saw. The worker marks a broadcast done after its rows
    are final, in a later transaction (or a later job): a test that reads the state right after
    the rows finish races it."""
    wait_until(lambda: broadcast_state(database, broadcast_id) == state, timeout, every=0.2)
    return broadcast_state(database, broadcast_id)


def unfinished(database: Database) -> int:
    with database.transaction() as session:
        return (
            session.scalar(
                select(func.count()).where(
                    OutboundMessage.state.in_(("queued", "sending", "unknown"))
                )
            )
            or 0
        )


def exactly_once_problems(database: Database, fake: FakeTwilio) -> list[str]:
    """Every row final; a sent row has exactly one message at the fake under its sid; a row
    not sent has none (unless failed after creation) and a reason. Empty when all is well."""
    problems = []
    rows = deliveries(database)
    for row in rows:
        got = fake.sent_to(row.address)
        if row.state in ("sent", "delivered", "read"):
            if len(got) != 1 or got[0].sid != row.twilio_sid:
                problems.append(f"{row.address}: {row.state} with {len(got)} messages")
        elif row.state in ("failed", "skipped"):
            if not row.reason:
                problems.append(f"{row.address}: {row.state} without a reason")
            if len(got) > 1:
                problems.append(f"{row.address}: {row.state} with {len(got)} messages")
        else:
            problems.append(f"{row.address}: still {row.state}")
    addresses = {row.address for row in rows}
    strays = [to for to in fake.counts if to not in addresses]
    problems.extend(f"{to}: message for no delivery" for to in strays)
    return problems
