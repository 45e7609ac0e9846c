"""Which claims a coordinator sees: those reported in the groups they coordinate or edit, and
the groups below them, by the groups each reporter was in when they reported."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, distinct, func, select
from sqlalchemy.orm import Session

from broadcasts.db.models import (
    Broadcast,
    BroadcastState,
    Content,
    Group,
    HoaxClaim,
    HoaxReport,
    HoaxReportGroup,
    HoaxVerdict,
    Member,
    Membership,
    Role,
)
from broadcasts.errors import HoaxError
from broadcasts.people.group_tree import subtree

_STAFF = (Role.COORDINATOR.value, Role.EDITOR.value)


def led_groups(member: Member) -> Select[int]:
    """The groups `member` coordinates or edits (each with the groups below it, for callers
    that take a subtree)."""
    return select(Membership.group_id).where(
        Membership.member_id == member.id, Membership.role.in_(_STAFF)
    )


def deciding_group(session: Session, member: Member, claim: HoaxClaim) -> Group:
    """The first group `member` leads that the claim was reported in (or below): the group a
    clarification is proposed in, whose editors approve it."""
    for group_id in session.scalars(led_groups(member).order_by(Membership.group_id)):
        tree = subtree([group_id])
        reported_here = session.scalar(
            select(HoaxReportGroup.report_id)
            .join(HoaxReport, HoaxReport.id == HoaxReportGroup.report_id)
            .where(HoaxReport.claim_id == claim.id, HoaxReportGroup.group_id.in_(select(tree.c.id)))
            .limit(1)
        )
        group = session.get(Group, group_id) if reported_here is not None else None
        if group is not None:
            return group
    raise HoaxError("not_your_claim", id=claim.id)


@dataclass(frozen=True)
class OpenClaim:
    claim: HoaxClaim
    count: int  # reports in the coordinator's groups
    first_at: datetime
    latest_at: datetime
    text: str  # the claim's first report
    pending: int | None  # the number of its clarification waiting for approval


def clarified_claims() -> Select[int]:
    """Claims with an approved clarification; one that says "not proven yet" (`unproven`)
    leaves its claim open for a final verdict."""
    return (
        select(HoaxVerdict.claim_id)
        .join(Content, Content.id == HoaxVerdict.content_id)
        .where(Content.approved_at.is_not(None), HoaxVerdict.verdict != "unproven")
    )


def open_claims(session: Session, member: Member, limit: int = 50) -> list[OpenClaim]:
    """Claims reported in `member`'s groups with no approved clarification (but "not proven
    yet"), the latest reported first (at most `limit`)."""
    return claims_queue(session, select(subtree(led_groups(member)).c.id), limit=limit)


def claims_queue(
    session: Session,
    groups: Select[Any] | None,
    *,
    most_reported: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> list[OpenClaim]:
    """Open claims (as `open_claims`) reported in `groups` (a query of group ids; None: every
    group), their counts over those groups; the latest reported first, or the most reported
    (`most_reported`). Four statements, whatever the page's size."""
    count = func.count(distinct(HoaxReport.id))
    latest = func.max(HoaxReport.created_at)
    conditions = [HoaxReport.claim_id.is_not(None), HoaxReport.claim_id.not_in(clarified_claims())]
    if groups is not None:
        conditions.append(HoaxReportGroup.group_id.in_(groups))
    in_scope = (
        select(
            HoaxReport.claim_id,
            count.label("count"),
            func.min(HoaxReport.created_at).label("first_at"),
            latest.label("latest_at"),
        )
        .join(HoaxReportGroup, HoaxReportGroup.report_id == HoaxReport.id)
        .where(*conditions)
        .group_by(HoaxReport.claim_id)
        .order_by(
            *((count.desc(),) if most_reported else ()),
            latest.desc(),
            HoaxReport.claim_id.desc(),
        )
        .limit(limit)
        .offset(offset)
    )
    rows = session.execute(in_scope).all()
    claims = {
        c.id: c
        for c in session.scalars(select(HoaxClaim).where(HoaxClaim.id.in_([r[0] for r in rows])))
    }
    texts: dict[int, str] = dict(
        session.execute(
            select(HoaxReport.id, HoaxReport.text).where(
                HoaxReport.id.in_([c.first_report_id for c in claims.values()])
            )
        ).all()
    )
    pending: dict[int, int] = dict(
        session.execute(
            select(HoaxVerdict.claim_id, func.max(Broadcast.id))
            .join(Broadcast, Broadcast.id == HoaxVerdict.broadcast_id)
            .where(
                HoaxVerdict.claim_id.in_(list(claims)),
                Broadcast.state == BroadcastState.PENDING.value,
            )
            .group_by(HoaxVerdict.claim_id)
        ).all()
    )
    return [
        OpenClaim(
            claim=claims[claim_id],
            count=count,
            first_at=first_at,
            latest_at=latest_at,
            text=texts.get(claims[claim_id].first_report_id, ""),
            pending=pending.get(claim_id),
        )
        for claim_id, count, first_at, latest_at in rows
        if claim_id in claims
    ]


def reported_groups(session: Session, claim: HoaxClaim) -> list[tuple[Group, int]]:
    """The groups the claim was reported in, each with its number of reports, the most first:
    where a clarification of it may be proposed from the dashboard."""
    rows = session.execute(
        select(Group, func.count(distinct(HoaxReport.id)))
        .join(HoaxReportGroup, HoaxReportGroup.group_id == Group.id)
        .join(HoaxReport, HoaxReport.id == HoaxReportGroup.report_id)
        .where(HoaxReport.claim_id == claim.id)
        .group_by(Group.id)
        .order_by(func.count(distinct(HoaxReport.id)).desc(), Group.code)
    ).all()
    return [(group, int(n)) for group, n in rows]
