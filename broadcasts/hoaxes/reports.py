"""Suspected hoaxes reported by members (LAPOR): kept with their media, grouped into claims,
passed on to the coordinators above the reporter.

A report is its text (control characters taken out, at most `MAX_REPORT` characters) and the
media forwarded with it. The same text and media twice from one member is one report: the second
gets the first one's number. A member files at most `PER_HOUR` reports in an hour; more are
refused politely, not stored and not passed on. Reporting a claim that already has an approved
clarification gets that clarification at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert, literal, select
from sqlalchemy.orm import Session

from broadcasts.db.models import (
    Content,
    HoaxClaim,
    HoaxReport,
    HoaxReportGroup,
    HoaxReportMedia,
    Member,
    Membership,
)
from broadcasts.errors import HoaxError
from broadcasts.hoaxes import claims, digests, verdicts
from broadcasts.hoaxes.media import Attachment, Fetched, Problem, Unusable
from broadcasts.hoaxes.texts import cleaned, fingerprint, has_words

JAKARTA = ZoneInfo("Asia/Jakarta")
MAX_REPORT = 2000
PER_HOUR = 5
HOUR = timedelta(hours=1)
# LAPOR alone: the next message within this long is the report.
REQUEST_WITHIN = timedelta(minutes=10)


@dataclass
class Filed:
    """What became of a LAPOR: the report (or the one it repeats) and its claim."""

    report: HoaxReport
    claim: HoaxClaim | None
    repeated: bool = False  # the same text and media was reported before by this member
    told: digests.Told = field(default_factory=digests.Told)
    shortened: bool = False  # longer than MAX_REPORT: the rest was not kept
    dropped: list[Unusable] = field(default_factory=list)  # media that could not be kept
    clarification: Content | None = None  # the claim's approved clarification, if any


def report(
    session: Session,
    member: Member,
    text: str,
    *,
    media: tuple[Attachment, ...] = (),
    now: datetime,
    default_language: str = "id",
    default_zone: ZoneInfo = JAKARTA,
) -> Filed:
    """Files a report (see the module's docstring); raises `HoaxError` for one that says nothing
    or comes past the hourly limit."""
    kept = [m for m in media if isinstance(m, Fetched)]
    dropped = [m for m in media if isinstance(m, Unusable)]
    body = _checked_text(text, kept, dropped)
    digests_of_media = [m.digest for m in kept]
    same_as = fingerprint(body, digests_of_media)
    earlier = _same_report(session, member, same_as)
    if earlier is not None:
        _forget_request(member)
        claim = session.get(HoaxClaim, earlier.claim_id) if earlier.claim_id else None
        return Filed(earlier, claim, repeated=True, clarification=_clarified(session, claim))
    _check_rate(session, member, now)
    stored = HoaxReport(
        member_id=member.id, text=body[:MAX_REPORT], fingerprint=same_as, created_at=now
    )
    session.add(stored)
    session.flush()
    _keep_media(session, stored, kept)
    _record_groups(session, member, stored)
    terms = claims.terms_of(body, digests_of_media)
    (claim_id,) = claims.attach(session, [claims.Incoming(stored.id, terms, now)])
    stored.claim_id = claim_id
    claim = session.get(HoaxClaim, claim_id, populate_existing=True)
    _forget_request(member)
    told = digests.tell(
        session,
        member,
        stored,
        now,
        default_language=default_language,
        default_zone=default_zone,
    )
    return Filed(
        stored,
        claim,
        told=told,
        shortened=len(body) > MAX_REPORT,
        dropped=dropped,
        clarification=_clarified(session, claim),
    )


def _checked_text(text: str, kept: list[Fetched], dropped: list[Unusable]) -> str:
    """The text to keep; a report with neither words nor media is refused, saying why."""
    body = cleaned(text)
    if kept or has_words(body):
        return body
    problems = {m.problem for m in dropped}
    if Problem.FAILED in problems:
        raise HoaxError("media_failed")
    if Problem.TOO_LARGE in problems:
        raise HoaxError("media_too_large")
    if problems:
        raise HoaxError("media_unsupported")
    if body:
        raise HoaxError("no_words")
    raise HoaxError("empty_report")


def _same_report(session: Session, member: Member, same_as: str) -> HoaxReport | None:
    return session.scalar(
        select(HoaxReport).where(
            HoaxReport.member_id == member.id, HoaxReport.fingerprint == same_as
        )
    )


def _check_rate(session: Session, member: Member, now: datetime) -> None:
    recent = session.scalars(
        select(HoaxReport.created_at)
        .where(HoaxReport.member_id == member.id, HoaxReport.created_at > now - HOUR)
        .order_by(HoaxReport.created_at)
    ).all()
    if len(recent) >= PER_HOUR:
        frees_at = recent[len(recent) - PER_HOUR] + HOUR
        minutes = max(1, math.ceil((frees_at - now).total_seconds() / 60))
        raise HoaxError("too_many_reports", limit=PER_HOUR, minutes=minutes)


def _keep_media(session: Session, report: HoaxReport, kept: list[Fetched]) -> None:
    for item in kept:
        session.add(
            HoaxReportMedia(
                report_id=report.id,
                content_type=item.content_type,
                size=len(item.data),
                sha256=item.digest,
                data=item.data,
            )
        )


def _record_groups(session: Session, member: Member, report: HoaxReport) -> None:
    """The reporter's groups now: whose coordinators see the report from here on."""
    session.execute(
        insert(HoaxReportGroup).from_select(
            ["report_id", "group_id"],
            select(literal(report.id), Membership.group_id).where(
                Membership.member_id == member.id
            ),
        )
    )


def _clarified(session: Session, claim: HoaxClaim | None) -> Content | None:
    return verdicts.approved_clarification(session, claim) if claim is not None else None


# --- LAPOR alone, then the forward ----------------------------------------------------------------


def ask_for_forward(member: Member, now: datetime) -> None:
    """LAPOR alone: the member's next message (a forward) within `REQUEST_WITHIN` is the report."""
    member.report_requested_at = now


def awaiting_forward(member: Member, now: datetime) -> bool:
    requested = member.report_requested_at
    return requested is not None and requested <= now <= requested + REQUEST_WITHIN


def _forget_request(member: Member) -> None:
    member.report_requested_at = None
