"""Groups: the tree (province → regencies and cities), one group's page with its members a page
at a time, and for admins creating a group, moving it to another zone and giving it a new
invitation code. Members themselves (adding, roles, removing, import, export): `members.py`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.web.dashboard.access import actor_key, current, requires
from bot.web.dashboard.site import blueprint, language, page, t
from bot.web.runtime import runtime
from broadcasts.db.models import AccountRole, Group, Role
from broadcasts.editorial import audit
from broadcasts.editorial_calendar.group_zone import set_timezone
from broadcasts.errors import MembershipError
from broadcasts.people import membership, roster
from broadcasts.people.membership import INDONESIAN_ZONES, shown_phone
from broadcasts.phrasebook import ZONE_NAMES, explain

Done = TypeVar("Done")


def zone_abbreviation(zone: str) -> str:
    """WIB, WITA or WIT; any other zone by its name."""
    return ZONE_NAMES.get(zone, zone)


def zone_choices() -> list[tuple[str, str]]:
    return [
        (zone, t("groups.zone_option", zone=zone_abbreviation(zone), name=zone))
        for zone in INDONESIAN_ZONES
    ]


def count(number: int) -> str:
    """A count as the reader writes it: 1.600 in Indonesian, 1,600 in English."""
    return f"{number:,}".replace(",", "." if language() == "id" else ",")


def group_page(template: str, **context: Any) -> str:
    """A page of this area: `admin` says whether to show the forms that change things."""
    return page(template, admin=current().may(AccountRole.ADMIN), count=count, **context)


def find_group(db: Session, code: str) -> Group:
    """The group with this code, or 404 (an unknown code in a URL is a page that does not
    exist)."""
    found = db.scalar(select(Group).where(Group.code == code.strip().upper()))
    if found is None:
        abort(404)
    return found


def refusal(error: MembershipError) -> str:
    """The domain's refusal in the reader's words, without chat's *bold* marks."""
    return explain(error, language()).replace("*", "")


def change(
    work: Callable[[Session], Done], back: str, done: Callable[[Done], str]
) -> ResponseReturnValue:
    """Runs one change in one transaction; a refusal by the domain is told in the reader's
    words and leaves nothing behind. Either way: back to `back` (303)."""
    try:
        with runtime().database.transaction() as db:
            result = work(db)
            message = done(result)
    except MembershipError as error:
        flash(refusal(error), "error")
    else:
        flash(message, "ok")
    return redirect(back), 303


@blueprint.get("/groups")
@requires(AccountRole.VIEWER)
def groups() -> ResponseReturnValue:
    with runtime().database.transaction() as db:
        return group_page(
            "groups.html",
            nodes=membership.group_tree(db, reach=False),  # one query for the counts
            groups_url=url_for("dashboard.groups"),
            zones=zone_choices(),
            default_zone=runtime().settings.bot_timezone,
            zone_abbreviation=zone_abbreviation,
        )


@blueprint.post("/groups")
@requires(AccountRole.ADMIN)
def create_group() -> ResponseReturnValue:
    form = request.form
    app_runtime = runtime()

    def work(db: Session) -> Group:
        created = membership.create_group(
            db,
            form.get("code", "")[:64],
            form.get("name", "")[:200],
            parent_code=form.get("parent", "").strip()[:64] or None,
            timezone=form.get("timezone", "").strip()[:64] or None,
            default_timezone=app_runtime.settings.bot_timezone,
        )
        now = app_runtime.clock.now()
        audit.record(db, actor_key(), "group_created", "group", created.id, now, code=created.code)
        return created

    try:
        with app_runtime.database.transaction() as db:
            created = work(db)
            code, name, invitation = created.code, created.name, created.join_code
    except MembershipError as error:
        flash(refusal(error), "error")
        return redirect(url_for("dashboard.groups")), 303
    flash(t("groups.created", name=name, code=code, invitation=invitation), "ok")
    return redirect(url_for("dashboard.group", code=code)), 303


@blueprint.get("/groups/<code>")
@requires(AccountRole.VIEWER)
def group(code: str) -> ResponseReturnValue:
    number = request.args.get("page", "1")
    with runtime().database.transaction() as db:
        found = find_group(db, code)
        subgroups = db.scalars(
            select(Group).where(Group.parent_id == found.id).order_by(Group.code)
        ).all()
        return group_page(
            "group.html",
            group=found,
            subgroups=subgroups,
            listing=roster.member_page(db, found, int(number) if number.isdigit() else 1),
            zones=zone_choices(),
            zone=zone_abbreviation(found.timezone),
            roles=[role.value for role in Role],
            shown_phone=shown_phone,
        )


@blueprint.post("/groups/<code>/timezone")
@requires(AccountRole.ADMIN)
def group_timezone(code: str) -> ResponseReturnValue:
    app_runtime = runtime()
    with app_runtime.database.transaction() as db:
        code = find_group(db, code).code
    zone = request.form.get("timezone", "")[:64]
    return change(
        lambda db: set_timezone(db, code, zone, actor=actor_key(), now=app_runtime.clock.now()),
        url_for("dashboard.group", code=code),
        lambda done: t(
            "groups.zone_changed", zone=zone_abbreviation(done[0].timezone), moved=done[1]
        ),
    )


@blueprint.post("/groups/<code>/invitation")
@requires(AccountRole.ADMIN)
def rotate_invitation(code: str) -> ResponseReturnValue:
    app_runtime = runtime()
    with app_runtime.database.transaction() as db:
        code = find_group(db, code).code
    return change(
        lambda db: (
            membership.rotate_join_code(
                db, code, actor=actor_key(), now=app_runtime.clock.now()
            ).join_code
        ),
        url_for("dashboard.group", code=code),
        lambda invitation: t("groups.rotated", invitation=invitation),
    )
