"""Suspected hoaxes reported by members, passed on to the coordinators above them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcasts.db.models import HoaxReport, Member, Membership, Role
from broadcasts.delivery import notices
from broadcasts.delivery.notices import NoticeCounts
from broadcasts.editorial.workflow import EditorialError, display_name, preview
from broadcasts.people.group_tree import ancestry

MAX_REPORT = 4000


def coordinators_above(session: Session, member: Member) -> list[Member]:
    """Coordinators and editors of the member's groups and of every group above them."""
    own_groups = select(Membership.group_id).where(Membership.member_id == member.id)
    above = ancestry(own_groups)
    leads = select(Membership.member_id).where(
        Membership.group_id.in_(select(above.c.id)),
        Membership.role.in_((Role.COORDINATOR.value, Role.EDITOR.value)),
    )
    return list(
        session.scalars(
            select(Member).where(Member.id.in_(leads), Member.id != member.id).order_by(Member.id)
        )
    )


def report(
    session: Session, member: Member, text: str, *, now: datetime, default_language: str = "id"
) -> tuple[HoaxReport, NoticeCounts]:
    """Stores the report and tells the coordinators; returns it and how their notices stand
    (told now, waiting for the coordinator to write, not reached)."""
    text = text.strip()
    if not text:
        raise EditorialError("empty_report")
    stored = HoaxReport(member_id=member.id, text=text[:MAX_REPORT], created_at=now)
    session.add(stored)
    session.flush()
    data = {
        "id": stored.id,
        "reporter": display_name(member, ""),
        "phone": member.phone or "",
        "text": preview(text, 1000),
    }
    counts = NoticeCounts()
    for lead in coordinators_above(session, member):
        counts.add(
            notices.notify(
                session,
                lead,
                "notice_hoax",
                data,
                dedupe_key=f"hoax:{stored.id}:{lead.id}",
                now=now,
                default_language=default_language,
            )
        )
    return stored, counts
