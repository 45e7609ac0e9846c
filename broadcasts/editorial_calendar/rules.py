"""When an entry falls, on the wall clock of the group it is for.

Three kinds of rule: one-off (a local date and time), recurring (an RFC 5545 RRULE from a local
start date, at a local time) and anchored (days before the first day, or after the last day, of
an election stage). Everything here works on naive local datetimes; a group's zone turns them into
instants (`guards.place`). No database here.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from dateutil.rrule import (
    DAILY,
    FR,
    MO,
    MONTHLY,
    SA,
    SU,
    TH,
    TU,
    WE,
    WEEKLY,
    YEARLY,
    rrule,
    rrulestr,
    weekday,
)

from broadcasts.errors import CalendarError

ONCE_KEY = "once"
ANCHOR_KEY = "anchor"

_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_TIME = re.compile(r"^(\d{1,2})[:.](\d{2})$")


def parse_date(text: str) -> date:
    """A calendar day written YYYY-MM-DD; anything else is `bad_date`."""
    found = _DATE.match(text.strip())
    if found is None:
        raise CalendarError("bad_date", value=text.strip()[:40])
    try:
        return date(int(found[1]), int(found[2]), int(found[3]))
    except ValueError as error:
        raise CalendarError("bad_date", value=text.strip()[:40]) from error


def parse_time(text: str) -> time:
    """A wall-clock time written HH:MM (or HH.MM, as Indonesians often do)."""
    found = _TIME.match(text.strip())
    if found is None or int(found[1]) > 23 or int(found[2]) > 59:
        raise CalendarError("bad_time", value=text.strip()[:40])
    return time(int(found[1]), int(found[2]))


def occurrence_key(local: datetime) -> str:
    """A recurring occurrence's identity: its nominal local date and time, 2029-01-15T09:00."""
    return local.isoformat(timespec="minutes")


def key_moment(key: str) -> datetime:
    """The nominal local date and time an occurrence key names."""
    return datetime.fromisoformat(key)


# --- One-off and anchored rules -------------------------------------------------------------


@dataclass(frozen=True)
class Once:
    on: date
    at: time

    def occurrences(self, after: datetime) -> Iterator[datetime]:
        moment = datetime.combine(self.on, self.at)
        if moment > after:
            yield moment


@dataclass(frozen=True)
class StageSpan:
    """An election stage's days as loaded; either may be unknown (not yet decreed)."""

    start: date | None
    end: date | None


FIRST_DAY = "first"
LAST_DAY = "last"


@dataclass(frozen=True)
class Anchored:
    """`offset_days` from the first (or last) day of a stage: H-7 is (first, -7), H+1 (last, +1).

    `stage` is the stage's id in its election's calendar, or `kind:<kind>` for a stage the
    calendar does not list yet (an election whose dates are not yet set).
    """

    election: str
    stage: str
    day: str
    offset_days: int
    at: time

    def local_datetime(self, span: StageSpan | None) -> datetime | None:
        """None while the stage has no date (the entry waits)."""
        if span is None:
            return None
        base = span.start if self.day == FIRST_DAY else span.end
        if base is None:
            return None
        return datetime.combine(base + timedelta(days=self.offset_days), self.at)

    def occurrences(self, after: datetime, span: StageSpan | None) -> Iterator[datetime]:
        moment = self.local_datetime(span)
        if moment is not None and moment > after:
            yield moment


# --- Recurring rules (RFC 5545 RRULE) -------------------------------------------------------

_FREQUENCIES = {"DAILY": DAILY, "WEEKLY": WEEKLY, "MONTHLY": MONTHLY, "YEARLY": YEARLY}
_WEEKDAYS: dict[str, weekday] = {
    "MO": MO,
    "TU": TU,
    "WE": WE,
    "TH": TH,
    "FR": FR,
    "SA": SA,
    "SU": SU,
}
_ALLOWED_PARTS = frozenset(
    ("FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "BYMONTHDAY", "BYMONTH", "BYSETPOS", "WKST")
)
_TIME_PARTS = ("BYHOUR", "BYMINUTE", "BYSECOND")
_BYDAY = re.compile(r"^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")
_UNTIL = re.compile(r"^\d{8}(T\d{6})?$")
# Day names an officer may type, in either language, to the RFC's two letters.
_DAY_NAMES = {
    "senin": "MO",
    "selasa": "TU",
    "rabu": "WE",
    "kamis": "TH",
    "jumat": "FR",
    "jum'at": "FR",
    "sabtu": "SA",
    "minggu": "SU",
    "ahad": "SU",
}


def weekday_code(name: str) -> str:
    """MO…SU from `mo`, `monday`, `senin`, `Kamis`…"""
    word = name.strip().lower()
    if word in _DAY_NAMES:
        return _DAY_NAMES[word]
    code = word[:2].upper()
    english = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    if code in _WEEKDAYS and (len(word) == 2 or any(day.startswith(word) for day in english)):
        return code
    raise CalendarError("bad_weekday", value=name.strip()[:20])


def build_rrule(
    frequency: str,
    *,
    weekdays: Sequence[str] = (),
    month_day: int | None = None,
    interval: int = 1,
    until: date | None = None,
) -> str:
    """The RRULE for the common cases: daily, weekly on chosen days, monthly on a day.

    Monthly on the 29th–31st means "that day, or the month's last day when it is shorter": an
    RFC 5545 rule on BYMONTHDAY=31 alone skips every shorter month, which nobody planning a
    monthly reminder expects. `month_day=-1` is the last day of every month.
    """
    frequency = frequency.strip().upper()
    if frequency not in ("DAILY", "WEEKLY", "MONTHLY"):
        raise CalendarError("bad_frequency", value=frequency[:20])
    if interval < 1 or interval > 366:
        raise CalendarError("bad_interval", value=interval)
    parts = [f"FREQ={frequency}"]
    if interval > 1:
        parts.append(f"INTERVAL={interval}")
    if frequency == "WEEKLY" and weekdays:
        codes = list(dict.fromkeys(weekday_code(day) for day in weekdays))
        parts.append("BYDAY=" + ",".join(codes))
    if frequency == "MONTHLY" and month_day is not None:
        parts.append(_month_day_part(month_day))
    if until is not None:
        parts.append(f"UNTIL={until:%Y%m%d}T235959")
    return ";".join(parts)


def _month_day_part(month_day: int) -> str:
    if month_day == -1:
        return "BYMONTHDAY=-1"
    if not 1 <= month_day <= 31:
        raise CalendarError("bad_month_day", value=month_day)
    if month_day <= 28:
        return f"BYMONTHDAY={month_day}"
    days = ",".join(str(day) for day in range(28, month_day + 1))
    return f"BYMONTHDAY={days};BYSETPOS=-1"


def _split(text: str) -> list[tuple[str, str]]:
    body = text.strip()
    if "\n" in body or "DTSTART" in body.upper():
        raise CalendarError("bad_rrule", rule=body[:200], reason="one RRULE only, no DTSTART")
    body = body.removeprefix("RRULE:").removeprefix("rrule:")
    parts: list[tuple[str, str]] = []
    for piece in filter(None, (p.strip() for p in body.split(";"))):
        name, equals, value = piece.partition("=")
        if not equals or not value:
            raise CalendarError("bad_rrule", rule=body[:200], reason=f"{piece!r} is not NAME=VALUE")
        parts.append((name.strip().upper(), value.strip().upper()))
    return parts


def check_rrule(text: str, starts_on: date, at: time) -> str:
    """The rule, checked and normalised, or `bad_rrule` saying what is wrong with it.

    UNTIL is a local day (YYYYMMDD, inclusive) or local date-time, never UTC: the rule is
    evaluated on each group's own wall clock.
    """
    parts = _split(text)
    names = [name for name, _ in parts]
    rule = text.strip()[:200]
    for name in names:
        if name in _TIME_PARTS:
            raise CalendarError("bad_rrule", rule=rule, reason="the time of day is set separately")
        if name not in _ALLOWED_PARTS:
            raise CalendarError("bad_rrule", rule=rule, reason=f"{name} is not supported")
    if len(set(names)) != len(names):
        raise CalendarError("bad_rrule", rule=rule, reason="a part is given twice")
    values = dict(parts)
    if values.get("FREQ") not in _FREQUENCIES:
        raise CalendarError(
            "bad_rrule", rule=rule, reason="FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY"
        )
    until = values.get("UNTIL")
    if until is not None:
        if not _UNTIL.match(until):
            raise CalendarError("bad_rrule", rule=rule, reason="UNTIL is a local YYYYMMDD")
        if len(until) == 8:
            values["UNTIL"] = until + "T235959"  # the whole last day counts
    normalised = ";".join(f"{name}={value}" for name, value in values.items())
    start = datetime.combine(starts_on, at)
    try:
        # dateutil's own parser is the judge of the grammar; ours must then agree with it.
        official = rrulestr(normalised, dtstart=start)
        compiled = _compile(normalised, start)
    except (ValueError, TypeError, KeyError) as error:
        raise CalendarError("bad_rrule", rule=rule, reason=str(error)[:120]) from error
    if compiled[:20] != official[:20]:
        raise CalendarError("bad_rrule", rule=rule, reason="not understood the same way")
    if official.after(start, inc=True) is None:
        raise CalendarError("never_occurs", rule=rule)
    return normalised


@lru_cache(maxsize=16384)
def _options(text: str) -> tuple[tuple[str, Any], ...]:
    """rrule() keyword arguments for a checked RRULE (parsed once per distinct rule text)."""
    options: dict[str, Any] = {}
    for name, value in _split(text):
        if name == "FREQ":
            options["freq"] = _FREQUENCIES[value]
        elif name in ("INTERVAL", "COUNT"):
            options[name.lower()] = int(value)
        elif name == "UNTIL":
            pattern = "%Y%m%dT%H%M%S" if "T" in value else "%Y%m%d"
            options["until"] = datetime.strptime(value, pattern)
        elif name == "BYDAY":
            options["byweekday"] = tuple(_weekday(item) for item in value.split(","))
        elif name == "WKST":
            options["wkst"] = _WEEKDAYS[value]
        else:  # BYMONTHDAY, BYMONTH, BYSETPOS
            options[name.lower()] = tuple(int(item) for item in value.split(","))
    return tuple(options.items())


def _weekday(item: str) -> weekday:
    found = _BYDAY.match(item)
    if found is None:
        raise ValueError(f"bad BYDAY value {item!r}")
    day = _WEEKDAYS[found[2]]
    return day(int(found[1])) if found[1] else day


def _compile(text: str, start: datetime) -> rrule:
    return rrule(dtstart=start, **dict(_options(text)))


@dataclass(frozen=True)
class _SimpleRule:
    """A daily or weekly rule with plain weekdays and no COUNT: its occurrences are plain date
    arithmetic, several times cheaper than dateutil's general iterator (an agenda of a month
    of ten thousand entries is mostly such rules). Same results: tests compare the two."""

    weekly: bool
    step: int  # days from one period to the next
    weekdays: frozenset[int] | None  # Monday is 0; None: every day, or DTSTART's weekday
    week_start: int
    until: datetime | None

    def after(self, start: datetime, after: datetime) -> Iterator[datetime]:
        """Occurrences strictly after `after`, for a rule starting at `start`."""
        if self.weekly:
            return self._weekly(start, after)
        return self._daily(start, after)

    def _first_period(self, first: date, after: datetime) -> date:
        """The period to start from: one before the one holding `after` (never before the
        first), so the skipped periods need no iterating."""
        if after.date() <= first:
            return first
        periods = (after.date() - first).days // self.step - 1
        return first + timedelta(days=max(periods, 0) * self.step)

    def _daily(self, start: datetime, after: datetime) -> Iterator[datetime]:
        moment = datetime.combine(self._first_period(start.date(), after), start.time())
        step, until, weekdays = timedelta(self.step), self.until, self.weekdays
        misses = 0
        while misses < 7:  # weekdays recur within 7 periods; none in 7 means none ever
            if until is not None and moment > until:
                return
            if weekdays is None or moment.weekday() in weekdays:
                misses = 0
                if moment > after:
                    yield moment
            else:
                misses += 1
            moment += step

    def _weekly(self, start: datetime, after: datetime) -> Iterator[datetime]:
        wanted = self.weekdays or frozenset({start.weekday()})
        offsets = [timedelta(days=(day - self.week_start) % 7) for day in wanted]
        offsets.sort()
        first_week = start.date() - timedelta(days=(start.weekday() - self.week_start) % 7)
        week = datetime.combine(self._first_period(first_week, after), start.time())
        step, until = timedelta(self.step), self.until
        while True:
            for offset in offsets:
                moment = week + offset
                if moment < start:
                    continue
                if until is not None and moment > until:
                    return
                if moment > after:
                    yield moment
            week += step


_SIMPLE_PARTS = frozenset({"freq", "interval", "until", "byweekday", "wkst"})


@lru_cache(maxsize=16384)
def _simple(text: str) -> _SimpleRule | None:
    options = dict(_options(text))
    frequency = options["freq"]
    if not set(options) <= _SIMPLE_PARTS or frequency not in (DAILY, WEEKLY):
        return None
    days: tuple[weekday, ...] | None = options.get("byweekday")
    if days is not None and any(day.n for day in days):
        return None  # "the 2nd Monday" is for monthly rules
    weekly = frequency == WEEKLY
    return _SimpleRule(
        weekly=weekly,
        step=options.get("interval", 1) * (7 if weekly else 1),
        weekdays=frozenset(day.weekday for day in days) if days is not None else None,
        week_start=options["wkst"].weekday if "wkst" in options else 0,
        until=options.get("until"),
    )


@dataclass(frozen=True)
class Recurring:
    rule: str  # a checked RRULE (see `check_rrule`)
    starts_on: date
    at: time

    @property
    def start(self) -> datetime:
        return datetime.combine(self.starts_on, self.at)

    def occurrences(self, after: datetime) -> Iterator[datetime]:
        """Every occurrence strictly after `after`, in order (endless without UNTIL/COUNT)."""
        simple = _simple(self.rule)
        if simple is not None:
            return simple.after(self.start, after)
        compiled = _compile(self.rule, self._fast_forward(after))
        return iter(compiled.xafter(after, inc=False))

    def _fast_forward(self, after: datetime) -> datetime:
        """A later DTSTART with the same occurrences from `after` on.

        Iterating from a DTSTART months back costs a step per period; a daily or weekly rule
        without COUNT has the same occurrences from any whole number of periods later (same
        time of day, same weekday), so it may start just before `after`.
        """
        options = dict(_options(self.rule))
        frequency = options["freq"]
        if "count" in options or frequency not in (DAILY, WEEKLY) or after <= self.start:
            return self.start
        period = options.get("interval", 1) * (7 if frequency == WEEKLY else 1)
        periods = (after - self.start).days // period - 1
        return self.start + timedelta(days=max(periods, 0) * period)


Rule = Once | Recurring | Anchored


def occurrences(rule: Rule, after: datetime, span: StageSpan | None = None) -> Iterator[datetime]:
    """The nominal local datetime of each occurrence strictly after `after`, in order."""
    if isinstance(rule, Anchored):
        return rule.occurrences(after, span)
    return rule.occurrences(after)


def key_of(rule: Rule, nominal: datetime) -> str:
    """An occurrence's identity within its (entry, group): one-off and anchored entries have
    one occurrence (an anchored one keeps its key when new official dates move it)."""
    if isinstance(rule, Once):
        return ONCE_KEY
    if isinstance(rule, Anchored):
        return ANCHOR_KEY
    return occurrence_key(nominal)


def between(
    rule: Rule, start: datetime, end: datetime, span: StageSpan | None = None
) -> list[tuple[str, datetime]]:
    """(key, nominal local datetime) of the occurrences with start <= local time < end."""
    found = []
    for moment in occurrences(rule, start - timedelta(microseconds=1), span):
        if moment >= end:
            break
        found.append((key_of(rule, moment), moment))
    return found


# --- "H-7 pemungutan suara pemilu2029, 09:00" -----------------------------------------------

_H_FORM = re.compile(r"^H(?:\s*([+-])\s*(\d{1,3}))?\s+(.+)$", re.IGNORECASE)
_FIRST_WORDS = ("first day of ", "hari pertama ", "awal ")
_LAST_WORDS = ("last day of ", "hari terakhir ", "akhir ")


@dataclass(frozen=True)
class AnchorPhrase:
    day: str
    offset_days: int
    stage: str  # the stage as written, e.g. "pemungutan suara" or "masa-tenang"
    election: str | None  # when the phrase names it
    at: time | None  # when the phrase gives it


def parse_anchor(text: str, election_codes: Collection[str] = ()) -> AnchorPhrase:
    """ "H-7 pemungutan suara pemilu2029, 09:00", "first day of masa tenang", "H+1 penetapan
    hasil": H-n counts back from a stage's first day, H+n on from its last day."""
    phrase = " ".join(text.split())
    at: time | None = None
    head, comma, tail = phrase.rpartition(",")
    if comma and _TIME.match(tail.strip()):
        phrase, at = head.strip(), parse_time(tail)
    day, offset, stage = _anchor_parts(phrase, text)
    words = stage.split()
    known = {code.lower(): code for code in election_codes}
    election = None
    if len(words) > 1 and words[-1].lower() in known:
        election, words = known[words[-1].lower()], words[:-1]
    return AnchorPhrase(day, offset, " ".join(words), election, at)


def _anchor_parts(phrase: str, original: str) -> tuple[str, int, str]:
    lowered = phrase.lower()
    for words, day in ((_FIRST_WORDS, FIRST_DAY), (_LAST_WORDS, LAST_DAY)):
        for prefix in words:
            if lowered.startswith(prefix) and len(phrase) > len(prefix):
                return day, 0, phrase[len(prefix) :].strip()
    found = _H_FORM.match(phrase)
    if found is None:
        raise CalendarError("bad_anchor", value=original.strip()[:100])
    sign, number, stage = found[1], found[2], found[3].strip()
    offset = int(number) if number else 0
    if sign == "-":
        return FIRST_DAY, -offset, stage
    return (LAST_DAY, offset, stage) if offset else (FIRST_DAY, 0, stage)


def stage_slug(words: str) -> str:
    """How stage ids are written in the election calendars: lower case, hyphens."""
    return "-".join(words.lower().replace("_", " ").replace("-", " ").split())
