"""REKAP / COVERAGE: which offices a broadcast reached have confirmed a repost, by platform,
and which have not — for the groups under the coordinator who asks.

An office is a group of the broadcast's tree that at least one of its members was reached in
(a delivery sent, delivered or read). Three statements whatever the size: the offices reached,
the confirmed links per office and platform, and the offices' codes and names.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from broadcasts.amplification.confirmations import REACHED, find_broadcast
from broadcasts.amplification.links import Platform
from broadcasts.db.models import (
    Amplification,
    Broadcast,
    Group,
    Member,
    Membership,
    OutboundMessage,
    Role,
)
from broadcasts.errors import AmplificationError
from broadcasts.people.group_tree import subtree
from broadcasts.people.membership import role_in_group


@dataclass(frozen=True)
class Office:
    id: int
    code: str
    name: str
    timezone: str


@dataclass
class Coverage:
    broadcast: Broadcast
    reached: list[Office]  # by code
    confirmed: dict[int, Counter[Platform]] = field(default_factory=dict)  # office → links

    @property
    def missing(self) -> list[Office]:
        return [office for office in self.reached if office.id not in self.confirmed]

    @property
    def confirmed_count(self) -> int:
        return len(self.confirmed)

    def by_platform(self) -> list[tuple[Platform, int, int]]:
        """(platform, offices, links) for each platform with a link, in `Platform` order."""
        offices: Counter[Platform] = Counter()
        links: Counter[Platform] = Counter()
        for counted in self.confirmed.values():
            offices.update(counted.keys())
            links.update(counted)
        return [(p, offices[p], links[p]) for p in Platform if offices[p]]


def coordinated(session: Session, member: Member) -> list[int]:
    """The groups `member` coordinates or edits (not those below them)."""
    return list(
        session.scalars(
            select(Membership.group_id).where(
                Membership.member_id == member.id,
                Membership.role.in_([Role.COORDINATOR.value, Role.EDITOR.value]),
            )
        )
    )


def _offices_reached(session: Session, broadcast: Broadcast, scope: list[int] | None) -> set[int]:
    """The groups of the broadcast's tree (within `scope`'s trees) with a member it reached.

    The groups of the reached members are found first and the trees applied after: a tree's
    ids are few, and testing each membership against them in SQL makes SQLite probe its index
    once per member and group."""
    groups = set(
        session.scalars(
            select(Membership.group_id)
            .join(OutboundMessage, OutboundMessage.member_id == Membership.member_id)
            .where(OutboundMessage.broadcast_id == broadcast.id, OutboundMessage.state.in_(REACHED))
            .distinct()
        )
    )
    tree = subtree([broadcast.group_id], "broadcast_tree")
    groups &= set(session.scalars(select(tree.c.id)))
    if scope is not None:
        mine = subtree(scope, "coordinated_tree")
        groups &= set(session.scalars(select(mine.c.id)))
    return groups


def sees_all(session: Session, broadcast: Broadcast, member: Member | None) -> bool:
    """Whether `member` coordinates the broadcast's own group (or above it): every office."""
    if member is None:
        return True
    role = role_in_group(session, member, broadcast.group)
    return role is not None and role.rank >= Role.COORDINATOR.rank


def coverage(session: Session, broadcast_id: int, member: Member | None) -> Coverage:
    """The coverage of a broadcast seen by `member` (a coordinator: the groups under them; None:
    an admin, every office). Refuses a broadcast none of whose offices is under them."""
    broadcast = find_broadcast(session, broadcast_id)
    scope: list[int] | None = None
    if member is not None and not sees_all(session, broadcast, member):
        scope = coordinated(session, member)  # a sub-group's coordinator sees their part
    office_ids = _offices_reached(session, broadcast, scope) if scope != [] else set()
    if scope is not None and not office_ids:
        raise AmplificationError("not_your_broadcast", id=broadcast.id)
    offices = (
        [
            Office(g.id, g.code, g.name, g.timezone)
            for g in session.execute(
                select(Group.id, Group.code, Group.name, Group.timezone)
                .where(Group.id.in_(sorted(office_ids)))
                .order_by(Group.code)
            )
        ]
        if office_ids
        else []
    )
    confirmed: dict[int, Counter[Platform]] = {}
    links = session.execute(
        select(Amplification.group_id, Amplification.platform, func.count())
        .where(Amplification.broadcast_id == broadcast.id)
        .group_by(Amplification.group_id, Amplification.platform)
    )
    for group_id, platform, count in links:
        if group_id in office_ids:
            confirmed.setdefault(group_id, Counter())[Platform(platform)] += count
    return Coverage(broadcast, offices, confirmed)


@dataclass(frozen=True)
class Link:
    group_id: int
    url: str  # as the officer gave it: shown escaped, never fetched
    platform: Platform
    at: datetime


def latest_links(session: Session, broadcast_id: int, limit: int = 200) -> list[Link]:
    """The broadcast's newest confirmed links (at most `limit`), for the dashboard to list."""
    return [
        Link(group_id, url, Platform(platform), at)
        for group_id, url, platform, at in session.execute(
            select(
                Amplification.group_id,
                Amplification.url,
                Amplification.platform,
                Amplification.created_at,
            )
            .where(Amplification.broadcast_id == broadcast_id)
            .order_by(Amplification.created_at.desc(), Amplification.id.desc())
            .limit(limit)
        )
    ]
