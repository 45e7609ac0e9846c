"""Occurrences of an entry for one group, placed by the group's guards.

The same computation serves the worker's scan (the next occurrence after the last one handled)
and the schedule people read (every occurrence in a period), so what the list shows is what the
worker will do.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from broadcasts.editorial_calendar.context import CalendarContext
from broadcasts.editorial_calendar.guards import Placement, place
from broadcasts.editorial_calendar.rules import (
    KEY_FORMAT,
    Anchored,
    Once,
    Recurring,
    Rule,
    StageSpan,
    occurrences,
)
from broadcasts.models import CalendarEntry, EntryRule

# A recurring rule yields at most this many occurrences that land too early before the scan
# gives up on a target (a guard against a rule that never gets past `not_before`).
_MAX_SKIPPED = 1000
# Quiet hours move an occurrence less than a day; nothing else moves a recurring one later.
_LATEST_MOVE = timedelta(days=1)

WAITING_NO_DATE = "stage_undated"
WAITING_NO_STAGE = "stage_missing"


def rule_of(entry: CalendarEntry) -> Rule:
    if entry.rule == EntryRule.ONCE.value and entry.starts_on is not None:
        return Once(entry.starts_on, entry.local_time)
    if entry.rule == EntryRule.RECURRING.value and entry.rrule and entry.starts_on is not None:
        return Recurring(entry.rrule, entry.starts_on, entry.local_time)
    if entry.rule == EntryRule.ANCHORED.value and entry.anchor_election and entry.anchor_stage:
        return Anchored(
            entry.anchor_election,
            entry.anchor_stage,
            entry.anchor_day or "first",
            entry.offset_days or 0,
            entry.local_time,
        )
    raise ValueError(f"calendar entry {entry.id} has an incomplete rule")


@dataclass(frozen=True)
class EntryView:
    """What placing needs from an entry (built once per entry, shared by its groups)."""

    id: int
    title: str
    rule: Rule
    tags: frozenset[str]
    during_quiet_hours: bool
    campaign_id: int | None = None
    campaign: str | None = None
    paused: bool = False

    @classmethod
    def of(
        cls,
        entry: CalendarEntry,
        content_tags: Iterable[str] = (),
        *,
        campaign: str | None = None,
        paused: bool = False,
    ) -> EntryView:
        tags = frozenset(tag.lower() for tag in (*entry.tags, *content_tags))
        return cls(
            entry.id,
            entry.title,
            rule_of(entry),
            tags,
            entry.during_quiet_hours,
            entry.campaign_id,
            campaign,
            paused,
        )

    @property
    def recurring(self) -> bool:
        return isinstance(self.rule, Recurring)


@dataclass(frozen=True)
class Slot:
    """One occurrence for one group, where it lands."""

    entry: EntryView
    group_id: int
    key: str
    nominal_local: datetime  # naive, the group's wall clock
    placement: Placement

    @property
    def due(self) -> datetime:
        return self.placement.due


def span_of(context: CalendarContext, entry: EntryView) -> StageSpan | None:
    rule = entry.rule
    return context.span(rule.election, rule.stage) if isinstance(rule, Anchored) else None


def waiting_reason(context: CalendarContext, entry: EntryView) -> str | None:
    """Why an anchored entry has no time yet (None when it has one, or is not anchored)."""
    if not isinstance(entry.rule, Anchored):
        return None
    span = span_of(context, entry)
    if span is None:
        return WAITING_NO_STAGE
    return WAITING_NO_DATE if entry.rule.local_datetime(span) is None else None


def place_slot(
    context: CalendarContext, entry: EntryView, group_id: int, key: str, nominal: datetime
) -> Slot:
    quiet = None if entry.during_quiet_hours else context.quiet_hours(group_id)
    placement = place(
        nominal,
        context.zone(group_id),
        quiet=quiet,
        windows=context.windows(group_id),
        tags=entry.tags,
        skip_held=entry.recurring,
    )
    return Slot(entry, group_id, key, nominal, placement)


def next_slot(
    context: CalendarContext,
    entry: EntryView,
    group_id: int,
    *,
    cursor_key: str | None,
    not_before: datetime,
) -> Slot | None:
    """The first occurrence after `cursor_key` that lands at or after `not_before`."""
    if not isinstance(entry.rule, Recurring) and cursor_key is not None:
        return None  # a one-off or anchored entry has one occurrence, and it was handled
    after = _after(context, entry, group_id, cursor_key, not_before)
    found = occurrences(entry.rule, after, span_of(context, entry))
    for tried, (key, nominal) in enumerate(found, 1):
        slot = place_slot(context, entry, group_id, key, nominal)
        if slot.due >= not_before:
            return slot
        if tried >= _MAX_SKIPPED:
            break
    return None


def _after(
    context: CalendarContext,
    entry: EntryView,
    group_id: int,
    cursor_key: str | None,
    not_before: datetime,
) -> datetime:
    if not isinstance(entry.rule, Recurring):
        return datetime.min
    floor = (not_before.astimezone(context.zone(group_id)) - _LATEST_MOVE).replace(tzinfo=None)
    if cursor_key is None:
        return floor
    return max(datetime.strptime(cursor_key, KEY_FORMAT), floor)


def slots_between(
    context: CalendarContext,
    entry: EntryView,
    group_id: int,
    start: datetime,
    end: datetime,
    *,
    cursor_key: str | None = None,
    not_before: datetime | None = None,
) -> list[Slot]:
    """Occurrences landing in [start, end) (UTC), not yet handled, in order."""
    if not isinstance(entry.rule, Recurring) and cursor_key is not None:
        return []
    floor = max(start, not_before) if not_before is not None else start
    after = _after(context, entry, group_id, cursor_key, floor)
    last_nominal = end.astimezone(context.zone(group_id)).replace(tzinfo=None)
    found: list[Slot] = []
    for key, nominal in occurrences(entry.rule, after, span_of(context, entry)):
        if nominal >= last_nominal:
            break
        slot = place_slot(context, entry, group_id, key, nominal)
        if floor <= slot.due < end:
            found.append(slot)
    return found


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)
