"""Calendar entries without YAML: one-off, recurring and election-anchored, made from a form
through the same domain functions as `humasbot calendar add` (`entries.once`, `recurring`,
`anchored`, then `add_entry`); an entry's page; approving one ahead (never its author, nor the
account's linked phone's) and cancelling one, as `calendar approve` and `calendar cancel` do.

The CLI cannot change an entry once made (a campaign file reloads its own), so neither can the
dashboard: cancel it and add another.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, get_day_names
from flask import abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from bot.web.dashboard import calendar_view
from bot.web.dashboard.access import actor_key, current, requires
from bot.web.dashboard.site import blueprint, language, page, t
from bot.web.runtime import runtime
from broadcasts.db.models import AccountRole, CalendarEntry, Campaign, CampaignState, ContentKind
from broadcasts.editorial_calendar import agenda, approval, campaigns, entries
from broadcasts.editorial_calendar.context import CalendarContext
from broadcasts.editorial_calendar.rules import Anchored, Once, Rule
from broadcasts.editorial_calendar.timeline import rule_of
from broadcasts.elections.calendar import Election
from broadcasts.errors import CalendarError
from broadcasts.people import accounts
from broadcasts.phrasebook import explain
from config.settings import SUPPORTED_LANGUAGES

KINDS = ("once", "recurring", "anchored")
FREQUENCIES = ("daily", "weekly", "monthly")
RELATIONS = ("before", "first", "last", "after")  # to a stage: H-n, its first day, last, H+n
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_SHOWN_SENDS, _SHOWN_DAYS = 20, 90  # an entry's coming sends, as `calendar approve` echoes


# --- The form -------------------------------------------------------------------------------


@blueprint.get("/calendar/new")
@requires(AccountRole.EDITOR)
def calendar_new() -> ResponseReturnValue:
    """`?kind=once|recurring|anchored`, `?group=CODE`, `?campaign=NAME` fill the form in."""
    values = MultiDict(request.args)
    return _form(values, status=200)


def _form(values: MultiDict[str, str], *, status: int) -> ResponseReturnValue:
    kind = values.get("kind", "once")
    kind = kind if kind in KINDS else "once"
    app_runtime = runtime()
    with app_runtime.database.transaction() as db:
        context = CalendarContext.load(db)
        open_campaigns = db.scalars(
            select(Campaign)
            .where(Campaign.state != CampaignState.CANCELLED.value)
            .order_by(Campaign.name)
        ).all()
        zone = app_runtime.settings.bot_timezone
        today = app_runtime.clock.now().astimezone(ZoneInfo(zone)).date()
        weekday_names = get_day_names("wide", locale=language())
        body = page(
            "calendar_new.html",
            kind=kind,
            kinds=KINDS,
            values=values,
            today=today.isoformat(),
            groups=calendar_view.sorted_groups(context),
            campaigns=open_campaigns,
            elections=_elections(context.elections),
            weekdays=[(code, str(weekday_names[n])) for n, code in enumerate(WEEKDAYS)],
            frequencies=FREQUENCIES,
            relations=RELATIONS,
            content_kinds=[k.value for k in ContentKind],
            languages=SUPPORTED_LANGUAGES,
            day_text=calendar_view.day_text,
        )
    return body, status


def _elections(elections: Mapping[str, Election]) -> list[tuple[Election, list[Any]]]:
    """Each election with the stages an entry may be anchored to, newest first."""
    found = sorted(elections.values(), key=lambda e: (e.year, e.code), reverse=True)
    return [(election, list(election.stages)) for election in found]


@blueprint.post("/calendar/entries")
@requires(AccountRole.EDITOR)
def calendar_create() -> ResponseReturnValue:
    form = request.form
    app_runtime = runtime()
    now = app_runtime.clock.now()
    try:
        with app_runtime.database.transaction() as db:
            context = CalendarContext.load(db)
            rule = _rule(form, context.elections)
            name = form.get("campaign", "").strip()
            campaign = campaigns.open_campaign(db, name) if name else None
            spec = entries.EntrySpec(
                title=form.get("title", ""),
                rule=rule,
                groups=calendar_view.codes(form.get("groups", "")),
                body=form.get("body") or None,
                content_id=_whole(form.get("content", ""), "unknown_content", "id"),
                media_url=form.get("media_url", "").strip() or None,
                kind=form.get("content_kind") or ContentKind.LITERACY.value,
                language=form.get("language") or "id",
                tags=calendar_view.codes(form.get("tags", "").replace(",", " ")),
                during_quiet_hours=form.get("during_quiet_hours") == "on",
            )
            entry = entries.add_entry(
                db, spec, actor=actor_key(), now=now, campaign=campaign, context=context
            )
            entry_id, title = entry.id, entry.title
    except CalendarError as error:
        flash(explain(error, language()), "error")
        return _form(MultiDict(form), status=422)
    flash(t("calendar.entry_added", id=entry_id, title=title), "ok")
    return redirect(url_for("dashboard.calendar_entry", entry_id=entry_id)), 303


def _rule(form: Mapping[str, str], elections: Mapping[str, Election]) -> Rule:
    """The entry's rule from the form, through the same functions as the CLI's options."""
    kind = form.get("kind", "")
    at = form.get("time", "").strip()
    if kind == "once":
        return entries.once(form.get("on", ""), at)
    if kind == "recurring":
        frequency = form.get("frequency", "")
        weekdays = request.form.getlist("weekday") if frequency == "weekly" else []
        month_day = form.get("month_day", "") if frequency == "monthly" else ""
        return entries.recurring(
            at,
            starts_on=form.get("starts", ""),
            frequency=frequency or None,
            weekdays=weekdays,
            month_day=_whole(month_day, "bad_month_day", "value", signed=True),
            interval=_whole(form.get("every", ""), "bad_interval", "value") or 1,
            until=form.get("until", "").strip() or None,
        )
    if kind == "anchored":
        election, _, stage = form.get("stage", "").partition("/")
        relation, days = form.get("relation", "before"), form.get("days", "").strip()
        phrase = {
            "before": f"H-{days} {stage}",
            "after": f"H+{days} {stage}",
            "first": f"hari pertama {stage}",
            "last": f"hari terakhir {stage}",
        }.get(relation, f"H-{days} {stage}")
        return entries.anchored(phrase, elections, election=election or None, at=at or None)
    raise CalendarError("no_frequency")


_WHOLE = re.compile(r"^-?\d{1,9}$")


def _whole(text: str, key: str, name: str, *, signed: bool = False) -> int | None:
    """A whole number from a form field; empty is None; anything else the domain's refusal."""
    text = text.strip()
    if not text:
        return None
    if not _WHOLE.match(text) or (text.startswith("-") and not signed):
        raise CalendarError(key, **{name: text[:20]})
    return int(text)


# --- One entry ------------------------------------------------------------------------------


@blueprint.get("/calendar/entries/<int:entry_id>")
@requires(AccountRole.VIEWER)
def calendar_entry(entry_id: int) -> ResponseReturnValue:
    app_runtime = runtime()
    now = app_runtime.clock.now()
    with app_runtime.database.transaction() as db:
        entry = db.get(CalendarEntry, entry_id) if 0 < entry_id <= 2**31 - 1 else None
        if entry is None:
            abort(404)
        context = CalendarContext.load(db)
        group_ids = [target.group_id for target in entry.targets]
        items = [
            item
            for item in agenda.coming(
                db, now, days=_SHOWN_DAYS, group_ids=group_ids, context=context
            )
            if item.entry_id == entry.id
        ]
        return page(
            "calendar_entry.html",
            entry=entry,
            rule=describe(rule_of(entry), context),
            targets=sorted(
                (context.group(target.group_id) for target in entry.targets), key=lambda g: g.code
            ),
            sends=[calendar_view.shown(item, context) for item in items[:_SHOWN_SENDS]],
            more=max(0, len(items) - _SHOWN_SENDS),
            approved_by=approval.approved_by(entry),
            approved=approval.is_approved(db, entry),
            days=_SHOWN_DAYS,
        )


def describe(rule: Rule, context: CalendarContext) -> str:
    """When an entry sends, in words, on each group's own clock."""
    lang = language()
    at = calendar_view.time_of_day(rule.at)
    if isinstance(rule, Once):
        return t(
            "calendar.rule_once",
            day=str(format_date(rule.on, "EEEE, d MMMM y", locale=lang)),
            time=at,
        )
    if isinstance(rule, Anchored):
        election = context.elections.get(rule.election)
        data = {
            "stage": calendar_view.stage_name(context, rule.election, rule.stage),
            "election": election.name.in_language(lang) if election else rule.election,
            "days": abs(rule.offset_days),
            "time": at,
        }
        if rule.offset_days < 0:
            return t("calendar.rule_before", **data)
        if rule.offset_days > 0:
            return t("calendar.rule_after", **data)
        return t("calendar.rule_first" if rule.day == "first" else "calendar.rule_last", **data)
    parts = dict(part.split("=", 1) for part in rule.rule.split(";") if "=" in part)
    first = str(format_date(rule.starts_on, "d MMMM y", locale=lang))
    until = parts.get("UNTIL", "")
    end = ""
    if until[:8].isdigit():
        last = date(int(until[:4]), int(until[4:6]), int(until[6:8]))
        end = t("calendar.rule_until", last=str(format_date(last, "d MMMM y", locale=lang)))
    names = get_day_names("wide", locale=lang)
    interval = parts.get("INTERVAL", "1")
    every = int(interval) if interval.isdigit() else 1
    plural = "_n" if every > 1 else ""
    frequency = parts.get("FREQ", "")
    simple = set(parts) <= {"FREQ", "INTERVAL", "UNTIL"}
    if frequency == "WEEKLY" and set(parts) <= {"FREQ", "BYDAY", "INTERVAL", "UNTIL"}:
        codes = [code for code in parts.get("BYDAY", "").split(",") if code in WEEKDAYS]
        days = ", ".join(str(names[WEEKDAYS.index(code)]) for code in codes)
        key = "repeat_weekly_on" if codes else "repeat_weekly"
        pattern = t(f"calendar.{key}{plural}", every=every, days=days)
    elif frequency in ("DAILY", "MONTHLY") and simple:
        pattern = t(f"calendar.repeat_{frequency.lower()}{plural}", every=every)
    elif frequency == "MONTHLY" and "BYMONTHDAY" in parts:
        day = parts["BYMONTHDAY"].split(",")[-1]
        key = "repeat_monthly_last" if day == "-1" else "repeat_monthly_on"
        pattern = t(f"calendar.{key}{plural}", every=every, day=day)
    else:
        pattern = t("calendar.repeat_custom", rule=rule.rule)
    return t("calendar.rule_recurring", pattern=pattern, time=at, first=first, until=end).strip()


def _entry_page(entry_id: int) -> ResponseReturnValue:
    return redirect(url_for("dashboard.calendar_entry", entry_id=entry_id)), 303


@blueprint.post("/calendar/entries/<int:entry_id>/approve")
@requires(AccountRole.EDITOR)
def approve_calendar_entry(entry_id: int) -> ResponseReturnValue:
    """Approve ahead: never one's own, nor one the account's linked phone made."""
    app_runtime = runtime()
    try:
        with app_runtime.database.transaction() as db:
            entry = approval.approve_entry(
                db, _known(db, entry_id), approver(db), app_runtime.clock.now()
            )
            flash(t("calendar.entry_approved", id=entry.id, title=entry.title), "ok")
    except CalendarError as error:
        flash(explain(error, language()), "error")
    return _entry_page(entry_id)


def approver(db: Session) -> approval.Approver:
    """The signed-in account as an approver, with the phone it is linked to."""
    return approval.Approver(actor_key(), same_person=accounts.linked_member(db, current()))


@blueprint.post("/calendar/entries/<int:entry_id>/cancel")
@requires(AccountRole.EDITOR)
def cancel_calendar_entry(entry_id: int) -> ResponseReturnValue:
    app_runtime = runtime()
    try:
        with app_runtime.database.transaction() as db:
            entry = entries.cancel_entry(
                db, _known(db, entry_id), actor=actor_key(), now=app_runtime.clock.now()
            )
            flash(t("calendar.entry_cancelled", id=entry.id, title=entry.title), "ok")
    except CalendarError as error:
        flash(explain(error, language()), "error")
    return _entry_page(entry_id)


def _known(db: Session, entry_id: int) -> int:
    """An entry that exists (cancelled or not); otherwise 404."""
    if not 0 < entry_id <= 2**31 - 1 or db.get(CalendarEntry, entry_id) is None:
        abort(404)
    return entry_id
