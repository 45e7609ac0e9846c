"""Who is signed in, checked against the database on every request, and what their role allows.

The cookie holds only a session token; `accounts.session_owner` decides whether it still opens
anything. Every view states the least role it needs with `@requires(...)`; one without it is
refused (fails closed), which the authorisation-matrix test checks for every route.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import abort, current_app, g, redirect, request, session, url_for
from flask.typing import ResponseReturnValue

from bot.web.dashboard.site import blueprint
from bot.web.runtime import runtime
from broadcasts.db.models import AccountRole
from broadcasts.people import accounts
from broadcasts.people.accounts import SignedIn

View = TypeVar("View", bound=Callable[..., ResponseReturnValue])
_TOKEN = "session"  # the cookie's key for the session token
PUBLIC = frozenset(
    {"dashboard.login", "dashboard.login_post", "dashboard.logout", "dashboard.choose_language"}
)


@blueprint.before_request
def load_account() -> ResponseReturnValue | None:
    g.account = None
    token = session.get(_TOKEN)
    if isinstance(token, str):
        app_runtime = runtime()
        with app_runtime.database.transaction() as db:
            g.account = accounts.session_owner(db, token, app_runtime.clock.now())
        if g.account is None:
            session.clear()  # ended elsewhere: the cookie opens nothing any more
    view = current_app.view_functions.get(request.endpoint or "")
    undeclared = view is not None and getattr(view, "required_role", None) is None
    if undeclared and request.endpoint not in PUBLIC:
        abort(403)  # fails closed: a dashboard view that did not say who may use it
    return None


def current() -> SignedIn:
    account: SignedIn | None = g.get("account")
    if account is None:
        abort(401)
    return account


def actor_key() -> str:
    """The audit log's name for the signed-in account."""
    return f"admin:{current().username}"


def requires(role: AccountRole) -> Callable[[View], View]:
    """The view needs a signed-in account of at least `role`: anonymous GETs go to the login
    page (and come back), anonymous changes get 401, a lesser role 403."""

    def decorate(view: View) -> View:
        @wraps(view)
        def check(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            account: SignedIn | None = g.get("account")
            if account is None:
                if request.method == "GET":
                    return redirect(url_for("dashboard.login", next=request.full_path.rstrip("?")))
                abort(401)
            if not account.may(role):
                abort(403)
            return view(*args, **kwargs)

        check.required_role = role  # type: ignore[attr-defined]
        return cast(View, check)

    return decorate


def sign_in(username: str, password: str) -> str:
    """'ok' with a new session in the cookie, 'throttled', or 'refused'."""
    app_runtime = runtime()
    address = (request.remote_addr or "unknown")[:64]
    with app_runtime.database.transaction() as db:
        result = accounts.sign_in(db, username, password, address, app_runtime.clock.now())
    if result.throttled:
        return "throttled"
    if result.token is None:
        return "refused"
    session.clear()  # a fresh session: nothing set before the login carries over
    session[_TOKEN] = result.token
    session.permanent = False
    return "ok"


def sign_out() -> None:
    token = session.get(_TOKEN)
    if isinstance(token, str):
        with runtime().database.transaction() as db:
            accounts.sign_out(db, token)
