"""Occurrences of an entry for one group, placed by the group's guards.

The same computation serves the worker's scan (the next occurrence after the last one handled)
and the schedule people read (every occurrence in a period), so what the list shows is what the
worker will do.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple, Protocol

from broadcasts.db.models import EntryRule
from broadcasts.editorial_calendar.context import CalendarContext
from broadcasts.editorial_calendar.guards import Placement, place
from broadcasts.editorial_calendar.rules import (
    Anchored,
    Once,
    Recurring,
    Rule,
    StageSpan,
    key_moment,
    key_of,
    occurrences,
)

# A recurring rule yields at most this many occurrences that land too early before the scan
# gives up on a target (a guard against a rule that never gets past `not_before`).
_MAX_SKIPPED = 1000
# Quiet hours move an occurrence less than a day; nothing else moves a recurring one later.
_LATEST_MOVE = timedelta(days=1)

WAITING_NO_DATE = "stage_undated"
WAITING_NO_STAGE = "stage_missing"


class EntryFields(Protocol):
    """An entry's columns: a `CalendarEntry`, or a row of them read for speed."""

    @property
    def id(self) -> int: ...
    @property
    def title(self) -> str: ...
    @property
    def rule(self) -> str: ...
    @property
    def local_time(self) -> time: ...
    @property
    def starts_on(self) -> date | None: ...
    @property
    def rrule(self) -> str | None: ...
    @property
    def anchor_election(self) -> str | None: ...
    @property
    def anchor_stage(self) -> str | None: ...
    @property
    def anchor_day(self) -> str | None: ...
    @property
    def offset_days(self) -> int | None: ...
    @property
    def during_quiet_hours(self) -> bool: ...
    @property
    def campaign_id(self) -> int | None: ...


_ONCE, _RECURRING, _ANCHORED = (rule.value for rule in EntryRule)


def rule_of(entry: EntryFields) -> Rule:
    kind = entry.rule
    if kind == _ONCE and entry.starts_on is not None:
        return Once(entry.starts_on, entry.local_time)
    if kind == _RECURRING and entry.rrule and entry.starts_on is not None:
        return Recurring(entry.rrule, entry.starts_on, entry.local_time)
    if kind == _ANCHORED and entry.anchor_election and entry.anchor_stage:
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
        entry: EntryFields,
        tags: Iterable[str] = (),
        *,
        campaign: str | None = None,
        paused: bool = False,
    ) -> EntryView:
        """`tags`: the entry's own and its library content's (blackouts hold by tag)."""
        tags = frozenset(tag.lower() for tag in tags)
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


class Slot(NamedTuple):
    """One occurrence for one group, where it lands."""

    entry: EntryView
    group_id: int
    nominal_local: datetime  # naive, the group's wall clock
    placement: Placement

    @property
    def key(self) -> str:
        return key_of(self.entry.rule, self.nominal_local)

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


class Placer:
    """Places one entry's occurrences for one group: the guards are looked up once, not per
    occurrence (an agenda places tens of thousands)."""

    def __init__(self, context: CalendarContext, entry: EntryView, group_id: int) -> None:
        self.entry, self.group_id = entry, group_id
        self.zone = context.zone(group_id)
        self.quiet = None if entry.during_quiet_hours else context.quiet_hours(group_id)
        self.windows = context.windows_holding(group_id, entry.tags)

    def slot(self, nominal: datetime) -> Slot:
        if not self.windows and (self.quiet is None or not self.quiet.contains(nominal.time())):
            # Nothing moves it (by far the most common case): no need for the general rules.
            due = nominal.replace(tzinfo=self.zone).astimezone(UTC)
            return Slot(self.entry, self.group_id, nominal, Placement(due, due))
        placement = place(
            nominal,
            self.zone,
            quiet=self.quiet,
            windows=self.windows,
            tags=self.entry.tags,
            skip_held=self.entry.recurring,
        )
        return Slot(self.entry, self.group_id, nominal, placement)


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
    placer = Placer(context, entry, group_id)
    found = occurrences(entry.rule, after, span_of(context, entry))
    for tried, nominal in enumerate(found, 1):
        slot = placer.slot(nominal)
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
    return max(key_moment(cursor_key), floor)


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
    placer = Placer(context, entry, group_id)
    last_nominal = end.astimezone(placer.zone).replace(tzinfo=None)
    found: list[Slot] = []
    for nominal in occurrences(entry.rule, after, span_of(context, entry)):
        if nominal >= last_nominal:
            break
        slot = placer.slot(nominal)
        if floor <= slot.due < end:
            found.append(slot)
    return found
