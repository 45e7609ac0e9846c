"""Election calendars as data: an election's stages, when they happen, and how far away they are.

Pure domain. A calendar document (YAML from `config/elections/`, or the JSON kept in the
database) is parsed and validated here into frozen `Election`/`Stage` values; the queries below
answer date questions against a day passed in, so the reader's time zone is the caller's choice.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from broadcasts.elections.fields import Fields, read_yaml

VOTING = "voting"  # the kind of stage that is the election's voting day

# Codes are typed in chat ("JADWAL pemilu2024"), so only lowercase letters and digits.
_CODE = re.compile(r"^[a-z0-9]{3,32}$")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class ElectionDataError(ValueError):
    """A calendar document the bot cannot use; the message names the file, the place and why."""


class Status(enum.StrEnum):
    SET = "set"  # KPU has decreed the stages and dates
    NOT_YET_SET = "not-yet-set"  # at most provisional dates, each marked as such


@dataclass(frozen=True)
class Localized:
    """The same text in Indonesian and in English."""

    id: str
    en: str

    def in_language(self, language: str) -> str:
        return self.en if language == "en" else self.id


@dataclass(frozen=True)
class Phrases:
    """Extra words members use for one stage, by language."""

    id: tuple[str, ...] = ()
    en: tuple[str, ...] = ()


@dataclass(frozen=True)
class Stage:
    id: str
    name: Localized
    source: str
    kinds: tuple[str, ...] = ()
    start: date | None = None
    end: date | None = None
    provisional: bool = False  # dates (or the month) are expected, not decreed
    expected_month: date | None = None  # only the month is expected: its first day
    key: bool = False  # one of the key dates JADWAL shows
    words: Phrases = field(default_factory=Phrases)
    # The offices the stage is about ("presiden", "dpr", "kepala-daerah"): "pelantikan presiden"
    # picks the president's inauguration, not the DPR's oath of the same election.
    offices: tuple[str, ...] = ()
    note: Localized | None = None  # a line shown under the stage ("undisputed races only")
    held: bool = True  # False: a fallback date that was not needed (a second round)
    # Each region has its own date within the one given (re-votes, inaugurations after disputes):
    # a question about one region is not answered with the whole range.
    regional: bool = False

    @property
    def official(self) -> bool:
        """Decreed dates, safe to count down to."""
        return self.start is not None and not self.provisional

    @property
    def one_day(self) -> bool:
        return self.start is not None and self.start == self.end

    def is_a(self, kind: str) -> bool:
        return kind in self.kinds


@dataclass(frozen=True)
class Election:
    code: str
    name: Localized
    year: int
    status: Status
    source: str
    stages: tuple[Stage, ...]
    family: str | None = None
    note: Localized | None = None
    references: tuple[str, ...] = ()
    # The offices it fills ("presiden", "dprd"): after MK 135/PUU-XXII/2024 the DPRD is no
    # longer elected with the President, so "pemilihan DPRD berikutnya" is the local election's.
    offices: tuple[str, ...] = ()

    @property
    def decided(self) -> bool:
        return self.status is Status.SET

    @property
    def voting_stage(self) -> Stage | None:
        return next((s for s in self.stages if s.is_a(VOTING)), None)

    @property
    def voting_day(self) -> date | None:
        """The official voting day; None while it is not decreed."""
        stage = self.voting_stage
        return stage.start if stage is not None and stage.official else None

    @property
    def key_stages(self) -> tuple[Stage, ...]:
        return tuple(s for s in self.stages if s.key) or self.stages

    def stages_of_kind(self, kinds: Iterable[str]) -> tuple[Stage, ...]:
        wanted = set(kinds)
        return tuple(s for s in self.stages if wanted.intersection(s.kinds))


# --- Queries -------------------------------------------------------------------------------


class Timing(enum.StrEnum):
    UPCOMING = "upcoming"
    TODAY = "today"  # a one-day stage that is today
    IN_PROGRESS = "in-progress"
    PAST = "past"
    PROVISIONAL = "provisional"  # expected dates or month, not decreed: no countdown
    NOT_SET = "not-set"  # no date at all yet


@dataclass(frozen=True)
class StageTiming:
    """Where a stage stands on a given day, for a reply to show."""

    stage: Stage
    timing: Timing
    days: int | None = None  # until the start (upcoming) or until the end (in progress)


def stage_timing(stage: Stage, today: date) -> StageTiming:
    if stage.start is None or stage.end is None or stage.provisional:
        provisional = stage.provisional and (stage.start or stage.expected_month) is not None
        return StageTiming(stage, Timing.PROVISIONAL if provisional else Timing.NOT_SET)
    if today < stage.start:
        return StageTiming(stage, Timing.UPCOMING, (stage.start - today).days)
    if today > stage.end:
        return StageTiming(stage, Timing.PAST)
    if stage.one_day:
        return StageTiming(stage, Timing.TODAY, 0)
    return StageTiming(stage, Timing.IN_PROGRESS, (stage.end - today).days)


def timings(stages: Iterable[Stage], today: date) -> list[StageTiming]:
    return [stage_timing(stage, today) for stage in stages]


def days_until(day: date, today: date) -> int:
    """Negative once the day has passed."""
    return (day - today).days


def stages_in_progress(election: Election, today: date) -> tuple[Stage, ...]:
    return tuple(
        s
        for s in election.stages
        if s.official and s.start is not None and s.end is not None and s.start <= today <= s.end
    )


def next_stages(election: Election, today: date) -> tuple[Stage, ...]:
    """The stage(s) starting next after today (several when they start the same day)."""
    upcoming = [s for s in election.stages if s.official and s.start and s.start > today]
    if not upcoming:
        return ()
    first = min(s.start for s in upcoming if s.start)
    return tuple(s for s in upcoming if s.start == first)


def next_election(elections: Sequence[Election], today: date) -> Election | None:
    """The nearest election voting today or later; if none has a decreed date, the first one
    still waiting for its dates; None when every election in the calendar is over."""
    upcoming = [e for e in elections if e.voting_day is not None and e.voting_day >= today]
    if upcoming:
        return min(upcoming, key=_voting_day)
    undecided = [e for e in elections if not e.decided]
    return min(undecided, key=lambda e: (e.year, e.code)) if undecided else None


def latest_election(elections: Sequence[Election]) -> Election | None:
    """The one that voted last (for questions about an election family that is over)."""
    return max(elections, key=lambda e: (e.voting_day or date(e.year, 1, 1), e.code), default=None)


def current_election(elections: Sequence[Election], today: date) -> Election | None:
    """The election under way today: one with a stage in progress, favouring the one voting
    next; else one with stages still to come; else the next election."""
    running = [
        e for e in elections if any(s.official and s.end and s.end >= today for s in e.stages)
    ]
    busy = [e for e in running if stages_in_progress(e, today)]
    for group in (busy, running):
        ahead = [e for e in group if e.voting_day is not None and e.voting_day >= today]
        if ahead:
            return min(ahead, key=_voting_day)
        if group:
            return min(group, key=lambda e: _next_start(e, today))
    return next_election(elections, today)


def find_election(elections: Iterable[Election], code: str) -> Election | None:
    """By code, forgiving case, spaces and hyphens ("Pemilu 2024" finds pemilu2024)."""
    wanted = re.sub(r"[\s_-]+", "", code.lower())
    return next((e for e in elections if e.code == wanted), None)


def sources_of(election: Election, stages: Iterable[Stage]) -> list[str]:
    """The distinct sources to cite for these stages, in order; the election's when none."""
    found: list[str] = []
    for stage in stages:
        if stage.source not in found:
            found.append(stage.source)
    return found or [election.source]


def _voting_day(election: Election) -> date:
    return election.voting_day or date.max


def _next_start(election: Election, today: date) -> date:
    """When its next stage starts; today for an election with a stage in progress."""
    if stages_in_progress(election, today):
        return today
    upcoming = next_stages(election, today)
    return upcoming[0].start if upcoming and upcoming[0].start else date.max


# --- Parsing and validation ----------------------------------------------------------------


def parse_yaml(text: str, origin: str = "calendar") -> Election:
    """An election from the text of a YAML calendar file; `origin` names it in errors."""
    document = read_yaml(text, origin, ElectionDataError)
    return parse_election(document, origin)


def parse_election(document: object, origin: str = "calendar") -> Election:
    """Validates a calendar document (parsed YAML or stored JSON) into an `Election`."""
    fields = _Fields(document, origin, _ELECTION_FIELDS)
    code = fields.text("code")
    if not _CODE.match(code):
        raise fields.error(f"code {code!r} must be 3 to 32 lowercase letters and digits")
    where = f"{origin} ({code})" if code not in origin else origin
    fields = _Fields(document, where, _ELECTION_FIELDS)
    election = Election(
        code=code,
        name=fields.localized("name"),
        year=fields.year("year"),
        status=fields.status("status"),
        source=fields.text("source"),
        stages=_stages(fields, where),
        family=fields.slug("family"),
        note=fields.localized("note") if "note" in fields else None,
        references=fields.texts("references"),
        offices=fields.kinds("offices", example="presiden"),
    )
    _check_consistency(election, where)
    return election


def election_document(election: Election) -> dict[str, Any]:
    """The canonical JSON-safe document of an election (what the database keeps)."""
    document: dict[str, Any] = {
        "code": election.code,
        "family": election.family,
        "year": election.year,
        "status": election.status.value,
        "name": {"id": election.name.id, "en": election.name.en},
        "source": election.source,
        "references": list(election.references),
        "stages": [_stage_document(s) for s in election.stages],
        "offices": list(election.offices) or None,
    }
    if election.note is not None:
        document["note"] = {"id": election.note.id, "en": election.note.en}
    return {key: value for key, value in document.items() if value is not None}


def _stage_document(stage: Stage) -> dict[str, Any]:
    document: dict[str, Any] = {
        "id": stage.id,
        "kind": list(stage.kinds),
        "name": {"id": stage.name.id, "en": stage.name.en},
        "source": stage.source,
        "key": stage.key,
        "provisional": stage.provisional,
    }
    if stage.start is not None and stage.end is not None:
        document["start"] = stage.start.isoformat()
        document["end"] = stage.end.isoformat()
    if stage.expected_month is not None:
        document["expected"] = stage.expected_month.strftime("%Y-%m")
    if stage.words.id or stage.words.en:
        document["words"] = {"id": list(stage.words.id), "en": list(stage.words.en)}
    if stage.offices:
        document["offices"] = list(stage.offices)
    if stage.note is not None:
        document["note"] = {"id": stage.note.id, "en": stage.note.en}
    if not stage.held:
        document["held"] = False
    if stage.regional:
        document["regional"] = True
    return document


_ELECTION_FIELDS = frozenset(
    {
        "code",
        "family",
        "year",
        "status",
        "name",
        "note",
        "source",
        "references",
        "stages",
        "offices",
    }
)
_STAGE_FIELDS = frozenset(
    {
        "id",
        "kind",
        "name",
        "start",
        "end",
        "provisional",
        "expected",
        "source",
        "key",
        "words",
        "offices",
        "note",
        "held",
        "regional",
    }
)


def _stages(fields: _Fields, where: str) -> tuple[Stage, ...]:
    raw = fields.get("stages")
    if not isinstance(raw, list) or not raw:
        raise fields.error("stages must be a non-empty list")
    stages = tuple(_stage(item, f"{where}: stage {n}") for n, item in enumerate(raw, 1))
    seen: set[str] = set()
    for stage in stages:
        if stage.id in seen:
            raise ElectionDataError(f"{where}: stage id {stage.id!r} is used twice")
        seen.add(stage.id)
    return stages


def _stage(item: object, where: str) -> Stage:
    fields = _Fields(item, where, _STAGE_FIELDS)
    stage_id = fields.slug("id")
    if stage_id is None:
        raise fields.error("id is missing")
    fields = _Fields(item, f"{where} ({stage_id})", _STAGE_FIELDS)
    start, end = fields.day("start"), fields.day("end")
    if (start is None) != (end is None):
        raise fields.error("give both start and end (a one-day stage has end = start)")
    if start is not None and end is not None and end < start:
        raise fields.error(f"end {end} is before start {start}")
    provisional = fields.flag("provisional")
    expected = fields.month("expected")
    if expected is not None and (not provisional or start is not None):
        raise fields.error("expected (a month) is only for provisional stages without dates")
    if provisional and start is None and expected is None:
        raise fields.error("a provisional stage needs start/end or an expected month")
    return Stage(
        id=stage_id,
        name=fields.localized("name"),
        source=fields.text("source"),
        kinds=fields.kinds("kind"),
        start=start,
        end=end,
        provisional=provisional,
        expected_month=expected,
        key=fields.flag("key"),
        words=fields.phrases("words"),
        offices=fields.kinds("offices", example="presiden"),
        note=fields.localized("note") if "note" in fields else None,
        held=fields.flag("held", default=True),
        regional=fields.flag("regional"),
    )


def _check_consistency(election: Election, where: str) -> None:
    voting = [s for s in election.stages if s.is_a(VOTING)]
    if len(voting) > 1:
        raise ElectionDataError(f"{where}: only one stage may be of kind voting")
    if election.decided:
        if not voting or not voting[0].official:
            raise ElectionDataError(
                f"{where}: status set needs a stage of kind voting with official start/end "
                "dates (or status: not-yet-set)"
            )
        return
    for stage in election.stages:
        if stage.start is not None and not stage.provisional:
            raise ElectionDataError(
                f"{where}: stage {stage.id} has dates but the status is not-yet-set: mark them "
                "provisional: true, or set status: set once KPU has decreed them"
            )


class _Fields(Fields):
    """A mapping being read: unknown keys are refused and every error says where it is."""

    error_type = ElectionDataError

    def texts(self, key: str) -> tuple[str, ...]:
        value = self.value.get(key)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.error(f"{key} must be a list of text")
        return tuple(" ".join(v.split()) for v in value)

    def slug(self, key: str) -> str | None:
        value = self.value.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not _SLUG.match(value):
            raise self.error(f"{key} {value!r} must be lowercase words joined by hyphens")
        return value

    def kinds(self, key: str, example: str = "voting") -> tuple[str, ...]:
        value = self.value.get(key)
        if value is None:
            return ()
        values = value if isinstance(value, list) else [value]
        if not all(isinstance(v, str) and _SLUG.match(v) for v in values):
            raise self.error(f"{key} must be a word like {example}, or a list of such words")
        return tuple(str(v) for v in values)

    def localized(self, key: str) -> Localized:
        value = self.value.get(key)
        if value is None:
            raise self.error(f"{key} is missing (give it in id and en)")
        inner = _Fields(value, f"{self.where}: {key}", frozenset({"id", "en"}))
        return Localized(id=inner.text("id"), en=inner.text("en"))

    def phrases(self, key: str) -> Phrases:
        if self.value.get(key) is None:
            return Phrases()
        inner = _Fields(self.value[key], f"{self.where}: {key}", frozenset({"id", "en"}))
        return Phrases(
            id=tuple(p.lower() for p in inner.texts("id")),
            en=tuple(p.lower() for p in inner.texts("en")),
        )

    def year(self, key: str) -> int:
        value = self.value.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not 1945 <= value <= 2200:
            raise self.error(f"{key} must be a year like 2029, found {value!r}")
        return value

    def status(self, key: str) -> Status:
        value = self.value.get(key)
        try:
            return Status(str(value))
        except ValueError:
            known = " or ".join(s.value for s in Status)
            raise self.error(f"{key} must be {known}, found {value!r}") from None

    def flag(self, key: str, default: bool = False) -> bool:
        value = self.value.get(key, default)
        if not isinstance(value, bool):
            raise self.error(f"{key} must be true or false, found {value!r}")
        return value

    def day(self, key: str) -> date | None:
        value = self.value.get(key)
        if value is None:
            return None
        if isinstance(value, datetime):
            raise self.error(f"{key} must be a day (YYYY-MM-DD), not a time: {value}")
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                pass
        raise self.error(f"{key} {value!r} is not a date (YYYY-MM-DD)")

    def month(self, key: str) -> date | None:
        value = self.value.get(key)
        if value is None:
            return None
        found = _MONTH.match(value) if isinstance(value, str) else None
        if found is None or not 1 <= int(found.group(2)) <= 12:
            raise self.error(f"{key} {value!r} must be a month written YYYY-MM")
        return date(int(found.group(1)), int(found.group(2)), 1)
