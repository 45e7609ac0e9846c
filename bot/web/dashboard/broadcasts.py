"""Broadcasts: the list (by state and group), composing one for a group, and a broadcast's own
page — approve, reject, cancel, set its send time, its delivery funnel and its failures, with
live counts while it is being sent (`progress.json`, read by `static/broadcast_progress.js`).

Every rule is the domain's: who receives (`planning`), proposing and deciding (`workflow`),
reading a send time and the quiet-hours warning (`scheduling`), why a delivery failed
(`report.reason_key`). This module only reads forms and shows results.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import abort, flash, jsonify, redirect, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from bot.web.dashboard.access import actor_key, current, requires
from bot.web.dashboard.site import blueprint, language, local_time, page, state_words, t
from bot.web.runtime import runtime
from broadcasts.db.database import MAX_ID
from broadcasts.db.models import (
    AccountRole,
    Broadcast,
    BroadcastState,
    Content,
    DeliveryState,
    Group,
    Member,
    OutboundMessage,
)
from broadcasts.delivery import outbox, planning, report
from broadcasts.delivery.window import window_start
from broadcasts.editorial import library, scheduling
from broadcasts.editorial import workflow as editorial
from broadcasts.editorial.scheduling import ScheduleError
from broadcasts.errors import DomainError, EditorialError
from broadcasts.people import accounts
from broadcasts.people.group_tree import subtree
from broadcasts.people.membership import shown_phone
from broadcasts.phrasebook import ZONE_NAMES, explain

PAGE_SIZE = 50  # broadcasts on one page of the list
FAILURES_SHOWN = 200  # failed deliveries listed on a broadcast's page
MAX_WHEN = 60  # a send time as written, at most
# Refusals of a composed text said in the dashboard's own words (the domain's speak of chat).
_FORM_WORDS = {"empty_body"}


# --- How a broadcast's deliveries are shown -----------------------------------------------------


@dataclass(frozen=True)
class Bar:
    key: str  # queued, sent, delivered, read
    label: str
    count: int
    percent: int  # of every recipient, 0–100


def funnel(counts: dict[str, int]) -> list[Bar]:
    """Queued → sent → delivered → read, each counting those that got at least that far."""
    total = sum(counts.values())
    read = counts.get("read", 0)
    delivered = counts.get("delivered", 0) + read
    sent = counts.get("sent", 0) + delivered
    steps = (("queued", total), ("sent", sent), ("delivered", delivered), ("read", read))
    return [
        Bar(key, t(f"broadcasts.funnel_{key}"), n, round(100 * n / total) if total else 0)
        for key, n in steps
    ]


def in_flight(counts: dict[str, int]) -> int:
    return sum(counts.get(state, 0) for state in outbox.UNFINISHED)


def progress_of(broadcast: Broadcast, counts: dict[str, int]) -> dict[str, Any]:
    """What the page shows of a broadcast's progress, as JSON for the live counts."""
    return {
        "id": broadcast.id,
        "state": state_words("broadcast", broadcast.state),
        "sending": broadcast.state == BroadcastState.SENDING.value,
        "total": sum(counts.values()),
        "in_flight": in_flight(counts),
        "failed": counts.get("failed", 0),
        "skipped": counts.get("skipped", 0),
        "bars": {bar.key: {"count": bar.count, "percent": bar.percent} for bar in funnel(counts)},
    }


def reason_words(key: str) -> str:
    return t(f"broadcasts.reason_{key}")


def recipient_name(member: Member | None) -> str:
    """A recipient as staff may see them: name and masked number, or that they were erased."""
    if member is None or member.erased_at is not None or not member.phone:
        return t("broadcasts.erased_recipient")
    masked = shown_phone(member.phone)
    return f"{member.name} ({masked})" if member.name else masked


def zone_of(group: Group) -> str:
    return ZONE_NAMES.get(group.timezone, group.timezone)


def _broadcast_or_404(db: Session, broadcast_id: int) -> Broadcast:
    found = (
        db.scalar(
            select(Broadcast)
            .options(joinedload(Broadcast.group))
            .where(Broadcast.id == broadcast_id)
        )
        if 0 < broadcast_id <= MAX_ID
        else None
    )
    if found is None:
        abort(404)
    return found


def _written_when(form: dict[str, str]) -> str:
    """The send time a form gives (a date field and a time field), as people write it."""
    return " ".join(form.get(name, "").strip() for name in ("date", "time")).strip()[:MAX_WHEN]


def _said(error: DomainError) -> str:
    if isinstance(error, EditorialError) and error.key in _FORM_WORDS:
        return t(f"broadcasts.error_{error.key}", **error.data)
    return explain(error, language())


def _quiet_warning(done: scheduling.Scheduled) -> None:
    quiet = done.quiet_hours
    if quiet is not None:
        start, end = f"{quiet.start:%H.%M}", f"{quiet.end:%H.%M}"
        zone = zone_of(done.broadcast.group)
        flash(t("broadcasts.quiet_hours", start=start, end=end, zone=zone), "warning")


# --- The list -----------------------------------------------------------------------------------


@blueprint.get("/broadcasts")
@requires(AccountRole.VIEWER)
def broadcast_list() -> ResponseReturnValue:
    state = request.args.get("state", "")
    group_code = request.args.get("group", "").strip().upper()
    before = request.args.get("before", type=int)
    if state and state not in {s.value for s in BroadcastState}:
        state = ""
    with runtime().database.transaction() as db:
        groups = db.execute(select(Group.code, Group.name).order_by(Group.code)).all()
        query = select(Broadcast).options(joinedload(Broadcast.group))
        chosen = None
        if group_code:
            chosen = db.scalar(select(Group).where(Group.code == group_code))
            if chosen is None:
                abort(404)
            query = query.where(Broadcast.group_id.in_(select(subtree([chosen.id]).c.id)))
        if state:
            query = query.where(Broadcast.state == state)
        if before is not None:
            query = query.where(Broadcast.id < before)
        found = list(db.scalars(query.order_by(Broadcast.id.desc()).limit(PAGE_SIZE + 1)))
        more = len(found) > PAGE_SIZE
        found = found[:PAGE_SIZE]
        counts = outbox.counts_of(db, [b.id for b in found])
        return page(
            "broadcasts.html",
            broadcasts=[(b, counts[b.id]) for b in found],
            groups=groups,
            states=[s.value for s in BroadcastState],
            state=state,
            group=chosen,
            older=found[-1].id if more else None,
            in_flight=in_flight,
        )


# --- Composing ------------------------------------------------------------------------------------


def _compose_page(
    db: Session,
    *,
    group_code: str,
    content_id: int | None,
    form: dict[str, str],
    status: int = 200,
) -> ResponseReturnValue:
    groups = db.execute(select(Group.code, Group.name, Group.timezone).order_by(Group.code)).all()
    group = db.scalar(select(Group).where(Group.code == group_code)) if group_code else None
    if group_code and group is None:
        abort(404)
    content: Content | None = None
    if content_id is not None:
        try:
            content = library.get_content(db, content_id)
        except EditorialError:
            abort(404)
    refused = content is not None and content.approved_at is None
    if refused:
        flash(t("broadcasts.content_not_approved", id=content_id), "error")
    return page(
        "broadcast_new.html",
        groups=groups,
        group=group,
        zone=zone_of(group) if group is not None else None,
        audience=planning.audience_size(db, group.id) if group is not None else None,
        writing=(
            planning.audience_writing_since(db, group.id, window_start(runtime().clock.now()))
            if group is not None
            else None
        ),
        content=None if refused else content,
        form=form,
        zones=ZONE_NAMES,
        limit=editorial.MAX_BODY,
    ), status


@blueprint.get("/broadcasts/new")
@requires(AccountRole.EDITOR)
def compose() -> ResponseReturnValue:
    content_id = request.args.get("content", type=int)
    if "content" in request.args and content_id is None:
        abort(404)
    with runtime().database.transaction() as db:
        return _compose_page(
            db,
            group_code=request.args.get("group", "").strip().upper(),
            content_id=content_id,
            form={},
        )


@blueprint.post("/broadcasts/new")
@requires(AccountRole.EDITOR)
def propose_broadcast() -> ResponseReturnValue:
    """Proposes through `workflow.propose`, as SIARKAN does; an account linked to a phone acts
    as that member (their groups, and four-eyes across chat and web). With a time, it is set
    through `scheduling` in the same transaction: a time refused saves nothing."""
    form = {key: request.form.get(key, "") for key in ("group", "body", "date", "time")}
    group_code = form["group"].strip().upper()
    content_raw = request.form.get("content", "").strip()
    if content_raw and not content_raw.isdigit():
        abort(404)
    content_id = int(content_raw) if content_raw else None
    app_runtime = runtime()
    now = app_runtime.clock.now()
    written = _written_when(form)
    try:
        with app_runtime.database.transaction() as db:
            group = db.scalar(select(Group).where(Group.code == group_code))
            if group is None:
                abort(404)
            fields: dict[str, Any] = {"body": form["body"]}
            content = None
            if content_id is not None:
                try:
                    content = library.get_content(db, content_id)
                except EditorialError:
                    abort(404)
                fields = library.broadcast_fields(content)
            proposed = editorial.propose(
                db,
                group=group,
                author=actor_key(),
                author_member=accounts.linked_member(db, current()),
                content=content,
                now=now,
                **fields,
            )
            done = None
            if written:
                done = scheduling.schedule_written(
                    db, proposed.id, written, actor=actor_key(), member=None, now=now
                )
            broadcast_id = proposed.id
    except DomainError as error:
        flash(_said(error), "error")
        with app_runtime.database.transaction() as db:
            return _compose_page(
                db, group_code=group_code, content_id=content_id, form=form, status=400
            )
    flash(t("broadcasts.proposed", id=broadcast_id), "ok")
    if done is not None:
        _quiet_warning(done)
    return redirect(url_for("dashboard.broadcast", broadcast_id=broadcast_id)), 303


# --- One broadcast ------------------------------------------------------------------------------


@blueprint.get("/broadcasts/<int:broadcast_id>")
@requires(AccountRole.VIEWER)
def broadcast(broadcast_id: int) -> ResponseReturnValue:
    with runtime().database.transaction() as db:
        found = _broadcast_or_404(db, broadcast_id)
        counts = outbox.counts(db, found.id)
        failures = db.execute(
            select(OutboundMessage.reason, OutboundMessage.error_code, Member)
            .outerjoin(Member, Member.id == OutboundMessage.member_id)
            .where(
                OutboundMessage.broadcast_id == found.id,
                OutboundMessage.state == DeliveryState.FAILED.value,
            )
            .order_by(OutboundMessage.id)
            .limit(FAILURES_SHOWN)
        ).all()
        return page(
            "broadcast.html",
            broadcast=found,
            zone=zone_of(found.group),
            counts=counts,
            bars=funnel(counts),
            in_flight=in_flight(counts),
            failed_reasons=report.reasons(db, found.id, DeliveryState.FAILED),
            skipped_reasons=report.reasons(db, found.id, DeliveryState.SKIPPED),
            failures=[
                (recipient_name(member), reason_words(report.reason_key(reason, code)))
                for reason, code, member in failures
            ],
            reason_words=reason_words,
            movable=found.state in (BroadcastState.PENDING.value, BroadcastState.APPROVED.value)
            and found.planned_at is None,
            content=db.get(Content, found.content_id) if found.content_id else None,
            own=found.author == actor_key(),
        )


@blueprint.get("/broadcasts/<int:broadcast_id>/progress.json")
@requires(AccountRole.VIEWER)
def broadcast_progress(broadcast_id: int) -> ResponseReturnValue:
    with runtime().database.transaction() as db:
        found = _broadcast_or_404(db, broadcast_id)
        return jsonify(progress_of(found, outbox.counts(db, found.id)))


def _decided(broadcast_id: int, error: DomainError | None, done: str) -> ResponseReturnValue:
    """Back to the broadcast's page, told what happened (an unknown broadcast: 404)."""
    if error is not None:
        if error.key == "unknown_broadcast":
            abort(404)
        flash(_said(error), "error")
    else:
        flash(t(f"broadcasts.{done}", id=broadcast_id), "ok")
    return redirect(url_for("dashboard.broadcast", broadcast_id=broadcast_id)), 303


@blueprint.post("/broadcasts/<int:broadcast_id>/cancel")
@requires(AccountRole.EDITOR)
def cancel_broadcast(broadcast_id: int) -> ResponseReturnValue:
    app_runtime = runtime()
    try:
        with app_runtime.database.transaction() as db:
            editorial.cancel(
                db, broadcast_id, actor=actor_key(), member=None, now=app_runtime.clock.now()
            )
    except EditorialError as error:
        return _decided(broadcast_id, error, "cancelled")
    return _decided(broadcast_id, None, "cancelled")


@blueprint.post("/broadcasts/<int:broadcast_id>/approve")
@requires(AccountRole.EDITOR)
def approve_broadcast(broadcast_id: int) -> ResponseReturnValue:
    """Never one's own: nor one proposed by chat from the phone the account is linked to."""
    app_runtime = runtime()
    try:
        with app_runtime.database.transaction() as db:
            editorial.approve(
                db,
                broadcast_id,
                editor=None,
                actor=actor_key(),
                now=app_runtime.clock.now(),
                same_person=accounts.linked_member(db, current()),
            )
    except EditorialError as error:
        return _decided(broadcast_id, error, "approved")
    return _decided(broadcast_id, None, "approved")


@blueprint.post("/broadcasts/<int:broadcast_id>/reject")
@requires(AccountRole.EDITOR)
def reject_broadcast(broadcast_id: int) -> ResponseReturnValue:
    app_runtime = runtime()
    reason = request.form.get("reason", "").strip()[:500]
    try:
        with app_runtime.database.transaction() as db:
            editorial.reject(
                db,
                broadcast_id,
                editor=None,
                actor=actor_key(),
                reason=reason,
                now=app_runtime.clock.now(),
            )
    except EditorialError as error:
        return _decided(broadcast_id, error, "rejected")
    return _decided(broadcast_id, None, "rejected")


@blueprint.post("/broadcasts/<int:broadcast_id>/schedule")
@requires(AccountRole.EDITOR)
def schedule_broadcast(broadcast_id: int) -> ResponseReturnValue:
    """Sets or moves the send time, read on the group's clock as JADWALKAN reads it."""
    app_runtime = runtime()
    written = _written_when({k: request.form.get(k, "") for k in ("date", "time")})
    back = redirect(url_for("dashboard.broadcast", broadcast_id=broadcast_id)), 303
    if not written:
        with app_runtime.database.transaction() as db:
            _broadcast_or_404(db, broadcast_id)
        flash(t("broadcasts.when_missing"), "error")
        return back
    try:
        with app_runtime.database.transaction() as db:
            done = scheduling.schedule_written(
                db,
                broadcast_id,
                written,
                actor=actor_key(),
                member=None,
                now=app_runtime.clock.now(),
            )
            at = done.local
    except ScheduleError as error:
        if error.key == "unknown_broadcast":
            abort(404)
        flash(_said(error), "error")
        return back
    flash(t("broadcasts.scheduled", id=broadcast_id, when=_when_words(at)), "ok")
    _quiet_warning(done)
    return back


def _when_words(at: datetime) -> str:
    return local_time(at, getattr(at.tzinfo, "key", None))
