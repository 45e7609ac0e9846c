"""One claim as the dashboard's reviewers see it: its reports (reporters masked, media listed),
the groups it was reported in, and each verdict with its clarification and how far it went.

A handful of statements whatever the number of reports: the page lists the newest
`REPORTS_SHOWN` of them and says how many there are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from broadcasts.db.database import MAX_ID
from broadcasts.db.models import (
    Broadcast,
    Content,
    Group,
    HoaxClaim,
    HoaxReport,
    HoaxReportGroup,
    HoaxReportMedia,
    HoaxVerdict,
    Member,
)
from broadcasts.delivery import outbox
from broadcasts.editorial.workflow import display_name
from broadcasts.hoaxes import claims, scope, verdicts
from broadcasts.hoaxes.texts import excerpt

REPORTS_SHOWN = 100
TEXT_SHOWN = 2000  # a report's whole text (reports keep at most 2,000 characters)


@dataclass(frozen=True)
class Attachment:
    id: int
    content_type: str
    size: int

    @property
    def is_image(self) -> bool:
        return self.content_type in ("image/jpeg", "image/png", "image/gif", "image/webp")


@dataclass(frozen=True)
class ReportShown:
    id: int
    text: str  # phone numbers in it masked
    at: datetime
    reporter: str  # their name, else their number masked; "" once erased or unlinked
    groups: list[str]  # the codes of the groups they were in when they reported
    media: list[Attachment]


@dataclass(frozen=True)
class VerdictShown:
    verdict: HoaxVerdict
    broadcast: Broadcast
    content: Content | None
    counts: dict[str, int]  # the clarification's deliveries by state


@dataclass(frozen=True)
class ClaimReview:
    claim: HoaxClaim
    text: str  # the first report's words, numbers masked
    reports: list[ReportShown]  # the newest first
    groups: list[tuple[Group, int]]  # reported in, with how many reports, the most first
    verdicts: list[VerdictShown]  # the newest first
    pending: Broadcast | None  # the clarification waiting for an editor
    clarified: bool  # an approved clarification that is not "not proven yet" closes the claim


def review(session: Session, claim_id: int) -> ClaimReview:
    """The claim `claim_id` for the dashboard; `HoaxError("unknown_claim")` if there is none."""
    claim = claims.get_claim(session, claim_id)
    reports = list(
        session.scalars(
            select(HoaxReport)
            .where(HoaxReport.claim_id == claim.id)
            .order_by(HoaxReport.created_at.desc(), HoaxReport.id.desc())
            .limit(REPORTS_SHOWN)
        )
    )
    ids = [r.id for r in reports]
    members = {
        m.id: m
        for m in session.scalars(
            select(Member).where(Member.id.in_({r.member_id for r in reports if r.member_id}))
        )
    }
    codes: dict[int, list[str]] = {}
    for report_id, code in session.execute(
        select(HoaxReportGroup.report_id, Group.code)
        .join(Group, Group.id == HoaxReportGroup.group_id)
        .where(HoaxReportGroup.report_id.in_(ids))
        .order_by(Group.code)
    ):
        codes.setdefault(report_id, []).append(code)
    media: dict[int, list[Attachment]] = {}
    for media_id, report_id, content_type, size in session.execute(
        select(
            HoaxReportMedia.id,
            HoaxReportMedia.report_id,
            HoaxReportMedia.content_type,
            HoaxReportMedia.size,
        )
        .where(HoaxReportMedia.report_id.in_(ids))
        .order_by(HoaxReportMedia.id)
    ):
        media.setdefault(report_id, []).append(Attachment(media_id, content_type, size))
    first = claims.first_report(session, claim)
    return ClaimReview(
        claim=claim,
        text=excerpt(first.text, TEXT_SHOWN) if first is not None else "",
        reports=[
            ReportShown(
                id=r.id,
                text=excerpt(r.text, TEXT_SHOWN),
                at=r.created_at,
                reporter=_reporter(members.get(r.member_id) if r.member_id else None),
                groups=codes.get(r.id, []),
                media=media.get(r.id, []),
            )
            for r in reports
        ],
        groups=scope.reported_groups(session, claim),
        verdicts=_verdicts(session, claim),
        pending=verdicts.pending_broadcast(session, claim),
        clarified=_clarified(session, claim),
    )


def _reporter(member: Member | None) -> str:
    return display_name(member, "") if member is not None else ""


def _verdicts(session: Session, claim: HoaxClaim) -> list[VerdictShown]:
    rows = session.execute(
        select(HoaxVerdict, Broadcast, Content)
        .join(Broadcast, Broadcast.id == HoaxVerdict.broadcast_id)
        .outerjoin(Content, Content.id == HoaxVerdict.content_id)
        .where(HoaxVerdict.claim_id == claim.id)
        .order_by(HoaxVerdict.id.desc())
    ).all()
    counts = outbox.counts_of(session, [broadcast.id for _, broadcast, _ in rows])
    return [
        VerdictShown(verdict, broadcast, content, counts[broadcast.id])
        for verdict, broadcast, content in rows
    ]


def _clarified(session: Session, claim: HoaxClaim) -> bool:
    found = session.scalar(
        select(func.count())
        .select_from(HoaxVerdict)
        .join(Content, Content.id == HoaxVerdict.content_id)
        .where(
            HoaxVerdict.claim_id == claim.id,
            Content.approved_at.is_not(None),
            HoaxVerdict.verdict != "unproven",
        )
    )
    return bool(found)


def attachment(session: Session, claim_id: int, media_id: int) -> HoaxReportMedia | None:
    """A medium forwarded with one of the claim's reports (None: no such medium of this claim)."""
    if not (0 < claim_id <= MAX_ID and 0 < media_id <= MAX_ID):
        return None
    return session.scalar(
        select(HoaxReportMedia)
        .join(HoaxReport, HoaxReport.id == HoaxReportMedia.report_id)
        .where(HoaxReportMedia.id == media_id, HoaxReport.claim_id == claim_id)
    )
