"""Dashboard accounts, for admins: create, change role, link a phone, reset a password,
disable. Every change ends in the audit log as the admin who made it."""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from bot.web.dashboard.access import actor_key, requires
from bot.web.dashboard.site import blueprint, language, page, t
from bot.web.runtime import runtime
from broadcasts.db.models import AccountRole, Member
from broadcasts.editorial import audit
from broadcasts.errors import AccountError
from broadcasts.people import accounts
from broadcasts.people.membership import shown_phone
from broadcasts.phrasebook import explain


@blueprint.get("/users")
@requires(AccountRole.ADMIN)
def users() -> ResponseReturnValue:
    with runtime().database.transaction() as db:
        found = accounts.all_accounts(db)
        linked = {
            account.username: _member_label(account.member)
            for account in found
            if account.member is not None
        }
        return page("users.html", accounts=found, linked=linked, roles=list(AccountRole))


def _member_label(member: Member) -> str:
    number = shown_phone(member.phone) if member.phone else ""
    return f"{member.name} ({number})" if member.name else number


def _change(action: str, work: Callable[[Session], object], subject: str) -> ResponseReturnValue:
    """Runs one change in one transaction with its audit record; a refusal is told on the page
    and leaves nothing behind."""
    app_runtime = runtime()
    try:
        with app_runtime.database.transaction() as db:
            work(db)
            audit.record(
                db, actor_key(), action, "account", None, app_runtime.clock.now(), username=subject
            )
    except AccountError as error:
        if error.key == "unknown_account":
            abort(404)
        flash(explain(error, language()), "error")
        return redirect(url_for("dashboard.users")), 303
    flash(t("users.changed", username=subject), "ok")
    return redirect(url_for("dashboard.users")), 303


@blueprint.post("/users")
@requires(AccountRole.ADMIN)
def create_user() -> ResponseReturnValue:
    form = request.form
    username = form.get("username", "").strip()[:64]
    return _change(
        "account_created",
        lambda db: accounts.create(
            db, username, form.get("password", "")[:1024], form.get("role", "editor")
        ),
        username,
    )


@blueprint.post("/users/<username>/<action>")
@requires(AccountRole.ADMIN)
def change_user(username: str, action: str) -> ResponseReturnValue:
    form = request.form
    now = runtime().clock.now()
    changes: dict[str, Callable[[Session], object]] = {
        "disable": lambda db: accounts.disable(db, username, now),
        "enable": lambda db: accounts.enable(db, username),
        "role": lambda db: accounts.set_role(db, username, form.get("role", "")),
        "password": lambda db: accounts.set_password(db, username, form.get("password", "")),
        "member": lambda db: accounts.link_member(db, username, form.get("phone") or None),
    }
    work = changes.get(action)
    if work is None:
        abort(404)
    return _change(f"account_{action}", work, username)
