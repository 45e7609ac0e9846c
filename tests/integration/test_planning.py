"""Planning deliveries: one row per recipient of the group tree, only for approved broadcasts,
once however many planners run."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from broadcasts.clock import FixedClock
from broadcasts.db.database import Database
from broadcasts.db.models import (
    Broadcast,
    BroadcastState,
    Member,
    Membership,
    OutboundMessage,
    Role,
)
from broadcasts.delivery import planning
from broadcasts.editorial import workflow as editorial
from broadcasts.editorial.audit import events_for
from broadcasts.people import membership
from broadcasts.runtime import Runtime
from broadcasts.worker import JOBS
from config.settings import Settings

EDITOR_KALBAR = "+6281300000001"
COORDINATOR = "+6281300000002"
EDITOR_PONTIANAK = "+6281300000003"
EDITOR_KALTIM = "+6281300000004"
BOTH_CITIES = "+6281300000005"
STOPPED = "+6281300000006"


def phone(n: int) -> str:
    return f"+628122{n:07d}"


@dataclass
class Tree:
    """KALBAR ⊃ {PONTIANAK ⊃ KUBURAYA, SINGKAWANG}, and KALTIM on its own."""

    audience: dict[str, set[str]] = field(default_factory=dict)


def build_tree(database: Database, clock: FixedClock) -> Tree:
    plain = {"PONTIANAK": [1, 2, 3], "SINGKAWANG": [4, 5], "KUBURAYA": [6, 7], "KALTIM": [8, 9]}
    with database.transaction() as session:
        membership.create_group(session, "KALBAR", "Bakohumas Kalbar", timezone="Asia/Pontianak")
        membership.create_group(session, "PONTIANAK", "Kota Pontianak", parent_code="KALBAR")
        membership.create_group(session, "SINGKAWANG", "Kota Singkawang", parent_code="KALBAR")
        membership.create_group(session, "KUBURAYA", "Kubu Raya", parent_code="PONTIANAK")
        membership.create_group(session, "KALTIM", "Bakohumas Kaltim", timezone="Asia/Makassar")
        for code, numbers in plain.items():
            for n in numbers:
                membership.add_member(session, phone(n), code, name=f"Anggota {n}")
        membership.add_member(session, EDITOR_KALBAR, "KALBAR", role=Role.EDITOR, name="Eka")
        membership.add_member(session, COORDINATOR, "PONTIANAK", role=Role.COORDINATOR)
        membership.add_member(session, EDITOR_PONTIANAK, "PONTIANAK", role=Role.EDITOR)
        membership.add_member(session, EDITOR_KALTIM, "KALTIM", role=Role.EDITOR)
        membership.add_member(session, BOTH_CITIES, "PONTIANAK")
        membership.add_member(session, BOTH_CITIES, "SINGKAWANG")
        membership.add_member(session, STOPPED, "KUBURAYA")
        stopped = membership.find_member(session, phone=STOPPED)
        assert stopped is not None
        membership.opt_out(stopped, clock.now())
        # Known only by a WhatsApp user id: nothing to address a message to yet.
        no_phone = Member(wa_id="wa-user-1", name="Tanpa Nomor")
        session.add(no_phone)
        session.flush()
        kubu = membership.group_by_code(session, "KUBURAYA")
        session.add(Membership(member=no_phone, group=kubu))
    pontianak = {phone(n) for n in (1, 2, 3, 6, 7)} | {COORDINATOR, EDITOR_PONTIANAK, BOTH_CITIES}
    kalbar = pontianak | {phone(4), phone(5), EDITOR_KALBAR}
    return Tree(
        audience={
            "KALBAR": kalbar,
            "PONTIANAK": pontianak,
            "KUBURAYA": {phone(6), phone(7)},
            "KALTIM": {phone(8), phone(9), EDITOR_KALTIM},
        }
    )


def approved_broadcast(
    database: Database,
    clock: FixedClock,
    code: str = "KALBAR",
    *,
    at: timedelta | None = timedelta(hours=1),
) -> int:
    """An approved broadcast not yet planned (its send time is `at` from now)."""
    now = clock.now()
    with database.transaction() as session:
        group = membership.group_by_code(session, code)
        broadcast = editorial.propose(
            session,
            group=group,
            author="admin:ani",
            author_member=None,
            body="Pemungutan suara 14 Februari 2024. Datang ke TPS!",
            scheduled_at=now + at if at is not None else None,
            now=now,
        )
        broadcast_id = broadcast.id
    with database.transaction() as session:
        editorial.approve(session, broadcast_id, editor=None, actor="admin:budi", now=now)
    return broadcast_id


def planned_addresses(database: Database, broadcast_id: int) -> list[str]:
    with database.transaction() as session:
        return list(
            session.scalars(
                select(OutboundMessage.address).where(OutboundMessage.broadcast_id == broadcast_id)
            )
        )


def state_of(database: Database, broadcast_id: int) -> str:
    with database.transaction() as session:
        found = session.get(Broadcast, broadcast_id)
        assert found is not None
        return found.state


def test_one_row_per_reachable_member_of_the_group_and_its_sub_groups(
    database: Database, clock: FixedClock
) -> None:
    tree = build_tree(database, clock)
    broadcast_id = approved_broadcast(database, clock)
    with database.transaction() as session:
        assert planning.audience_size(session, membership.group_by_code(session, "KALBAR").id) == 11
        broadcast = session.get(Broadcast, broadcast_id)
        assert broadcast is not None
        assert planning.plan(session, broadcast, clock.now()) == 11
        assert broadcast.state == BroadcastState.SENDING.value
        assert broadcast.planned_at == clock.now()
        rows = session.scalars(
            select(OutboundMessage).where(OutboundMessage.broadcast_id == broadcast_id)
        ).all()
        assert {r.state for r in rows} == {"queued"}
        assert all(r.next_attempt_at == clock.now() and r.attempts == 0 for r in rows)
        planned = [
            e for e in events_for(session, "broadcast", broadcast_id) if e.action == "planned"
        ]
        assert [e.detail for e in planned] == [{"count": 11}]
    addresses = planned_addresses(database, broadcast_id)
    # The member in two cities once; the opted-out and the phoneless member not at all.
    assert sorted(addresses) == sorted(f"whatsapp:{p}" for p in tree.audience["KALBAR"])


@pytest.mark.parametrize(
    ("code", "expected"),
    [("PONTIANAK", "PONTIANAK"), ("KUBURAYA", "KUBURAYA"), ("KALTIM", "KALTIM")],
)
def test_a_sub_group_broadcast_reaches_only_that_branch(
    database: Database, clock: FixedClock, code: str, expected: str
) -> None:
    tree = build_tree(database, clock)
    broadcast_id = approved_broadcast(database, clock, code, at=None)
    assert sorted(planned_addresses(database, broadcast_id)) == sorted(
        f"whatsapp:{p}" for p in tree.audience[expected]
    )


def test_nothing_unapproved_is_planned_whoever_asks(database: Database, clock: FixedClock) -> None:
    build_tree(database, clock)
    now = clock.now()
    with database.transaction() as session:
        group = membership.group_by_code(session, "KALBAR")
        pending = editorial.propose(
            session, group=group, author="admin:ani", author_member=None, body="Halo", now=now
        )
        with pytest.raises(planning.NotApproved):
            planning.plan(session, pending, now)
        # A row forced to APPROVED without a valid approval (here: by its own author) still fails.
        pending.state = BroadcastState.APPROVED.value
        pending.approved_at = now
        pending.approved_by = "admin:ani"
        with pytest.raises(planning.NotApproved):
            planning.plan(session, pending, now)
    with database.transaction() as session:
        count = session.scalar(select(func.count()).select_from(OutboundMessage))
        # Editors' notices are the only outbound rows: no broadcast delivery was written.
        broadcast_rows = session.scalar(
            select(func.count())
            .select_from(OutboundMessage)
            .where(OutboundMessage.broadcast_id.is_not(None))
        )
    assert count and broadcast_rows == 0


def test_a_forged_approval_is_not_planned_by_the_worker_either(
    database: Database, clock: FixedClock
) -> None:
    build_tree(database, clock)
    now = clock.now()
    with database.transaction() as session:
        group = membership.group_by_code(session, "KALBAR")
        forged = editorial.propose(
            session, group=group, author="admin:ani", author_member=None, body="Halo", now=now
        )
        forged.state = BroadcastState.APPROVED.value  # no approver, no approval time
        forged_id = forged.id
    good_id = approved_broadcast(database, clock, at=None)
    with database.transaction() as session:
        assert planning.plan_due(session, now) == []
    assert planned_addresses(database, forged_id) == []
    assert state_of(database, forged_id) == BroadcastState.APPROVED.value
    assert len(planned_addresses(database, good_id)) == 11


def test_rejected_pending_and_cancelled_broadcasts_are_never_planned(
    database: Database, clock: FixedClock
) -> None:
    build_tree(database, clock)
    cancelled_id = approved_broadcast(database, clock)
    now = clock.now()
    with database.transaction() as session:
        editorial.cancel(session, cancelled_id, actor="admin:ani", member=None, now=now)
        group = membership.group_by_code(session, "KALBAR")
        rejected = editorial.propose(
            session, group=group, author="admin:ani", author_member=None, body="Halo", now=now
        )
        editorial.reject(
            session, rejected.id, editor=None, actor="admin:budi", reason="salah", now=now
        )
        editorial.propose(
            session, group=group, author="admin:ani", author_member=None, body="Tunggu", now=now
        )
    with database.transaction() as session:
        assert planning.plan_due(session, now + timedelta(days=2)) == []
        cancelled = session.get(Broadcast, cancelled_id)
        assert cancelled is not None
        assert planning.plan(session, cancelled, now) == 0
        with pytest.raises(planning.NotApproved):
            planning.plan(session, rejected, now)
        rows = session.scalar(
            select(func.count())
            .select_from(OutboundMessage)
            .where(OutboundMessage.broadcast_id.is_not(None))
        )
    assert rows == 0


def test_planning_twice_plans_once(database: Database, clock: FixedClock) -> None:
    build_tree(database, clock)
    broadcast_id = approved_broadcast(database, clock)
    later = clock.now() + timedelta(hours=2)
    with database.transaction() as session:
        assert planning.plan_due(session, later) == [broadcast_id]
    with database.transaction() as session:
        broadcast = session.get(Broadcast, broadcast_id)
        assert broadcast is not None
        assert planning.plan(session, broadcast, later) == 0
        assert planning.plan_due(session, later) == []
        # Even forced back to APPROVED, the unique key keeps every member to one row.
        broadcast.state = BroadcastState.APPROVED.value
        assert planning.plan(session, broadcast, later) == 0
    assert len(planned_addresses(database, broadcast_id)) == 11


def test_a_scheduled_broadcast_waits_for_its_time(database: Database, clock: FixedClock) -> None:
    build_tree(database, clock)
    broadcast_id = approved_broadcast(database, clock, at=timedelta(minutes=30))
    with database.transaction() as session:
        assert planning.plan_due(session, clock.now() + timedelta(minutes=29)) == []
    assert state_of(database, broadcast_id) == BroadcastState.APPROVED.value
    with database.transaction() as session:
        assert planning.plan_due(session, clock.now() + timedelta(minutes=30)) == [broadcast_id]
    assert state_of(database, broadcast_id) == BroadcastState.SENDING.value


def test_an_empty_audience_is_done_at_once(database: Database, clock: FixedClock) -> None:
    with database.transaction() as session:
        membership.create_group(session, "KOSONG", "Grup Kosong")
    broadcast_id = approved_broadcast(database, clock, "KOSONG", at=None)
    assert state_of(database, broadcast_id) == BroadcastState.DONE.value
    assert planned_addresses(database, broadcast_id) == []


def test_the_worker_job_plans_what_is_due(
    database: Database, clock: FixedClock, settings: Settings
) -> None:
    build_tree(database, clock)
    broadcast_id = approved_broadcast(database, clock, at=timedelta(seconds=10))
    job = next(j for j in JOBS if j.id == "plan_due_broadcasts")
    services = Runtime(settings, database, clock)
    job.run(services)
    assert planned_addresses(database, broadcast_id) == []
    clock.advance(timedelta(seconds=10))
    job.run(services)
    assert len(planned_addresses(database, broadcast_id)) == 11


def test_two_planners_at_once_plan_each_member_once(database: Database, clock: FixedClock) -> None:
    build_tree(database, clock)
    ids = [approved_broadcast(database, clock, at=timedelta(minutes=1)) for _ in range(4)]
    later = clock.now() + timedelta(minutes=5)
    start = threading.Barrier(2)
    results: list[list[int]] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            start.wait()
            with database.transaction() as session:
                results.append(planning.plan_due(session, later))
        except BaseException as error:  # reported below, in the test's own thread
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(results[0] + results[1]) == ids
    for broadcast_id in ids:
        addresses = planned_addresses(database, broadcast_id)
        assert len(addresses) == len(set(addresses)) == 11
