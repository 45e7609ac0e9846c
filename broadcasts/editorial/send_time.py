"""A send time as coordinators write it in chat, read on their group's wall clock.

Understood, in Indonesian or English words, in any case, commas ignored:
- a date: `2026-12-03`; day first, `3/12/2026`, `3-12-2026`, `3.12.2026`, `3/12/26`, or `3/12`
  (this year, or next year once that day has passed); `3 Desember 2026`, `3 Des`;
- or a day: `hari ini`/`today`, `besok`/`tomorrow`, `lusa`; a weekday, `Senin` (the first Monday
  whose time is still to come) or `Senin depan`/`next Monday` (the first Monday after today);
  a weekday before a date (`Senin, 7 Desember 2026`, as the bot writes it) must agree with it;
- and a time: `08.00`, `8:00`, or an hour after `pukul`/`jam`/`at` (`jam 8`), with the group's
  zone name after it if wanted (`08.00 WIB`). A time alone is today.

What cannot be read raises `CalendarError` with a key: `bad_when`, `bad_date` (31/2),
`bad_time` (25.00), `missing_time` (`besok` alone), `wrong_weekday`, `other_zone`. Whether the
time has passed is the caller's to decide. No database here.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from babel.dates import get_day_names, get_month_names
from dateutil.relativedelta import relativedelta

from broadcasts.errors import CalendarError
from broadcasts.phrasebook import zone_name

_TIME = re.compile(r"(\d{1,2})[.:](\d{2})")
_HOUR = re.compile(r"\d{1,2}")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DAY_FIRST = re.compile(
    r"(\d{1,2})[/-](\d{1,2})(?:[/-](\d{4}|\d{2}))?|(\d{1,2})\.(\d{1,2})\.(\d{4})"
)
_NAMED_MONTH = re.compile(r"(\d{1,2}) ([a-z]+)\.?(?: (\d{4}))?")
# A zone name written onto the time, "08.00WIB".
_GLUED_ZONE = re.compile(r"(\d)(wib|wita|wit)\b")

_ZONES = frozenset({"wib", "wita", "wit"})
# Words that only introduce the time or the day: "pukul 08.00", "tanggal 3/12", "hari Senin".
_HOUR_WORDS = frozenset({"pukul", "pkl", "pk", "jam", "at"})
_FILLERS = frozenset({*_HOUR_WORDS, "tanggal", "tgl", "on"})
_RELATIVE = {
    "hari ini": 0,
    "today": 0,
    "besok": 1,
    "tomorrow": 1,
    "lusa": 2,
    "besok lusa": 2,
}
_NEXT = frozenset({"depan", "next"})
_MAX_ECHO = 60  # what the reader wrote is echoed back, cut to this length


def _names(kind: str, extra: dict[str, int]) -> dict[str, int]:
    read = get_day_names if kind == "day" else get_month_names
    found = dict(extra)
    for language in ("id", "en"):
        for width in ("wide", "abbreviated"):
            for number, name in read(width, locale=language).items():
                found.setdefault(str(name).lower(), int(number))
    return found


# Monday is 0, as in `date.weekday()`; months from 1.
_WEEKDAYS = _names("day", {"jum'at": 4, "ahad": 6})
_MONTHS = _names("month", {"agt": 8, "ags": 8, "sept": 9})


def read(text: str, now: datetime) -> datetime:
    """The time `text` names, aware, on the clock of `now`'s zone (`now` is aware, local)."""
    written = " ".join(text.split())[:_MAX_ECHO]
    words = _GLUED_ZONE.sub(r"\1 \2", text.lower().replace(",", " ")).split()
    words = _without_zone(words, now)
    moment, words = _time_of_day(words)
    words = _without_fillers(words)
    if not words:
        if moment is None:
            raise CalendarError("bad_when", value=written)
        words = ["hari", "ini"]
    found = _day(words, now.date())
    if found is None:
        if moment is None and len(words) > 1 and _day(words[:-1], now.date()) is not None:
            raise CalendarError("bad_time", value=words[-1])
        raise CalendarError("bad_when", value=written)
    day, weekly = found
    if moment is None:
        raise CalendarError("missing_time", value=written)
    local = datetime.combine(day, moment, tzinfo=now.tzinfo)
    if weekly and local <= now:
        local += timedelta(days=7)  # "Senin 09.00" on a Monday afternoon: next week's
    return local


def _without_zone(words: list[str], now: datetime) -> list[str]:
    """The words less the zone name, which must be the group's own."""
    ours = zone_name(now).lower()
    for word in words:
        if word in _ZONES and word != ours:
            raise CalendarError("other_zone", value=word.upper(), zone=ours.upper())
    return [word for word in words if word not in _ZONES]


def _time_of_day(words: list[str]) -> tuple[time | None, list[str]]:
    """The time of day among the words, and the words left."""
    found: list[tuple[int, time]] = []
    for index, word in enumerate(words):
        clock = _TIME.fullmatch(word)
        after_hour_word = index > 0 and words[index - 1] in _HOUR_WORDS
        if clock is not None:
            found.append((index, _clock(word, int(clock[1]), int(clock[2]))))
        elif after_hour_word and _HOUR.fullmatch(word):
            found.append((index, _clock(word, int(word), 0)))
    if not found:
        return None, words
    if len(found) > 1:
        raise CalendarError("bad_when", value=" ".join(words)[:_MAX_ECHO])
    index, moment = found[0]
    return moment, words[:index] + words[index + 1 :]


def _clock(word: str, hour: int, minute: int) -> time:
    if hour > 23 or minute > 59:
        raise CalendarError("bad_time", value=word)
    return time(hour, minute)


def _without_fillers(words: list[str]) -> list[str]:
    kept = []
    for index, word in enumerate(words):
        following = words[index + 1] if index + 1 < len(words) else ""
        if word in _FILLERS or (word == "hari" and following != "ini"):
            continue
        kept.append(word)
    return kept


def _day(words: list[str], today: date) -> tuple[date, bool] | None:
    """The day the words name, and whether it is a bare weekday (a week later once its time has
    passed); None when they name no day at all."""
    phrase = " ".join(words)
    if phrase in _RELATIVE:
        return today + timedelta(days=_RELATIVE[phrase]), False
    if len(words) == 2 and words[0] in _NEXT and words[1] in _WEEKDAYS:
        words = [words[1], words[0]]  # "next monday" is "senin depan"
    named = _WEEKDAYS.get(words[0])
    rest = words[1:] if named is not None else words
    if named is not None and not rest:
        return today + relativedelta(weekday=named), True
    if named is not None and len(rest) == 1 and rest[0] in _NEXT:
        return today + relativedelta(days=1, weekday=named), False
    day = _calendar_date(" ".join(rest), today)
    if day is None:
        return None
    if named is not None and day.weekday() != named:
        raise CalendarError("wrong_weekday", weekday=named, day=day)
    return day, False


def _calendar_date(phrase: str, today: date) -> date | None:
    """A date written with its day, month and perhaps year; None when `phrase` is not one."""
    iso = _ISO.fullmatch(phrase)
    if iso is not None:
        return _date(phrase, int(iso[1]), int(iso[2]), int(iso[3]))
    day_first = _DAY_FIRST.fullmatch(phrase)
    if day_first is not None:
        if day_first[4] is not None:  # 3.12.2026
            return _date(phrase, int(day_first[6]), int(day_first[5]), int(day_first[4]))
        year = day_first[3]
        return _dated(phrase, today, int(day_first[1]), int(day_first[2]), year)
    named = _NAMED_MONTH.fullmatch(phrase)
    if named is not None and named[2] in _MONTHS:
        return _dated(phrase, today, int(named[1]), _MONTHS[named[2]], named[3])
    return None


def _dated(phrase: str, today: date, day: int, month: int, year: str | None) -> date:
    if year is not None:
        return _date(phrase, 2000 + int(year) if len(year) == 2 else int(year), month, day)
    found = _date(phrase, today.year, month, day)
    return found if found >= today else _date(phrase, today.year + 1, month, day)


def _date(phrase: str, year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError as error:
        raise CalendarError("bad_date", value=phrase) from error
