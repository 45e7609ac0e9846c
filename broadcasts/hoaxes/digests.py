"""Coordinators are told, not flooded.

Each report waits for each coordinator above its reporter as a row of `hoax_digest_items`. A
coordinator gets at most one notice of reports every `INTERVAL`: the first report after a quiet
spell is told at once (the reporter named, masked), the ones after it wait for a digest (the new
claims, with their counts) that the worker's `hoax_digests` job sends once the interval is over.
Notices go through `delivery.notices`, so the 24-hour rules hold: outside the window, with no
notice template, a notice waits until the coordinator writes, and no second one is planned
behind it meanwhile — their reports gather for one digest.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from broadcasts.db.inserts import insert_or_skip
from broadcasts.db.models import (
    DeliveryState,
    HoaxClaim,
    HoaxDigestItem,
    HoaxNoticeMark,
    HoaxReport,
    HoaxReportMedia,
    HoaxVerdict,
    Member,
    Membership,
    Role,
)
from broadcasts.delivery import notices
from broadcasts.delivery.notices import NoticeOutcome
from broadcasts.editorial.workflow import display_name
from broadcasts.hoaxes.scope import clarified_claims
from broadcasts.hoaxes.texts import excerpt
from broadcasts.people.group_tree import staff_above
from broadcasts.people.membership import home_timezone, shown_phone
from broadcasts.runtime import Runtime

log = logging.getLogger(__name__)

INTERVAL = timedelta(minutes=5)
RUN_SECONDS = 30
SHOWN = 5  # claims in one digest; LAPORAN lists them all
LEADS_PER_RUN = 500
NOTICE_EXCERPT = 300
DIGEST_EXCERPT = 100


@dataclass
class Told:
    """How a report's coordinators hear of it."""

    told: int = 0  # a notice goes to them now
    batched: int = 0  # in their next digest, within `INTERVAL`
    waiting: int = 0  # once they write to the bot again (outside the 24-hour window)
    not_reached: int = 0  # stopped broadcasts, or no number

    def data(self) -> dict[str, int]:
        return {
            "told": self.told,
            "batched": self.batched,
            "waiting": self.waiting,
            "not_reached": self.not_reached,
            "minutes": int(INTERVAL.total_seconds() // 60),
        }


def coordinators_above(session: Session, member: Member) -> list[Member]:
    """Coordinators and editors of the member's groups and of every group above them."""
    own_groups = select(Membership.group_id).where(Membership.member_id == member.id)
    return staff_above(session, own_groups, [Role.COORDINATOR, Role.EDITOR], besides=member.id)


def tell(
    session: Session,
    reporter: Member,
    report: HoaxReport,
    now: datetime,
    *,
    default_language: str,
    default_zone: ZoneInfo,
) -> Told:
    """Queues the report for each coordinator above the reporter, and tells those whose turn
    it is now; says how each of them hears of it."""
    told = Told()
    for lead in coordinators_above(session, reporter):
        if lead.opted_out or not lead.phone:
            told.not_reached += 1
            continue
        session.execute(
            insert_or_skip(session, HoaxDigestItem, "member_id", "report_id").values(
                member_id=lead.id, report_id=report.id
            )
        )
        outcome = deliver(
            session, lead, now, default_language=default_language, default_zone=default_zone
        )
        if outcome is NoticeOutcome.DELIVERING:
            told.told += 1
        elif outcome is NoticeOutcome.NOT_SENT:
            told.not_reached += 1
        elif outcome is None and notices.reaches_now(session, lead, now, default_language):
            told.batched += 1
        else:
            told.waiting += 1
    return told


def deliver(
    session: Session,
    lead: Member,
    now: datetime,
    *,
    default_language: str,
    default_zone: ZoneInfo,
) -> NoticeOutcome | None:
    """Tells `lead` of the reports waiting for them, in one notice, if it is their turn;
    None when it is not (or nothing waits)."""
    mark = _locked_mark(session, lead)
    if not _their_turn(session, mark, now):
        return None
    waiting = list(
        session.scalars(
            select(HoaxReport)
            .join(HoaxDigestItem, HoaxDigestItem.report_id == HoaxReport.id)
            .where(HoaxDigestItem.member_id == lead.id)
            .order_by(HoaxReport.id)
        )
    )
    if not waiting:
        return None
    # A claim clarified while its reports waited here needs nobody's attention any more.
    claims = {r.claim_id for r in waiting if r.claim_id is not None}
    settled = set(session.scalars(clarified_claims().where(HoaxVerdict.claim_id.in_(claims))))
    still_open = [r for r in waiting if r.claim_id not in settled]
    outcome = None
    if still_open:
        zone = ZoneInfo(home_timezone(session, lead) or default_zone.key)
        outcome = _tell(session, lead, mark, still_open, zone, now, default_language)
    session.execute(
        delete(HoaxDigestItem)
        .where(
            HoaxDigestItem.member_id == lead.id,
            HoaxDigestItem.report_id.in_([r.id for r in waiting]),
        )
        .execution_options(synchronize_session=False)
    )
    return outcome


def _tell(
    session: Session,
    lead: Member,
    mark: HoaxNoticeMark,
    reports: list[HoaxReport],
    zone: ZoneInfo,
    now: datetime,
    default_language: str,
) -> NoticeOutcome:
    """One notice of `reports`: the report itself when alone, else a digest by claim."""
    if len(reports) == 1:
        template, data = "notice_hoax", _one_report(session, reports[0], zone)
        key = f"hoax:{reports[0].id}:{lead.id}"
    else:
        template, data = "notice_hoax_digest", _digest(session, reports, zone)
        key = f"hoax:digest:{lead.id}:{reports[-1].id}"
    mark.last_key = key
    return notices.notify(
        session, lead, template, data, dedupe_key=key, now=now, default_language=default_language
    )


def _locked_mark(session: Session, lead: Member) -> HoaxNoticeMark:
    """The lead's mark, locked (PostgreSQL): two reports at once cannot both take the turn."""
    session.execute(insert_or_skip(session, HoaxNoticeMark, "member_id").values(member_id=lead.id))
    mark = session.scalar(
        select(HoaxNoticeMark)
        .where(HoaxNoticeMark.member_id == lead.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert mark is not None  # inserted just above if it was missing
    return mark


def _their_turn(session: Session, mark: HoaxNoticeMark, now: datetime) -> bool:
    """Their last notice of reports went `INTERVAL` ago or more; one still queued (held until
    they write, or about to go) keeps the next one back."""
    last = notices.planned_notice(session, mark.last_key) if mark.last_key else None
    if last is None:
        return True
    if last.state == DeliveryState.QUEUED.value:
        return False
    return (last.attempted_at or last.created_at) <= now - INTERVAL


def _one_report(session: Session, report: HoaxReport, zone: ZoneInfo) -> dict[str, Any]:
    reporter = session.get(Member, report.member_id) if report.member_id else None
    claim = session.get(HoaxClaim, report.claim_id) if report.claim_id else None
    media = session.scalars(
        select(HoaxReportMedia.content_type).where(HoaxReportMedia.report_id == report.id)
    ).all()
    return {
        "id": report.id,
        "reporter": display_name(reporter, ""),
        "phone": shown_phone(reporter.phone) if reporter and reporter.phone else "",
        "text": excerpt(report.text, NOTICE_EXCERPT),
        "media": len(media),
        "claim": claim.id if claim else None,
        "count": claim.report_count if claim else 1,
        "first": claim.first_report_at.astimezone(zone) if claim else None,
    }


def _digest(session: Session, reports: list[HoaxReport], zone: ZoneInfo) -> dict[str, Any]:
    new = Counter(r.claim_id for r in reports if r.claim_id is not None)
    claims = session.scalars(select(HoaxClaim).where(HoaxClaim.id.in_(list(new)))).all()
    ordered = sorted(claims, key=lambda c: (-new[c.id], -c.latest_report_at.timestamp(), -c.id))
    firsts = {
        r.id: r.text
        for r in session.scalars(
            select(HoaxReport).where(HoaxReport.id.in_([c.first_report_id for c in ordered]))
        )
    }
    shown = [
        {
            "id": c.id,
            "new": new[c.id],
            "count": c.report_count,
            "first": c.first_report_at.astimezone(zone),
            "latest": c.latest_report_at.astimezone(zone),
            "text": excerpt(firsts.get(c.first_report_id, ""), DIGEST_EXCERPT),
        }
        for c in ordered[:SHOWN]
    ]
    return {"reports": len(reports), "claims": shown, "more": max(0, len(ordered) - SHOWN)}


# --- The worker's job ---------------------------------------------------------------------------


def send_due(
    session: Session, now: datetime, *, default_language: str, default_zone: ZoneInfo
) -> int:
    """Digests to every coordinator with reports waiting whose turn it is; returns how many."""
    leads = session.scalars(
        select(Member)
        .where(Member.id.in_(select(HoaxDigestItem.member_id)))
        .order_by(Member.id)
        .limit(LEADS_PER_RUN)
    ).all()
    sent = 0
    for lead in leads:
        outcome = deliver(
            session, lead, now, default_language=default_language, default_zone=default_zone
        )
        sent += outcome is not None
    return sent


def digest_job(services: Runtime) -> None:
    settings = services.settings
    with services.database.transaction() as session:
        sent = send_due(
            session,
            services.clock.now(),
            default_language=settings.bot_language,
            default_zone=settings.timezone,
        )
    if sent:
        log.info("%d hoax report digests to coordinators", sent)
