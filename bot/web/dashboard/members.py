"""A group's members, for admins: add one, change a role, remove one, import a CSV file (a
report first, then one confirmed step) and export the list as CSV.

Everything here goes through the domain (`membership`, `member_import`, `roster`), so the CLI
could do the same; an export is personal data leaving the system and is audited."""

from __future__ import annotations

import csv
import io
from zoneinfo import ZoneInfo

from flask import Response, abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from bot.web.dashboard.access import actor_key, requires
from bot.web.dashboard.groups import change, find_group, group_page
from bot.web.dashboard.site import blueprint, local_time, state_words, t
from bot.web.runtime import runtime
from broadcasts.db.models import AccountRole, ConsentSource, Membership, Role
from broadcasts.editorial import audit
from broadcasts.people import member_import, membership, roster
from broadcasts.people.member_import import Checked, MemberFileError
from broadcasts.people.membership import shown_phone
from broadcasts.people.phones import PhoneError, national_format, normalise_phone

SHOWN_GOOD_ROWS = 500  # the report lists every refused row, and this many of the good ones


def _role(value: str) -> Role | None:
    try:
        return Role(value)
    except ValueError:
        return None


def _back(code: str) -> str:
    return url_for("dashboard.group", code=code)


@blueprint.post("/groups/<code>/members")
@requires(AccountRole.ADMIN)
def add_member(code: str) -> ResponseReturnValue:
    """One person, by an admin: their consent is recorded as given through the dashboard."""
    form = request.form
    app_runtime = runtime()
    with app_runtime.database.transaction() as db:
        code = find_group(db, code).code
    back = _back(code)
    role = _role(form.get("role", ""))
    name = " ".join(form.get("name", "").split())[:200] or None
    try:
        phone = normalise_phone(form.get("phone", "")[:64])
    except PhoneError:
        flash(t("groups.bad_phone"), "error")
        return redirect(back), 303
    if role is None:
        flash(t("groups.unknown_role"), "error")
        return redirect(back), 303

    def work(db: Session) -> str:
        group = find_group(db, code)
        known = membership.find_member(db, phone=phone)
        if known is not None and roster.membership_of(db, group, known.id) is not None:
            return t("groups.already_member", phone=shown_phone(phone))
        now = app_runtime.clock.now()
        joined = membership.add_member(
            db,
            phone,
            code,
            role=role,
            name=name,
            added_by=actor_key(),
            source=ConsentSource.DASHBOARD,
            now=now,
        )
        audit.record(
            db,
            actor_key(),
            "member_added",
            "group",
            group.id,
            now,
            member=joined.member_id,
            role=role.value,
        )
        return t("groups.added", phone=shown_phone(phone), role=state_words("role", role.value))

    return change(work, back, lambda message: message)


def _membership_or_404(db: Session, code: str, member_id: int) -> Membership:
    joined = roster.membership_of(db, find_group(db, code), member_id)
    if joined is None or not joined.member.phone:
        abort(404)  # not this group's member: an id from another group's page
    return joined


@blueprint.post("/groups/<code>/members/<int:member_id>/role")
@requires(AccountRole.ADMIN)
def change_member_role(code: str, member_id: int) -> ResponseReturnValue:
    app_runtime = runtime()
    with app_runtime.database.transaction() as db:
        joined = _membership_or_404(db, code, member_id)
        code, phone = joined.group.code, str(joined.member.phone)
    back = _back(code)
    role = _role(request.form.get("role", ""))
    if role is None:
        flash(t("groups.unknown_role"), "error")
        return redirect(back), 303
    return change(
        lambda db: membership.change_role(
            db, phone, code, role, actor=actor_key(), now=app_runtime.clock.now()
        ),
        back,
        lambda _: t(
            "groups.role_changed", phone=shown_phone(phone), role=state_words("role", role.value)
        ),
    )


@blueprint.post("/groups/<code>/members/<int:member_id>/remove")
@requires(AccountRole.ADMIN)
def remove_member(code: str, member_id: int) -> ResponseReturnValue:
    """Out of this group only (not the groups below); the last editor with none above stays."""
    app_runtime = runtime()
    with app_runtime.database.transaction() as db:
        joined = _membership_or_404(db, code, member_id)
        code, phone = joined.group.code, str(joined.member.phone)
    return change(
        lambda db: membership.remove_member(
            db, phone, code, actor=actor_key(), now=app_runtime.clock.now()
        ),
        _back(code),
        lambda _: t("groups.removed", phone=shown_phone(phone)),
    )


# --- Import ----------------------------------------------------------------------------------


def _reason(found: Checked) -> str:
    """Why a row is refused (or what to know about an added one), in the reader's words."""
    if found.refusal is None:
        return t("groups.row_opted_out") if found.opted_out else ""
    detail = dict(found.detail)
    if "role" in detail:
        detail["role"] = state_words("role", detail["role"].value)
    return t(f"groups.refused_{found.refusal}", **detail)


def _import_page(code: str, status: int = 200, **context: object) -> ResponseReturnValue:
    with runtime().database.transaction() as db:
        group = find_group(db, code)
        return group_page("group_import.html", group=group, **context), status


@blueprint.get("/groups/<code>/import")
@requires(AccountRole.ADMIN)
def import_members(code: str) -> ResponseReturnValue:
    return _import_page(code)


@blueprint.post("/groups/<code>/import")
@requires(AccountRole.ADMIN)
def preview_import(code: str) -> ResponseReturnValue:
    """The report of what importing the file would do; nothing is written."""
    upload = request.files.get("file")
    data = upload.read() if upload is not None else b""
    if upload is None or not (upload.filename or data):  # the form sent with no file chosen
        return _import_page(code, 422, problem=t("groups.file_missing"))
    with runtime().database.transaction() as db:
        group = find_group(db, code)
        try:
            checked = member_import.preview(db, group, data)
        except MemberFileError as error:
            problem = t(f"groups.file_{error.key}", **error.data)
            return group_page("group_import.html", group=group, problem=problem), 422
        good = [found for found in checked if found.good]
        return group_page(
            "group_import.html",
            group=group,
            filename=upload.filename or "",
            refused=[(found, _reason(found)) for found in checked if not found.good],
            good=[(found, _reason(found)) for found in good[:SHOWN_GOOD_ROWS]],
            good_count=len(good),
            confirm=member_import.to_confirm(good),
            shown_phone=shown_phone,
        )


@blueprint.post("/groups/<code>/import/confirm")
@requires(AccountRole.ADMIN)
def confirm_import(code: str) -> ResponseReturnValue:
    """Every good row of the report, in one transaction: all of them or, on any failure, none."""
    app_runtime = runtime()
    try:
        rows = member_import.from_confirm(request.form.get("rows", ""))
    except MemberFileError:
        abort(400)
    with app_runtime.database.transaction() as db:
        group = find_group(db, code)
        code = group.code
        checked = member_import.apply(
            db, group, rows, actor=actor_key(), now=app_runtime.clock.now()
        )
    added = sum(found.good for found in checked)
    flash(t("groups.imported", added=added), "ok")
    if added < len(checked):  # changed since the report: someone joined meanwhile
        flash(t("groups.imported_refused", refused=len(checked) - added), "error")
    return redirect(_back(code)), 303


# --- Export ----------------------------------------------------------------------------------


@blueprint.get("/groups/<code>/members.csv")
@requires(AccountRole.ADMIN)
def export_members(code: str) -> ResponseReturnValue:
    """The group's members with full numbers, as a spreadsheet opens it (UTF-8 with a BOM, `;`
    as Excel in an Indonesian locale expects); `member_import` reads it back."""
    app_runtime = runtime()
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        [
            t("groups.csv_phone"),
            t("groups.csv_name"),
            t("groups.csv_role"),
            t("groups.csv_joined"),
            t("groups.csv_opted_out"),
        ]
    )
    with app_runtime.database.transaction() as db:
        group = find_group(db, code)
        zone, code = group.timezone, group.code
        for listed in roster.export(db, group, actor=actor_key(), now=app_runtime.clock.now()):
            writer.writerow(
                roster.csv_cell(cell)
                for cell in (
                    national_format(listed.phone) if listed.phone else "",
                    listed.name or "",
                    state_words("role", listed.role.value),
                    local_time(listed.joined_at, zone),
                    local_time(listed.opted_out_at, zone) if listed.opted_out_at else "",
                )
            )
        today = app_runtime.clock.now().astimezone(ZoneInfo(zone)).date().isoformat()
    filename = f"{t('groups.csv_filename', code=code)}-{today}"
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in filename)
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{safe}.csv"'},
    )
