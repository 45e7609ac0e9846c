"""SUDAH / DONE: a member confirms that their office reposted a broadcast, with the link.

It counts for each of the member's groups that the broadcast went to (the broadcast's group and
those below it), and only if the broadcast reached the member. Several links per office are
fine; the same link twice is one (a unique key, so two members at once cannot double it).
Every refusal is an `AmplificationError` and stores nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Select, Table, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from broadcasts.amplification.links import Link, Platform, read_link
from broadcasts.db.database import MAX_ID
from broadcasts.db.models import (
    Amplification,
    Broadcast,
    DeliveryState,
    Group,
    Member,
    Membership,
    OutboundMessage,
)
from broadcasts.delivery.planning import affected
from broadcasts.errors import AmplificationError
from broadcasts.people.group_tree import subtree

# A broadcast reached a member once its delivery was sent (then delivered, then read).
REACHED = (DeliveryState.SENT.value, DeliveryState.DELIVERED.value, DeliveryState.READ.value)
EXCERPT = 60


@dataclass(frozen=True)
class Confirmed:
    broadcast: Broadcast
    link: Link
    groups: list[Group]  # the offices it counts for, by code
    new: bool  # False: every one of them had this link already

    @property
    def platform(self) -> Platform:
        return self.link.platform


def find_broadcast(session: Session, broadcast_id: int) -> Broadcast:
    broadcast = session.get(Broadcast, broadcast_id) if 0 < broadcast_id <= MAX_ID else None
    if broadcast is None:
        raise AmplificationError("unknown_broadcast", id=broadcast_id)
    return broadcast


def reached(broadcast_id: int) -> Select[int]:
    """The members a broadcast reached."""
    return select(OutboundMessage.member_id).where(
        OutboundMessage.broadcast_id == broadcast_id, OutboundMessage.state.in_(REACHED)
    )


def _insert(session: Session) -> postgresql.Insert | sqlite.Insert:
    table = cast("Table", Amplification.__table__)
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table).execution_options(preserve_rowcount=True)
    return sqlite.insert(table).execution_options(preserve_rowcount=True)


def confirm(
    session: Session, broadcast_id: int, member: Member, text: str, now: datetime
) -> Confirmed:
    if not text.strip():
        raise AmplificationError("no_link", id=broadcast_id)
    link = read_link(text.split()[0])  # the link first; words after it are not kept
    if link is None:
        shown = text.strip()
        shown = shown if len(shown) <= EXCERPT else shown[: EXCERPT - 1] + "…"
        raise AmplificationError("not_a_link", id=broadcast_id, link=shown)
    own = list(
        session.scalars(select(Membership.group_id).where(Membership.member_id == member.id))
    )
    if not own:
        raise AmplificationError("no_group", id=broadcast_id)
    broadcast = find_broadcast(session, broadcast_id)
    got_it = session.scalar(
        select(func.count()).select_from(
            reached(broadcast.id).where(OutboundMessage.member_id == member.id).subquery()
        )
    )
    below = subtree([broadcast.group_id])
    offices = list(
        session.scalars(
            select(Group)
            .where(Group.id.in_(own), Group.id.in_(select(below.c.id)))
            .order_by(Group.code)
        )
    )
    if not got_it or not offices:
        raise AmplificationError("not_received", id=broadcast.id)
    written = 0
    for office in offices:
        statement = (
            _insert(session)
            .values(
                broadcast_id=broadcast.id,
                group_id=office.id,
                member_id=member.id,
                url=link.url,
                url_key=link.key,
                platform=link.platform.value,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["broadcast_id", "group_id", "url_key"])
        )
        written += affected(session.execute(statement))
    return Confirmed(broadcast, link, offices, new=written > 0)
