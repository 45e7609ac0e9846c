"""Series of broadcasts (campaigns) without YAML: create one, add its entries (the calendar's
entry form, with the series chosen), approve the whole series ahead (never its author's
entries, nor the linked phone's), pause, resume or cancel it — as `humasbot campaign …` does."""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select

from bot.web.dashboard import calendar_view
from bot.web.dashboard.access import actor_key, requires
from bot.web.dashboard.calendar_entries import approver, describe
from bot.web.dashboard.site import blueprint, language, page, t
from bot.web.runtime import runtime
from broadcasts.db.models import AccountRole, CalendarEntry, Campaign
from broadcasts.editorial_calendar import agenda, approval, campaigns
from broadcasts.editorial_calendar.context import CalendarContext
from broadcasts.editorial_calendar.timeline import rule_of
from broadcasts.errors import CalendarError
from broadcasts.phrasebook import explain

ACTIONS: dict[str, Callable[..., object]] = {
    "pause": campaigns.pause,
    "resume": campaigns.resume,
    "cancel": campaigns.cancel,
}
_SHOWN_SENDS, _SHOWN_DAYS = 20, 366  # a series' coming sends, as `campaign next` lists them


@blueprint.get("/campaigns")
@requires(AccountRole.VIEWER)
def campaign_list() -> ResponseReturnValue:
    with runtime().database.transaction() as db:
        found = db.scalars(select(Campaign).order_by(Campaign.name)).all()
        live = dict(
            db.execute(
                select(CalendarEntry.campaign_id, func.count(CalendarEntry.id))
                .where(CalendarEntry.cancelled_at.is_(None), CalendarEntry.campaign_id.is_not(None))
                .group_by(CalendarEntry.campaign_id)
            ).all()
        )
        return page("campaigns.html", campaigns=found, counts=live)


@blueprint.post("/campaigns")
@requires(AccountRole.EDITOR)
def create_campaign() -> ResponseReturnValue:
    form = request.form
    app_runtime = runtime()
    try:
        with app_runtime.database.transaction() as db:
            created = campaigns.create(
                db,
                form.get("name", ""),
                form.get("title", ""),
                description=" ".join(form.get("description", "").split()) or None,
                actor=actor_key(),
                now=app_runtime.clock.now(),
            )
            name = created.name
    except CalendarError as error:
        flash(explain(error, language()), "error")
        return redirect(url_for("dashboard.campaign_list")), 303
    flash(t("campaigns.created", name=name), "ok")
    return redirect(url_for("dashboard.campaign", name=name)), 303


@blueprint.get("/campaigns/<name>")
@requires(AccountRole.VIEWER)
def campaign(name: str) -> ResponseReturnValue:
    app_runtime = runtime()
    with app_runtime.database.transaction() as db:
        try:
            found = campaigns.campaign_named(db, name)
        except CalendarError:
            abort(404)
        context = CalendarContext.load(db)
        live = db.scalars(
            select(CalendarEntry)
            .where(CalendarEntry.campaign_id == found.id, CalendarEntry.cancelled_at.is_(None))
            .order_by(CalendarEntry.id)
        ).all()
        approved = approval.approved_entries(db, [entry.id for entry in live])
        items = agenda.coming(
            db, app_runtime.clock.now(), days=_SHOWN_DAYS, campaign_id=found.id, context=context
        )
        timed = [item for item in items if item.when is not None]
        waiting = [item for item in items if item.when is None]
        return page(
            "campaign.html",
            campaign=found,
            entries=[
                (entry, describe(rule_of(entry), context), entry.id in approved) for entry in live
            ],
            unapproved=sum(1 for entry in live if entry.id not in approved),
            sends=[calendar_view.shown(item, context) for item in timed[:_SHOWN_SENDS]],
            more=max(0, len(timed) - _SHOWN_SENDS),
            waiting=[calendar_view.shown(item, context) for item in waiting],
        )


@blueprint.post("/campaigns/<name>/approve")
@requires(AccountRole.EDITOR)
def approve_campaign(name: str) -> ResponseReturnValue:
    """Every live entry of the series at once, all or none."""
    app_runtime = runtime()
    try:
        with app_runtime.database.transaction() as db:
            found = campaigns.campaign_named(db, name).name
            done = approval.approve_campaign(db, found, approver(db), app_runtime.clock.now())
            flash(t("campaigns.approved", name=found, count=len(done)), "ok")
    except CalendarError as error:
        if error.key == "unknown_campaign":
            abort(404)
        flash(explain(error, language()), "error")
    return redirect(url_for("dashboard.campaign", name=name)), 303


@blueprint.post("/campaigns/<name>/<action>")
@requires(AccountRole.EDITOR)
def campaign_action(name: str, action: str) -> ResponseReturnValue:
    change = ACTIONS.get(action)
    if change is None:
        abort(404)
    app_runtime = runtime()
    try:
        with app_runtime.database.transaction() as db:
            change(db, name, actor=actor_key(), now=app_runtime.clock.now())
    except CalendarError as error:
        if error.key == "unknown_campaign":
            abort(404)
        flash(explain(error, language()), "error")
    else:
        flash(t(f"campaigns.changed_{action}", name=name), "ok")
    back = request.form.get("back")
    if back == "campaign":
        return redirect(url_for("dashboard.campaign", name=name)), 303
    return redirect(url_for("dashboard.campaign_list")), 303
