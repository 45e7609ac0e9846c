"""Logging in and out of the dashboard, and choosing its language."""

from __future__ import annotations

from flask import redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from bot.web.dashboard import access
from bot.web.dashboard.security import safe_next
from bot.web.dashboard.site import blueprint
from bot.web.dashboard.site import choose_language as keep_language
from bot.web.runtime import runtime


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
    outcome = access.sign_in(username, password)
    if outcome == "throttled":
        return render_template("login.html", problem="throttled", next=""), 429
    if outcome != "ok":
        return render_template("login.html", problem="bad_login", next=""), 401
    return redirect(safe_next(request.form.get("next")))


@blueprint.post("/logout")
def logout() -> ResponseReturnValue:
    access.sign_out()
    session.clear()
    return redirect(url_for("dashboard.login"))


@blueprint.post("/language")
def choose_language() -> ResponseReturnValue:
    """Open to anyone, the login page included: it changes only this browser's language."""
    keep_language(request.form.get("language", ""))
    return redirect(safe_next(request.form.get("next")), code=303)
