"""What the calendar page shows for a month or a week: each day's sends on their group's clock,
the election stages, the hold periods (blackouts) that cover it, and which days are past.

Everything here is read from the domain (`agenda.coming` places the sends exactly as the worker
will); this module only lays it out by day and puts it into words. Only the shown range is
computed, with a handful of queries whatever the number of entries.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time, get_day_names
from sqlalchemy.orm import Session

from bot.web.dashboard.site import language, local_time, state_words, t
from broadcasts.db.models import Blackout
from broadcasts.editorial_calendar import agenda, agenda_cache, blackouts
from broadcasts.editorial_calendar.agenda import AgendaItem
from broadcasts.editorial_calendar.context import CalendarContext, GroupInfo
from broadcasts.editorial_calendar.guards import QUIET, QuietHours
from broadcasts.phrasebook import zone_name

MONTH, WEEK = "month", "week"
VIEWS = (MONTH, WEEK)
# Sends listed in one day's box; the rest are counted ("12 lagi") and the week view lists more.
SHOWN_PER_DAY = {MONTH: 4, WEEK: 40}
SHOWN_WAITING = 50
# An agenda status as a key of states.toml ("agenda_<key>").
_STATUS_KEYS = {
    agenda.SCHEDULED: "scheduled",
    agenda.MOVED: "moved",
    agenda.SKIPPED: "skipped",
    agenda.WAITING: "waiting",
    agenda.PAUSED: "paused",
    agenda.PENDING: "pending",
    agenda.APPROVED: "approved",
}
# A stage longer than this is drawn as a band, named on its first day and each week's Monday.
_LONG_STAGE_DAYS = 7
# A stage longer than this (planning, a campaign period of months) is only listed above the days.
_LONGEST_IN_DAYS = 31


@dataclass
class Shown:
    """One send as the page shows it."""

    clock: str  # "09.00 WITA"
    when: str  # "10 Feb pukul 09.00 WITA"
    group: GroupInfo
    title: str
    status: str  # in words
    status_key: str
    approval: str  # in words: approved ahead, or waits for an editor
    approved: bool
    reasons: list[str]
    entry_id: int | None
    broadcast_id: int | None
    campaign: str | None


@dataclass
class StageMark:
    label: str  # "Masa tenang · Pemilu 2024"
    named: bool  # False: a band continuing from an earlier day
    provisional: bool


@dataclass
class Day:
    day: date
    heading: str  # "Senin, 5 Februari"
    number: int
    in_range: bool  # in the month shown (a month grid shows a few days of its neighbours)
    today: bool
    past: bool
    sends: list[Shown] = field(default_factory=list)
    more: int = 0
    stages: list[StageMark] = field(default_factory=list)
    holds: list[str] = field(default_factory=list)  # names of hold periods covering the day


@dataclass
class HoldShown:
    blackout_id: int
    name: str
    tags: list[str]
    period: str
    scope: str
    first: date | None
    last: date | None


@dataclass
class CalendarPage:
    view: str
    chosen: date
    title: str
    weeks: list[list[Day]]
    weekdays: list[str]
    previous: date
    following: date
    waiting: list[Shown]
    holds: list[HoldShown]
    stages: list[str]  # the stages overlapping the range, with their days, in words
    quiet: str  # the quiet hours note
    sends: int  # how many sends fall in the range


# --- The range -------------------------------------------------------------------------------


def shown_days(view: str, chosen: date) -> tuple[date, date, date, date]:
    """(first day drawn, last day drawn, previous page's date, next page's date)."""
    if view == WEEK:
        monday = chosen - timedelta(days=chosen.weekday())
        return monday, monday + timedelta(days=6), chosen - timedelta(days=7), chosen + timedelta(7)
    first_of_month = chosen.replace(day=1)
    following = (first_of_month + timedelta(days=32)).replace(day=1)
    previous = (first_of_month - timedelta(days=1)).replace(day=1)
    start = first_of_month - timedelta(days=first_of_month.weekday())
    last_of_month = following - timedelta(days=1)
    end = last_of_month + timedelta(days=6 - last_of_month.weekday())
    return start, end, previous, following


def build(
    session: Session,
    context: CalendarContext,
    *,
    view: str,
    chosen: date,
    group: GroupInfo | None,
    zone: ZoneInfo,
    now: datetime,
) -> CalendarPage:
    first, last, previous, following = shown_days(view, chosen)
    today = now.astimezone(zone).date()
    lang = language()
    days = {
        first + timedelta(days=n): Day(
            day=first + timedelta(days=n),
            heading=str(format_date(first + timedelta(days=n), "EEEE, d MMMM", locale=lang)),
            number=(first + timedelta(days=n)).day,
            in_range=view == WEEK or (first + timedelta(days=n)).month == chosen.month,
            today=first + timedelta(days=n) == today,
            past=first + timedelta(days=n) < today,
        )
        for n in range((last - first).days + 1)
    }
    timed, waiting = _sends(session, context, first, last, group, now)
    count = 0
    for item in timed:
        local = item.local
        if local is None or local.date() not in days:
            continue
        day = days[local.date()]
        count += 1
        if len(day.sends) < SHOWN_PER_DAY[view]:
            day.sends.append(shown(item, context))
        else:
            day.more += 1
    _mark_stages(days, context, first, last)
    holds = _holds(session, context, group)
    for hold in holds:
        if hold.first is None or hold.last is None:
            continue
        for day in days.values():
            if hold.first <= day.day <= hold.last:
                day.holds.append(hold.name)
    ordered = [days[first + timedelta(days=n)] for n in range(len(days))]
    weekday_names = get_day_names("abbreviated" if view == MONTH else "wide", locale=lang)
    return CalendarPage(
        view=view,
        chosen=chosen,
        title=_title(view, chosen, first, last),
        weeks=[ordered[n : n + 7] for n in range(0, len(ordered), 7)],
        weekdays=[str(weekday_names[n]) for n in range(7)],
        previous=previous,
        following=following,
        waiting=[shown(item, context) for item in waiting[:SHOWN_WAITING]],
        holds=[h for h in holds if _overlaps(h.first, h.last, first, last) or h.first is None],
        stages=_stage_lines(context, first, last),
        quiet=quiet_note(context, group),
        sends=count,
    )


def _sends(
    session: Session,
    context: CalendarContext,
    first: date,
    last: date,
    group: GroupInfo | None,
    now: datetime,
) -> tuple[list[AgendaItem], list[AgendaItem]]:
    """The sends landing from `first` to `last` (a day's margin for the zones), from now on,
    and the entries waiting for a stage's date."""
    start = datetime.combine(first - timedelta(days=1), time(0), tzinfo=UTC)
    end = datetime.combine(last + timedelta(days=2), time(0), tzinfo=UTC)
    begin = max(start, now)
    days = max(1, math.ceil((end - begin).total_seconds() / 86400)) if end > begin else 0
    if days == 0:
        return [], []
    group_ids = [group.id] if group is not None else None
    items = agenda.coming(
        session,
        begin,
        days=days,
        group_ids=group_ids,
        context=context,
        entries=agenda_cache.entry_sends,
    )
    timed = [item for item in items if item.when is not None and item.when < end]
    waiting = [item for item in items if item.when is None]
    return timed, waiting


def shown(item: AgendaItem, context: CalendarContext) -> Shown:
    zone = item.group.zone
    moment = item.local
    status_key = _STATUS_KEYS.get(item.status, "scheduled")
    # A broadcast scheduled by hand is approved or not; an entry's send, approved ahead or not.
    by_hand = item.broadcast_id is not None
    approved = item.status == agenda.APPROVED if by_hand else item.approved
    return Shown(
        clock=clock_of(moment) if moment is not None else t("calendar.no_time_yet"),
        when=local_time(item.when, zone.key, short=True) if item.when else t("common.none"),
        group=item.group,
        title=item.title,
        status=state_words("agenda", status_key),
        status_key=status_key,
        approval=t("calendar.approved_ahead" if approved else "calendar.needs_approval"),
        approved=approved,
        reasons=reasons_of(item, context),
        entry_id=item.entry_id,
        broadcast_id=item.broadcast_id,
        campaign=item.campaign,
    )


def clock_of(moment: datetime) -> str:
    """A time of day on its zone's clock: "09.00 WITA" ("09:00 WITA" in English)."""
    pattern = "HH:mm" if language() == "en" else "HH.mm"
    return f"{format_time(moment, pattern, locale=language())} {zone_name(moment)}"


def time_of_day(moment: time) -> str:
    pattern = "HH:mm" if language() == "en" else "HH.mm"
    return str(format_time(moment, pattern, locale=language()))


def reasons_of(item: AgendaItem, context: CalendarContext) -> list[str]:
    """Why a send was moved, held or waits, in the dashboard's words and the group's time."""
    zone = item.group.zone.key
    lines = []
    for reason in item.reasons:
        moved_from = local_time(reason.moved_from, zone, short=True)
        moved_to = local_time(reason.moved_to, zone, short=True)
        if reason.kind == QUIET:
            key = "calendar.reason_quiet"
        elif item.status == agenda.SKIPPED:
            key = "calendar.reason_held"
        else:
            key = "calendar.reason_hold_moved"
        lines.append(
            t(
                key,
                name=reason.name or "",
                quiet_hours=_quiet_text(reason.quiet_hours),
                moved_from=moved_from,
                moved_to=moved_to,
            )
        )
    if item.waiting is not None and item.anchor is not None:
        election_code, stage = item.anchor
        election = context.elections.get(election_code)
        lines.append(
            t(
                f"calendar.reason_{item.waiting}",
                stage=stage_name(context, election_code, stage),
                election=election.name.in_language(language()) if election else election_code,
            )
        )
    if item.status == agenda.PAUSED:
        lines.append(t("calendar.reason_paused"))
    return lines


def _quiet_text(text: str | None) -> str:
    """ "21:00–06:00" as the reader writes times."""
    if not text:
        return ""
    return text.replace(":", ".") if language() != "en" else text


def stage_name(context: CalendarContext, election: str, stage: str) -> str:
    from broadcasts.editorial_calendar.stages import stage_label

    return stage_label(context.elections, election, stage, language())


# --- Stages, hold periods, quiet hours --------------------------------------------------------


def _stage_days(start: date | None, end: date | None) -> tuple[date, date] | None:
    if start is None:
        return None
    return start, end or start


def _overlaps(a: date | None, b: date | None, first: date, last: date) -> bool:
    return a is not None and b is not None and a <= last and b >= first


def _mark_stages(days: dict[date, Day], context: CalendarContext, first: date, last: date) -> None:
    lang = language()
    for election in context.elections.values():
        for stage in election.stages:
            span = _stage_days(stage.start, stage.end)
            if span is None or not _overlaps(*span, first, last) or not stage.held:
                continue
            length = (span[1] - span[0]).days + 1
            if length > _LONGEST_IN_DAYS:
                continue  # a stage of months is named above the calendar, not on each day
            label = f"{stage.name.in_language(lang)} · {election.name.in_language(lang)}"
            long = length > _LONG_STAGE_DAYS
            for day in days.values():
                if span[0] <= day.day <= span[1]:
                    named = (
                        not long or day.day in (span[0], span[1], first) or day.day.weekday() == 0
                    )
                    day.stages.append(StageMark(label, named, stage.provisional))


def _stage_lines(context: CalendarContext, first: date, last: date) -> list[str]:
    lang = language()
    lines = []
    for election in context.elections.values():
        for stage in election.stages:
            span = _stage_days(stage.start, stage.end)
            if span is None or not _overlaps(*span, first, last) or not stage.held:
                continue
            lines.append(
                t(
                    "calendar.stage_line" if span[0] == span[1] else "calendar.stage_line_span",
                    stage=stage.name.in_language(lang),
                    election=election.name.in_language(lang),
                    first=day_text(span[0]),
                    last=day_text(span[1]),
                    provisional=t("calendar.provisional") if stage.provisional else "",
                ).strip()
            )
    return lines


def day_text(day: date) -> str:
    return str(format_date(day, "d MMMM y", locale=language()))


def _holds(session: Session, context: CalendarContext, group: GroupInfo | None) -> list[HoldShown]:
    lineage = context.lineage(group.id) if group is not None else None
    found = []
    for blackout in blackouts.all_blackouts(session):
        outside = lineage is not None and blackout.group_id not in (None, *lineage)
        if outside:
            continue
        found.append(hold_shown(blackout, context))
    return found


def hold_shown(blackout: Blackout, context: CalendarContext) -> HoldShown:
    days = blackouts.days_of(blackout, context.elections)
    if blackout.election_code and blackout.stage:
        election = context.elections.get(blackout.election_code)
        stage = stage_name(context, blackout.election_code, blackout.stage)
        name = election.name.in_language(language()) if election else blackout.election_code
        period = t("calendar.hold_stage", stage=stage, election=name)
        if days is None:
            period = t("calendar.hold_stage_undated", stage=stage, election=name)
        elif days is not None:
            period += ", " + t(
                "calendar.hold_days", first=day_text(days[0]), last=day_text(days[1])
            )
    elif days is not None:
        period = t("calendar.hold_days", first=day_text(days[0]), last=day_text(days[1]))
    else:
        period = t("common.none")
    if blackout.group_id is not None and blackout.group_id in context.groups:
        scope = t("calendar.hold_scope_group", code=context.group(blackout.group_id).code)
    else:
        scope = t("calendar.hold_scope_all")
    first, last = days if days is not None else (None, None)
    return HoldShown(blackout.id, blackout.name, list(blackout.tags), period, scope, first, last)


def quiet_note(context: CalendarContext, group: GroupInfo | None) -> str:
    if group is None:
        return t("calendar.quiet_all")
    hours = context.quiet_hours(group.id)
    return quiet_words(hours, group)


def quiet_words(hours: QuietHours | None, group: GroupInfo) -> str:
    if hours is None:
        return t("calendar.quiet_none", code=group.code)
    reference = datetime.now(UTC).astimezone(group.zone)
    return t(
        "calendar.quiet_group",
        code=group.code,
        start=time_of_day(hours.start),
        end=time_of_day(hours.end),
        zone=zone_name(reference),
    )


def _title(view: str, chosen: date, first: date, last: date) -> str:
    lang = language()
    if view == MONTH:
        return str(format_date(chosen, "LLLL y", locale=lang))
    return t(
        "calendar.week_title",
        first=str(format_date(first, "d MMM", locale=lang)),
        last=str(format_date(last, "d MMM y", locale=lang)),
    )


def group_named(context: CalendarContext, code: str) -> GroupInfo | None:
    wanted = code.strip().upper()
    return next((g for g in context.groups.values() if g.code == wanted), None)


def sorted_groups(context: CalendarContext) -> Sequence[GroupInfo]:
    return sorted(context.groups.values(), key=lambda g: g.code)


def codes(text: str) -> list[str]:
    """Group codes as typed: "KALTIM, PAPUA" or "kaltim papua"."""
    return [code for code in text.replace(",", " ").split() if code]


def dates_between(first: date, last: date) -> Iterable[date]:
    for n in range((last - first).days + 1):
        yield first + timedelta(days=n)
