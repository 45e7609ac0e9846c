"""A group's members as the dashboard and exports read them: a page at a time, in one query,
editors first, then by name. (`membership.members_of` loads every member; fine for the CLI,
not for a group of 100,000.)"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Row, case, func, select
from sqlalchemy.orm import Session

from broadcasts.db.models import Group, Member, Membership, Role
from broadcasts.editorial import audit

PAGE_SIZE = 100
_RANK = case(
    (Membership.role == Role.EDITOR.value, 0),
    (Membership.role == Role.COORDINATOR.value, 1),
    else_=2,
)
_NO_NAME = case((func.coalesce(Member.name, "") == "", 1), else_=0)
_ORDER = (_RANK, _NO_NAME, func.lower(Member.name), Member.phone, Member.id)


@dataclass(frozen=True)
class Listed:
    """One member of the group, as a list shows them."""

    member_id: int
    phone: str | None  # E.164; None once erased
    name: str | None
    role: Role
    joined_at: datetime
    opted_out_at: datetime | None


@dataclass(frozen=True)
class Page:
    members: list[Listed]
    total: int
    number: int  # from 1
    pages: int  # at least 1


def _listed(row: Row[int, str | None, str | None, str, datetime, datetime | None]) -> Listed:
    member_id, phone, name, role, joined_at, opted_out_at = row
    return Listed(member_id, phone, name, Role(role), joined_at, opted_out_at)


_COLUMNS = (
    Member.id,
    Member.phone,
    Member.name,
    Membership.role,
    Membership.created_at,
    Member.opted_out_at,
)


def member_page(session: Session, group: Group, number: int, size: int = PAGE_SIZE) -> Page:
    """Page `number` (from 1; past the end: the last) of the group's own members: two queries
    whatever the group's size."""
    total = int(
        session.scalar(
            select(func.count()).select_from(Membership).where(Membership.group_id == group.id)
        )
        or 0
    )
    pages = max(1, -(-total // size))
    number = min(max(1, number), pages)
    rows = session.execute(
        select(*_COLUMNS)
        .join(Member, Member.id == Membership.member_id)
        .where(Membership.group_id == group.id)
        .order_by(*_ORDER)
        .limit(size)
        .offset((number - 1) * size)
    )
    return Page([_listed(row) for row in rows], total, number, pages)


def membership_of(session: Session, group: Group, member_id: int) -> Membership | None:
    """The member's membership of this group; None for a member of another group only (an id
    from another group's page must not reach this one's)."""
    return session.scalar(
        select(Membership).where(Membership.group_id == group.id, Membership.member_id == member_id)
    )


def export(session: Session, group: Group, *, actor: str, now: datetime) -> Iterator[Listed]:
    """Every member of the group with the full number, for an admin's export. The export is
    personal data leaving the system (UU 27/2022): it is audited, with how many rows."""
    rows = [
        _listed(row)
        for row in session.execute(
            select(*_COLUMNS)
            .join(Member, Member.id == Membership.member_id)
            .where(Membership.group_id == group.id)
            .order_by(*_ORDER)
        )
    ]
    audit.record(session, actor, "members_exported", "group", group.id, now, rows=len(rows))
    return iter(rows)


# Spreadsheet programs run a cell that starts with one of these as a formula (CSV injection); a
# name comes from a WhatsApp profile, so anyone could write one. A leading ' keeps it text, and
# `member_import` takes it off again.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(text: str) -> str:
    return f"'{text}" if text.startswith(_FORMULA_START) else text
