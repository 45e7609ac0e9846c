"""Where an occurrence actually lands once a group's guards have had their say.

Quiet hours (default 21:00–06:00 local) move an occurrence to the end of the quiet period,
unless its entry says it may land then. A blackout window holds content with any of its tags:
a one-off or anchored occurrence moves to the window's end; a recurring one is skipped, since the
series goes on after the window (one held send per occurrence would all land at once). Each move
is kept as a `Reason`, so the schedule can say why a send is where it is. Pure functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

QUIET = "quiet_hours"
BLACKOUT = "blackout"
# A quiet period and a window could in theory keep pushing each other; they cannot more often
# than this without a configuration nobody would write.
_MAX_MOVES = 16


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time

    def contains(self, moment: time) -> bool:
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end  # across midnight

    def end_after(self, local: datetime) -> datetime:
        """The first end of a quiet period at or after `local` (an aware local datetime)."""
        ends = local.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        return ends if ends > local else ends + timedelta(days=1)

    def __str__(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M}"


DEFAULT_QUIET_HOURS = QuietHours(time(21, 0), time(6, 0))


@dataclass(frozen=True)
class Window:
    """A blackout as it applies to one group: [starts, ends) in UTC, for content with `tags`."""

    blackout_id: int
    name: str
    tags: frozenset[str]
    starts: datetime
    ends: datetime

    def holds(self, tags: frozenset[str], at: datetime) -> bool:
        return self.starts <= at < self.ends and not self.tags.isdisjoint(tags)


def day_window(
    blackout_id: int, name: str, tags: frozenset[str], first: date, last: date, zone: ZoneInfo
) -> Window:
    """Whole local days `first`..`last` in `zone`."""
    starts = datetime.combine(first, time(0), tzinfo=zone).astimezone(UTC)
    ends = datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return Window(blackout_id, name, tags, starts, ends)


@dataclass(frozen=True)
class Reason:
    kind: str  # QUIET or BLACKOUT
    moved_from: datetime  # aware, local
    moved_to: datetime  # aware, local (for a skipped occurrence: when the window ends)
    name: str | None = None  # the blackout's name
    quiet_hours: str | None = None


class Placement(NamedTuple):
    nominal: datetime  # UTC: when the rule says
    due: datetime  # UTC: when it lands (for a skipped occurrence, when it is recorded)
    reasons: tuple[Reason, ...] = ()
    skipped: bool = False


def place(
    nominal_local: datetime,
    zone: ZoneInfo,
    *,
    quiet: QuietHours | None,
    windows: Sequence[Window] = (),
    tags: frozenset[str] = frozenset(),
    skip_held: bool = False,
) -> Placement:
    """Where a nominal local time lands in `zone`. `quiet` None: no quiet hours apply."""
    nominal = nominal_local.replace(tzinfo=zone)
    if (quiet is None or not quiet.contains(nominal_local.time())) and not (windows and tags):
        landed = nominal.astimezone(UTC)  # the common case, kept cheap for long agendas
        return Placement(landed, landed)
    at = nominal
    reasons: list[Reason] = []
    for _ in range(_MAX_MOVES):
        moved = False
        if quiet is not None and quiet.contains(at.time()):
            later = quiet.end_after(at)
            reasons.append(Reason(QUIET, at, later, quiet_hours=str(quiet)))
            at, moved = later, True
        window = _holding(windows, tags, at)
        if window is not None:
            ends = window.ends.astimezone(zone)
            reasons.append(Reason(BLACKOUT, at, ends, name=window.name))
            if skip_held:
                return Placement(
                    nominal.astimezone(UTC), nominal.astimezone(UTC), (*reasons,), True
                )
            at, moved = ends, True
        if not moved:
            break
    return Placement(nominal.astimezone(UTC), at.astimezone(UTC), tuple(reasons))


def _holding(windows: Sequence[Window], tags: frozenset[str], at: datetime) -> Window | None:
    if not tags:
        return None
    moment = at.astimezone(UTC)
    held = [window for window in windows if window.holds(tags, moment)]
    # Of overlapping windows, the one that ends last decides where the send can go.
    return max(held, key=lambda window: window.ends) if held else None
