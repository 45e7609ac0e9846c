"""Series of broadcasts (campaigns): pause, resume or cancel one."""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, redirect, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from bot.web.dashboard.access import actor_key, requires
from bot.web.dashboard.site import LANGUAGE, blueprint, page
from bot.web.runtime import runtime
from broadcasts.db.models import AccountRole, Campaign
from broadcasts.editorial_calendar import campaigns
from broadcasts.errors import CalendarError
from broadcasts.phrasebook import explain, render

ACTIONS: dict[str, Callable[..., object]] = {
    "pause": campaigns.pause,
    "resume": campaigns.resume,
    "cancel": campaigns.cancel,
}


@blueprint.get("/campaigns")
@requires(AccountRole.VIEWER)
def campaign_list() -> ResponseReturnValue:
    with runtime().database.transaction() as db:
        found = db.scalars(select(Campaign).order_by(Campaign.name)).all()
        return page("campaigns.html", campaigns=found)


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
        flash(explain(error, LANGUAGE), "error")
    else:
        flash(render("dashboard_campaign_changed", LANGUAGE, name=name, action=action), "ok")
    return redirect(url_for("dashboard.campaign_list")), 303
