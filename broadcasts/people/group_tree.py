"""The group tree as SQL: every group below some groups, or every group above them.

Recursive CTEs, so audiences and reviewers are found in one statement however deep the tree.
UNION (not UNION ALL) stops the recursion even if a bad edit ever made a cycle. The CTEs nest
inside the statement that uses them: a statement that starts with WITH is not seen as an INSERT
by Python's sqlite3, which then reports no row count.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import CTE, Select, select
from sqlalchemy.orm import Session, aliased

from broadcasts.db.models import Group, Member, Membership, Role

Roots = Iterable[int] | Select[int]


def subtree(roots: Roots, name: str = "subtree") -> CTE:
    """The `roots` and every group below them; one column, `id`."""
    tree = (
        select(Group.id.label("id"))
        .where(Group.id.in_(roots))
        .cte(name, recursive=True, nesting=True)
    )
    child = aliased(Group)
    return tree.union(select(child.id).where(child.parent_id == tree.c.id))


def ancestry(roots: Roots, name: str = "ancestry") -> CTE:
    """The `roots` and every group above them; columns `id`, `parent_id`."""
    tree = (
        select(Group.id.label("id"), Group.parent_id.label("parent_id"))
        .where(Group.id.in_(roots))
        .cte(name, recursive=True, nesting=True)
    )
    parent = aliased(Group)
    return tree.union(select(parent.id, parent.parent_id).where(parent.id == tree.c.parent_id))


def staff_above(
    session: Session, roots: Roots, roles: Iterable[Role], *, besides: int | None = None
) -> list[Member]:
    """Members who hold one of `roles` in the `roots` or any group above them, each once, in
    id order; `besides` leaves one member out. Staff above a group act for it too: editors
    above approve its broadcasts, coordinators above hear of its reports and missed posts."""
    above = ancestry(roots)
    holders = select(Membership.member_id).where(
        Membership.group_id.in_(select(above.c.id)),
        Membership.role.in_([role.value for role in roles]),
    )
    query = select(Member).where(Member.id.in_(holders)).order_by(Member.id)
    if besides is not None:
        query = query.where(Member.id != besides)
    return list(session.scalars(query))
