"""Blackout windows: content with certain tags is held during a period.

The period is whole local days, or an election stage (e.g. masa tenang), which then follows the
stage when new official dates are loaded. A window covers its group and the groups below it, or
every group. Adding or removing one moves the coming sends it touches at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcasts.db.models import Blackout, CalendarTarget, Group
from broadcasts.editorial import audit
from broadcasts.editorial import workflow as editorial
from broadcasts.editorial_calendar import stages, targets
from broadcasts.editorial_calendar.rules import parse_anchor, parse_date
from broadcasts.elections.calendar import Election
from broadcasts.elections.stored import all_elections
from broadcasts.errors import CalendarError, MembershipError
from broadcasts.people.group_tree import subtree
from broadcasts.people.membership import group_by_code

MAX_NAME = 100


def add_blackout(
    session: Session,
    name: str,
    tags: Sequence[str],
    *,
    group_code: str | None = None,
    first: str | None = None,
    last: str | None = None,
    stage: str | None = None,
    election: str | None = None,
    actor: str,
    now: datetime,
) -> Blackout:
    """Either `first`..`last` (YYYY-MM-DD, inclusive) or `stage` of `election`."""
    name = " ".join(name.split())
    if not name or len(name) > MAX_NAME:
        raise CalendarError("bad_blackout_name", limit=MAX_NAME)
    cleaned = editorial.clean_tags(tags)
    if not cleaned:
        raise CalendarError("blackout_without_tags")
    group = _group(session, group_code) if group_code else None
    blackout = Blackout(
        name=name, tags=cleaned, group_id=group.id if group else None, created_by=actor[:100]
    )
    if stage is not None and (first is not None or last is not None):
        raise CalendarError("blackout_dates_or_stage")
    if stage is not None:
        blackout.election_code, blackout.stage = _stage(session, stage, election)
    elif first is not None and last is not None:
        blackout.starts_on, blackout.ends_on = _days(first, last)
    else:
        raise CalendarError("blackout_dates_or_stage")
    blackout.created_at = now
    session.add(blackout)
    session.flush()
    _moved(session, group, now)
    audit.record(session, actor, "blackout_added", "blackout", blackout.id, now, tags=cleaned)
    return blackout


def _days(first: str, last: str) -> tuple[date, date]:
    start, end = parse_date(first), parse_date(last)
    if end < start:
        raise CalendarError("until_before_start", until=end.isoformat(), start=start.isoformat())
    return start, end


def _stage(session: Session, words: str, election: str | None) -> tuple[str, str]:
    """A stage named like an anchor: "masa tenang pemilu2029", or words plus `election`."""
    elections = stages.by_code(all_elections(session))
    phrase = parse_anchor(f"H {words}", elections.keys())
    code = phrase.election or election
    if not code:
        raise CalendarError("no_election", anchor=words.strip()[:100])
    found = stages.election_named(elections, code)
    return found.code, stages.resolve_stage(found, phrase.stage)


def _group(session: Session, code: str) -> Group:
    try:
        return group_by_code(session, code)
    except MembershipError as error:
        raise CalendarError("unknown_group", code=code.strip().upper()) from error


def _moved(session: Session, group: Group | None, now: datetime) -> None:
    if group is None:
        targets.recompute_where(session, now)
    else:
        below = select(subtree([group.id]).c.id)
        targets.recompute_where(session, now, CalendarTarget.group_id.in_(below))


def remove_blackout(session: Session, blackout_id: int, *, actor: str, now: datetime) -> Blackout:
    blackout = session.get(Blackout, blackout_id)
    if blackout is None:
        raise CalendarError("unknown_blackout", id=blackout_id)
    group = session.get(Group, blackout.group_id) if blackout.group_id is not None else None
    session.delete(blackout)
    session.flush()
    _moved(session, group, now)
    audit.record(session, actor, "blackout_removed", "blackout", blackout_id, now)
    return blackout


def all_blackouts(session: Session) -> list[Blackout]:
    return list(session.scalars(select(Blackout).order_by(Blackout.id)))


def days_of(blackout: Blackout, elections: Mapping[str, Election]) -> tuple[date, date] | None:
    """The local days a window holds, first and last; None while its stage has no official
    days (it then holds nothing yet)."""
    if blackout.election_code and blackout.stage:
        span = stages.span(elections, blackout.election_code, blackout.stage)
        if span is None or span.start is None or span.end is None:
            return None
        return span.start, span.end
    if blackout.starts_on is None or blackout.ends_on is None:
        return None
    return blackout.starts_on, blackout.ends_on
