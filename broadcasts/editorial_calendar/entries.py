"""Calendar entries: checked as a whole, then written with their targets, or not at all.

Each kind of rule is built from what a person types (`once`, `recurring`, `anchored`), so the
CLI and campaign files share the checks and the messages.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcasts.db.models import (
    CalendarEntry,
    Campaign,
    Content,
    ContentKind,
    EntryRule,
    Group,
)
from broadcasts.editorial import audit
from broadcasts.editorial import workflow as editorial
from broadcasts.editorial_calendar import stages, targets
from broadcasts.editorial_calendar.context import CalendarContext
from broadcasts.editorial_calendar.rules import (
    Anchored,
    Once,
    Recurring,
    Rule,
    build_rrule,
    check_rrule,
    parse_anchor,
    parse_date,
    parse_time,
)
from broadcasts.editorial_calendar.timeline import EntryView, next_slot
from broadcasts.elections.calendar import Election
from broadcasts.errors import CalendarError, EditorialError, MembershipError
from broadcasts.people.membership import group_by_code

MAX_TITLE = 200

# --- Rules from what people type ------------------------------------------------------------


def once(on: str, at: str) -> Once:
    return Once(parse_date(on), parse_time(at))


def recurring(
    at: str,
    *,
    starts_on: str,
    rrule: str | None = None,
    frequency: str | None = None,
    weekdays: Sequence[str] = (),
    month_day: int | None = None,
    interval: int = 1,
    until: str | None = None,
) -> Recurring:
    """From a raw RRULE, or from a frequency (daily / weekly on days / monthly on a day)."""
    start, moment = parse_date(starts_on), parse_time(at)
    end = parse_date(until) if until else None
    if rrule and (frequency or end or weekdays or month_day is not None or interval != 1):
        raise CalendarError("rrule_or_frequency")
    if not rrule and not frequency:
        raise CalendarError("no_frequency")
    if end is not None and end < start:
        raise CalendarError("until_before_start", until=end.isoformat(), start=start.isoformat())
    text = rrule or build_rrule(
        frequency or "", weekdays=weekdays, month_day=month_day, interval=interval, until=end
    )
    return Recurring(check_rrule(text, start, moment), start, moment)


def anchored(
    phrase: str,
    elections: Mapping[str, Election],
    *,
    election: str | None = None,
    at: str | None = None,
) -> Anchored:
    """From "H-7 pemungutan suara pemilu2029, 09:00" (election and time may come apart)."""
    parsed = parse_anchor(phrase, elections.keys())
    code = parsed.election or election
    if not code:
        raise CalendarError("no_election", anchor=phrase.strip()[:100])
    found = stages.election_named(elections, code)
    moment = parsed.at or (parse_time(at) if at else None)
    if moment is None:
        raise CalendarError("no_time", anchor=phrase.strip()[:100])
    reference = stages.resolve_stage(found, parsed.stage)
    return Anchored(found.code, reference, parsed.day, parsed.offset_days, moment)


# --- What an entry sends --------------------------------------------------------------------


@dataclass(frozen=True)
class EntrySpec:
    title: str
    rule: Rule
    groups: Sequence[str]  # group codes
    body: str | None = None
    content_id: int | None = None
    media_url: str | None = None
    kind: str = ContentKind.LITERACY.value
    language: str = "id"
    tags: Sequence[str] = ()
    during_quiet_hours: bool = False
    slug: str | None = None


@dataclass(frozen=True)
class CheckedSpec:
    spec: EntrySpec
    title: str
    body: str | None
    content: Content | None
    media_url: str | None
    kind: str
    language: str
    tags: list[str]
    groups: list[Group]


def check(session: Session, spec: EntrySpec) -> CheckedSpec:
    """Everything about an entry that can be wrong, before anything is written."""
    if (spec.body is None or not spec.body.strip()) == (spec.content_id is None):
        raise CalendarError("body_or_content")
    content = None
    if spec.content_id is not None:
        # Ids are 32-bit in the database: a bigger number cannot be a library item.
        found = 0 < spec.content_id <= 2**31 - 1
        content = session.get(Content, spec.content_id) if found else None
        if content is None:
            raise CalendarError("unknown_content", id=spec.content_id)
    try:
        body = editorial.check_body(spec.body) if spec.body is not None else None
        media_url = editorial.check_media_url(spec.media_url)
        kind = editorial.check_kind(spec.kind).value
        language = editorial.check_language(spec.language)
    except EditorialError as error:
        raise CalendarError(error.key, **error.data) from error
    title = " ".join((spec.title or "").split()) or editorial.preview(body or "", 60)
    if content is not None and not spec.title:
        title = content.title
    if not title or len(title) > MAX_TITLE:
        raise CalendarError("bad_title", limit=MAX_TITLE)
    return CheckedSpec(
        spec,
        title,
        body,
        content,
        media_url,
        kind,
        language,
        editorial.clean_tags(spec.tags),
        groups_named(session, spec.groups),
    )


def groups_named(session: Session, codes: Sequence[str]) -> list[Group]:
    if not codes:
        raise CalendarError("no_groups")
    found: list[Group] = []
    for code in codes:
        try:
            group = group_by_code(session, code)
        except MembershipError as error:
            raise CalendarError("unknown_group", code=code.strip().upper()) from error
        if group not in found:
            found.append(group)
    return found


def top_level_groups(session: Session) -> list[str]:
    """`groups: all` in a campaign: every group with none above it (a send reaches those below)."""
    return list(session.scalars(select(Group.code).where(Group.parent_id.is_(None))))


def new_entry(
    checked: CheckedSpec, *, actor: str, now: datetime, campaign: Campaign | None = None
) -> CalendarEntry:
    entry = CalendarEntry(campaign=campaign, slug=checked.spec.slug, created_by=actor[:100])
    update_entry(entry, checked, now)
    entry.created_at = now
    entry.updated_at = None
    return entry


def update_entry(entry: CalendarEntry, checked: CheckedSpec, now: datetime) -> None:
    """Copies what the entry sends and when onto `entry` (a new one, or one being reloaded)."""
    rule = checked.spec.rule
    entry.title = checked.title
    entry.body = checked.body
    entry.content_id = checked.content.id if checked.content is not None else None
    entry.media_url = checked.media_url
    entry.kind = checked.kind
    entry.language = checked.language
    entry.tags = checked.tags
    entry.during_quiet_hours = checked.spec.during_quiet_hours
    entry.local_time = rule.at
    entry.starts_on = rule.on if isinstance(rule, Once) else None
    entry.rrule = None
    entry.anchor_election = entry.anchor_stage = entry.anchor_day = None
    entry.offset_days = None
    if isinstance(rule, Once):
        entry.rule = EntryRule.ONCE.value
    elif isinstance(rule, Recurring):
        entry.rule = EntryRule.RECURRING.value
        entry.starts_on, entry.rrule = rule.starts_on, rule.rule
    else:
        entry.rule = EntryRule.ANCHORED.value
        entry.anchor_election, entry.anchor_stage = rule.election, rule.stage
        entry.anchor_day, entry.offset_days = rule.day, rule.offset_days
    entry.updated_at = now


def check_future(
    context: CalendarContext, view: EntryView, groups: Sequence[Group], now: datetime
) -> None:
    """A new entry must still have something to send in every group (or wait for a stage)."""
    for group in groups:
        if next_slot(context, view, group.id, cursor_key=None, not_before=now) is not None:
            continue
        if isinstance(view.rule, Anchored) and not _has_date(context, view.rule):
            continue  # it waits for the stage's official date, and says so
        raise CalendarError("in_the_past", group=group.code)


def _has_date(context: CalendarContext, rule: Anchored) -> bool:
    return rule.local_datetime(context.span(rule.election, rule.stage)) is not None


def add_entry(
    session: Session,
    spec: EntrySpec,
    *,
    actor: str,
    now: datetime,
    campaign: Campaign | None = None,
    context: CalendarContext | None = None,
) -> CalendarEntry:
    """One entry, on its own or added to a campaign (campaign files go through
    `campaigns.load`)."""
    checked = check(session, spec)
    context = context or CalendarContext.load(session)
    entry = new_entry(checked, actor=actor, now=now, campaign=campaign)
    view = EntryView.of(entry, [*entry.tags, *_content_tags(checked)])
    check_future(context, view, checked.groups, now)
    session.add(entry)
    session.flush()
    targets.attach(session, entry, [group.id for group in checked.groups], now, context)
    audit.record(session, actor, "calendar_added", "calendar_entry", entry.id, now)
    return entry


def _content_tags(checked: CheckedSpec) -> list[str]:
    return list(checked.content.tags) if checked.content is not None else []


def cancel_entry(session: Session, entry_id: int, *, actor: str, now: datetime) -> CalendarEntry:
    """Stops an entry for good; what it already proposed stays with the editors."""
    entry = session.get(CalendarEntry, entry_id)
    if entry is None or entry.cancelled_at is not None:
        raise CalendarError("unknown_entry", id=entry_id)
    entry.cancelled_at = now
    for target in entry.targets:
        target.next_due_at, target.next_key = None, None
    audit.record(session, actor, "calendar_cancelled", "calendar_entry", entry.id, now)
    return entry
