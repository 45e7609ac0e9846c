"""What placing occurrences needs to know about the world, read once per operation.

Groups (zone, place in the tree), their quiet hours, the blackout windows that cover each of
them, and the election calendars anchors point at. Reading it all up front keeps computing
thousands of occurrences to a handful of queries.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcasts.db.models import Blackout, Group, GroupQuietHours
from broadcasts.editorial_calendar import stages
from broadcasts.editorial_calendar.guards import (
    DEFAULT_QUIET_HOURS,
    QuietHours,
    Window,
    day_window,
)
from broadcasts.editorial_calendar.rules import StageSpan
from broadcasts.elections.calendar import Election
from broadcasts.elections.stored import all_elections


@dataclass(frozen=True)
class GroupInfo:
    id: int
    code: str
    name: str
    zone: ZoneInfo
    parent_id: int | None


class CalendarContext:
    def __init__(
        self,
        groups: Mapping[int, GroupInfo],
        quiet: Mapping[int, QuietHours | None],
        blackouts: Sequence[Blackout],
        elections: Mapping[str, Election],
    ) -> None:
        self.groups = groups
        self._quiet = quiet
        self._blackouts = blackouts
        self.elections = elections
        self._windows: dict[int, tuple[Window, ...]] = {}
        self._lineages: dict[int, frozenset[int]] = {}
        self._spans: dict[tuple[str, str], StageSpan | None] = {}
        self._holding: dict[tuple[int, frozenset[str]], tuple[Window, ...]] = {}
        self._inherited_quiet: dict[int, QuietHours | None] = {}

    @classmethod
    def load(cls, session: Session) -> CalendarContext:
        groups = {
            gid: GroupInfo(gid, code, name, ZoneInfo(zone), parent)
            for gid, code, name, zone, parent in session.execute(
                select(Group.id, Group.code, Group.name, Group.timezone, Group.parent_id)
            )
        }
        quiet = {
            gid: QuietHours(starts, ends) if starts is not None and ends is not None else None
            for gid, starts, ends in session.execute(
                select(GroupQuietHours.group_id, GroupQuietHours.starts, GroupQuietHours.ends)
            )
        }
        blackouts = list(session.scalars(select(Blackout).order_by(Blackout.id)))
        return cls(groups, quiet, blackouts, stages.by_code(all_elections(session)))

    def group(self, group_id: int) -> GroupInfo:
        return self.groups[group_id]

    def zone(self, group_id: int) -> ZoneInfo:
        return self.groups[group_id].zone

    def quiet_hours(self, group_id: int) -> QuietHours | None:
        """The group's own, else the nearest group above it with its own, else the default."""
        if group_id not in self._inherited_quiet:
            self._inherited_quiet[group_id] = self._quiet_hours(group_id)
        return self._inherited_quiet[group_id]

    def _quiet_hours(self, group_id: int) -> QuietHours | None:
        current: int | None = group_id
        seen: set[int] = set()
        while current is not None and current not in seen:
            if current in self._quiet:
                return self._quiet[current]
            seen.add(current)
            current = self.groups[current].parent_id if current in self.groups else None
        return DEFAULT_QUIET_HOURS

    def span(self, election: str, stage: str) -> StageSpan | None:
        key = (election, stage)
        if key not in self._spans:
            self._spans[key] = stages.span(self.elections, election, stage)
        return self._spans[key]

    def windows(self, group_id: int) -> tuple[Window, ...]:
        """The blackout windows over the group: its own, those of groups above it, global ones."""
        if group_id not in self._windows:
            self._windows[group_id] = tuple(self._windows_for(group_id))
        return self._windows[group_id]

    def windows_holding(self, group_id: int, tags: frozenset[str]) -> tuple[Window, ...]:
        """The group's windows that hold content with any of `tags` (usually none at all)."""
        key = (group_id, tags)
        if key not in self._holding:
            found = self.windows(group_id)
            self._holding[key] = tuple(w for w in found if not w.tags.isdisjoint(tags))
        return self._holding[key]

    def lineage(self, group_id: int) -> frozenset[int]:
        """The group and every group above it."""
        if group_id not in self._lineages:
            found: set[int] = set()
            current: int | None = group_id
            while current is not None and current not in found and current in self.groups:
                found.add(current)
                current = self.groups[current].parent_id
            self._lineages[group_id] = frozenset(found)
        return self._lineages[group_id]

    def _windows_for(self, group_id: int) -> list[Window]:
        zone = self.zone(group_id)
        lineage = self.lineage(group_id)
        windows: list[Window] = []
        for blackout in self._blackouts:
            if blackout.group_id is not None and blackout.group_id not in lineage:
                continue
            first, last = blackout.starts_on, blackout.ends_on
            if blackout.election_code and blackout.stage:
                days = self.span(blackout.election_code, blackout.stage)
                first, last = (days.start, days.end) if days is not None else (None, None)
            if first is None or last is None:
                continue  # a stage with no official days yet holds nothing yet
            tags = frozenset(blackout.tags)
            windows.append(day_window(blackout.id, blackout.name, tags, first, last, zone))
        return windows
