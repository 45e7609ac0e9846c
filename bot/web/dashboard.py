"""The admins' web dashboard under /admin: groups, the approval queue, broadcasts and campaigns.

Admins log in with the accounts `humasbot admin create` makes. Every form carries a CSRF token
(Flask-WTF); every change goes through the same domain functions the CLI uses, in one
transaction, and is written to the audit log as `admin:<username>`.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from functools import cache, wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from bot.web.runtime import runtime
from broadcasts.db.models import AdminUser, Broadcast, BroadcastState, Campaign, Group, Membership
from broadcasts.delivery import outbox
from broadcasts.editorial import workflow as editorial
from broadcasts.editorial.workflow import EditorialError
from broadcasts.editorial_calendar import campaigns
from broadcasts.editorial_calendar.errors import CalendarError
from broadcasts.phrasebook import render

blueprint = Blueprint("dashboard", __name__, url_prefix="/admin")

View = TypeVar("View", bound=Callable[..., ResponseReturnValue])

LANGUAGE = "id"  # the dashboard's pages are in Indonesian, as its users are
_CAMPAIGN_ACTIONS: dict[str, Callable[..., object]] = {
    "pause": campaigns.pause,
    "resume": campaigns.resume,
    "cancel": campaigns.cancel,
}
_RECENT = 30  # broadcasts on the overview


def admin_required(view: View) -> View:
    @wraps(view)
    def check(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        if not session.get("admin"):
            if request.method == "GET":
                return redirect(url_for("dashboard.login", next=request.full_path.rstrip("?")))
            abort(401, "log in first")
        return view(*args, **kwargs)

    return cast(View, check)


def _actor() -> str:
    return f"admin:{session['admin']}"


def _safe_next(target: str | None) -> str:
    """Only a path on this dashboard: a login must not send anyone elsewhere."""
    if target and target.startswith("/admin") and not urlsplit(target).netloc:
        return target
    return url_for("dashboard.overview")


@cache
def _no_such_admin() -> str:
    """A hash to check when the username is unknown, so a wrong name takes as long as a wrong
    password and does not tell which names exist."""
    return generate_password_hash(secrets.token_hex(16))


@blueprint.get("/login")
def login() -> ResponseReturnValue:
    return render_template("login.html", next=request.args.get("next", ""))


@blueprint.post("/login")
def login_post() -> ResponseReturnValue:
    settings = runtime().settings
    if not settings.secret_key:
        # Without it sessions are signed with a key anyone can read in the source.
        return render_template("login.html", problem="no_secret_key", next=""), 503
    username = request.form.get("username", "").strip()[:64]
    password = request.form.get("password", "")[:1024]
    with runtime().database.transaction() as db:
        stored = db.scalar(select(AdminUser.password_hash).where(AdminUser.username == username))
    if not check_password_hash(stored or _no_such_admin(), password) or stored is None:
        return render_template("login.html", problem="bad_login", next=""), 401
    session.clear()  # a fresh session: nothing set before the login carries over
    session["admin"] = username
    return redirect(_safe_next(request.form.get("next")))


@blueprint.post("/logout")
def logout() -> ResponseReturnValue:
    session.clear()
    return redirect(url_for("dashboard.login"))


@blueprint.get("/")
@admin_required
def overview() -> ResponseReturnValue:
    with runtime().database.transaction() as db:
        members = func.count(Membership.id)
        groups = db.execute(
            select(Group, members)
            .outerjoin(Membership, Membership.group_id == Group.id)
            .group_by(Group.id)
            .order_by(Group.code)
        ).all()
        waiting = editorial.recent_broadcasts(db, state=BroadcastState.PENDING.value)
        recent = [
            (broadcast, outbox.counts(db, broadcast.id))
            for broadcast in editorial.recent_broadcasts(db, limit=_RECENT)
        ]
        return render_template(
            "overview.html", groups=groups, waiting=waiting, recent=recent, admin=session["admin"]
        )


@blueprint.get("/broadcasts/<int:broadcast_id>")
@admin_required
def broadcast(broadcast_id: int) -> ResponseReturnValue:
    with runtime().database.transaction() as db:
        found = db.get(Broadcast, broadcast_id)
        if found is None:
            abort(404, f"no broadcast #{broadcast_id}")
        counts = outbox.counts(db, found.id)
        return render_template(
            "broadcast.html", broadcast=found, counts=counts, admin=session["admin"]
        )


@blueprint.post("/broadcasts/<int:broadcast_id>/cancel")
@admin_required
def cancel_broadcast(broadcast_id: int) -> ResponseReturnValue:
    app_runtime = runtime()
    try:
        with app_runtime.database.transaction() as db:
            editorial.cancel(
                db, broadcast_id, actor=_actor(), member=None, now=app_runtime.clock.now()
            )
    except EditorialError as error:
        if error.key == "unknown_broadcast":
            abort(404, f"no broadcast #{broadcast_id}")
        flash(render("editorial_error", LANGUAGE, key=error.key, **error.data), "error")
        return redirect(url_for("dashboard.broadcast", broadcast_id=broadcast_id)), 303
    flash(render("dashboard_broadcast_cancelled", LANGUAGE, id=broadcast_id), "ok")
    return redirect(url_for("dashboard.broadcast", broadcast_id=broadcast_id)), 303


@blueprint.get("/campaigns")
@admin_required
def campaign_list() -> ResponseReturnValue:
    with runtime().database.transaction() as db:
        found = db.scalars(select(Campaign).order_by(Campaign.name)).all()
        return render_template("campaigns.html", campaigns=found, admin=session["admin"])


@blueprint.post("/campaigns/<name>/<action>")
@admin_required
def campaign_action(name: str, action: str) -> ResponseReturnValue:
    change = _CAMPAIGN_ACTIONS.get(action)
    if change is None:
        abort(404, f"no action {action!r}")
    app_runtime = runtime()
    try:
        with app_runtime.database.transaction() as db:
            change(db, name, actor=_actor(), now=app_runtime.clock.now())
    except CalendarError as error:
        if error.key == "unknown_campaign":
            abort(404, f"no campaign {name!r}")
        flash(render("calendar_error", LANGUAGE, key=error.key, **error.data), "error")
    else:
        flash(render("dashboard_campaign_changed", LANGUAGE, name=name, action=action), "ok")
    return redirect(url_for("dashboard.campaign_list")), 303
