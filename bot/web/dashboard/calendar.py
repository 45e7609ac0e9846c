"""The calendar: month and week views of what goes out, for every group or one, with the
election stages, hold periods (blackouts) and quiet hours; and where those two are edited.

Who may do what, as the CLI decides it: everyone signed in reads; editors add, approve and
cancel entries and series (`calendar_entries.py`, `campaigns.py`); quiet hours and hold periods
change when every group's calendar lands, so they are admins' (the CLI files them with a
group's settings, beside its time zone).
"""

from __future__ import annotations

from datetime import time
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue

from bot.web.dashboard import calendar_view
from bot.web.dashboard.access import actor_key, current, requires
from bot.web.dashboard.site import blueprint, language, page, t
from bot.web.runtime import runtime
from broadcasts.db.models import AccountRole
from broadcasts.editorial_calendar import blackouts, quiet_hours
from broadcasts.editorial_calendar.context import CalendarContext
from broadcasts.editorial_calendar.rules import parse_date, parse_time
from broadcasts.errors import CalendarError
from broadcasts.phrasebook import explain


@blueprint.get("/calendar")
@requires(AccountRole.VIEWER)
def calendar() -> ResponseReturnValue:
    """`?view=month|week`, `?date=YYYY-MM-DD` (the month or week holding it), `?group=CODE`."""
    app_runtime = runtime()
    now = app_runtime.clock.now()
    view = request.args.get("view", calendar_view.MONTH)
    view = view if view in calendar_view.VIEWS else calendar_view.MONTH
    with app_runtime.database.transaction() as db:
        context = CalendarContext.load(db)
        code = request.args.get("group", "").strip()
        group = calendar_view.group_named(context, code) if code else None
        if code and group is None:
            abort(404)
        zone = group.zone if group is not None else ZoneInfo(app_runtime.settings.bot_timezone)
        chosen = now.astimezone(zone).date()
        asked = request.args.get("date", "").strip()
        if asked:
            try:
                chosen = parse_date(asked)
            except CalendarError as error:
                flash(explain(error, language()), "error")
        shown = calendar_view.build(
            db, context, view=view, chosen=chosen, group=group, zone=zone, now=now
        )
        return page(
            "calendar.html",
            calendar=shown,
            group=group,
            groups=calendar_view.sorted_groups(context),
            group_code=group.code if group is not None else None,
            today=now.astimezone(zone).date(),
        )


# --- Quiet hours and hold periods -----------------------------------------------------------


@blueprint.get("/calendar/settings")
@requires(AccountRole.VIEWER)
def calendar_settings() -> ResponseReturnValue:
    """Every hold period, and a group's quiet hours (`?group=CODE`); admins change them."""
    with runtime().database.transaction() as db:
        context = CalendarContext.load(db)
        code = request.args.get("group", "").strip()
        group = calendar_view.group_named(context, code) if code else None
        if code and group is None:
            abort(404)
        holds = [calendar_view.hold_shown(b, context) for b in blackouts.all_blackouts(db)]
        quiet = None
        if group is not None:
            quiet = calendar_view.quiet_words(context.quiet_hours(group.id), group)
        elections = [
            (election, [stage for stage in election.stages])
            for election in sorted(context.elections.values(), key=lambda e: e.year)
        ]
        return page(
            "calendar_settings.html",
            holds=holds,
            group=group,
            quiet=quiet,
            groups=calendar_view.sorted_groups(context),
            elections=elections,
            language_code=language(),
            is_admin=current().may(AccountRole.ADMIN),
        )


def _back_to_settings(group: str | None = None) -> ResponseReturnValue:
    target = url_for("dashboard.calendar_settings", group=group) if group else None
    return redirect(target or url_for("dashboard.calendar_settings")), 303


@blueprint.post("/calendar/blackouts")
@requires(AccountRole.ADMIN)
def add_blackout() -> ResponseReturnValue:
    form = request.form
    app_runtime = runtime()
    by_stage = form.get("period") == "stage"
    election, _, stage = form.get("stage", "").partition("/")
    try:
        with app_runtime.database.transaction() as db:
            added = blackouts.add_blackout(
                db,
                form.get("name", ""),
                calendar_view.codes(form.get("tags", "").replace(",", " ").lower()),
                group_code=form.get("group", "").strip() or None,
                first=None if by_stage else form.get("first", "").strip() or None,
                last=None if by_stage else form.get("last", "").strip() or None,
                stage=stage.strip() if by_stage else None,
                election=election.strip() or None if by_stage else None,
                actor=actor_key(),
                now=app_runtime.clock.now(),
            )
            flash(t("calendar.hold_added", name=added.name), "ok")
    except CalendarError as error:
        flash(explain(error, language()), "error")
    return _back_to_settings()


@blueprint.post("/calendar/blackouts/<int:blackout_id>/remove")
@requires(AccountRole.ADMIN)
def remove_blackout(blackout_id: int) -> ResponseReturnValue:
    app_runtime = runtime()
    try:
        with app_runtime.database.transaction() as db:
            removed = blackouts.remove_blackout(
                db, blackout_id, actor=actor_key(), now=app_runtime.clock.now()
            )
            flash(t("calendar.hold_removed", name=removed.name), "ok")
    except CalendarError as error:
        if error.key == "unknown_blackout":
            abort(404)
        flash(explain(error, language()), "error")
    return _back_to_settings()


@blueprint.post("/calendar/quiet-hours")
@requires(AccountRole.ADMIN)
def set_quiet_hours() -> ResponseReturnValue:
    """`mode`: set (with `start` and `end`), off (none for the group), inherit (the group
    above's, or the default)."""
    form = request.form
    code = form.get("group", "").strip()
    mode = form.get("mode", "set")
    app_runtime = runtime()
    now = app_runtime.clock.now()
    try:
        with app_runtime.database.transaction() as db:
            if mode == "inherit":
                quiet_hours.reset_quiet_hours(db, code, actor=actor_key(), now=now)
            else:
                starts: time | None = None
                ends: time | None = None
                if mode != "off":
                    starts, ends = _clock(form.get("start", "")), _clock(form.get("end", ""))
                    if starts is None or ends is None:
                        raise CalendarError("quiet_hours_pair")
                quiet_hours.set_quiet_hours(db, code, starts, ends, actor=actor_key(), now=now)
    except CalendarError as error:
        flash(explain(error, language()), "error")
        known = error.key != "unknown_group"
        return _back_to_settings(code.upper() if known else None)
    flash(t("calendar.quiet_saved", code=code.upper()), "ok")
    return _back_to_settings(code.upper())


def _clock(text: str) -> time | None:
    return parse_time(text) if text.strip() else None
