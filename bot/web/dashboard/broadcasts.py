"""A broadcast's page: its state, its delivery counts, and cancelling it."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue

from bot.web.dashboard.access import actor_key, current, requires
from bot.web.dashboard.site import LANGUAGE, blueprint, page
from bot.web.runtime import runtime
from broadcasts.db.models import AccountRole, Broadcast
from broadcasts.delivery import outbox
from broadcasts.editorial import workflow as editorial
from broadcasts.errors import EditorialError
from broadcasts.people import accounts
from broadcasts.phrasebook import explain, render


@blueprint.get("/broadcasts/<int:broadcast_id>")
@requires(AccountRole.VIEWER)
def broadcast(broadcast_id: int) -> ResponseReturnValue:
    with runtime().database.transaction() as db:
        found = db.get(Broadcast, broadcast_id)
        if found is None:
            abort(404)
        return page("broadcast.html", broadcast=found, counts=outbox.counts(db, found.id))


@blueprint.post("/broadcasts/<int:broadcast_id>/cancel")
@requires(AccountRole.EDITOR)
def cancel_broadcast(broadcast_id: int) -> ResponseReturnValue:
    app_runtime = runtime()
    back = redirect(url_for("dashboard.broadcast", broadcast_id=broadcast_id)), 303
    try:
        with app_runtime.database.transaction() as db:
            editorial.cancel(
                db, broadcast_id, actor=actor_key(), member=None, now=app_runtime.clock.now()
            )
    except EditorialError as error:
        if error.key == "unknown_broadcast":
            abort(404)
        flash(explain(error, LANGUAGE), "error")
        return back
    flash(render("dashboard_broadcast_cancelled", LANGUAGE, id=broadcast_id), "ok")
    return back


@blueprint.post("/broadcasts/<int:broadcast_id>/approve")
@requires(AccountRole.EDITOR)
def approve_broadcast(broadcast_id: int) -> ResponseReturnValue:
    """Never one's own: nor one proposed by chat from the phone the account is linked to."""
    app_runtime = runtime()
    back = redirect(url_for("dashboard.broadcast", broadcast_id=broadcast_id)), 303
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
        if error.key == "unknown_broadcast":
            abort(404)
        flash(explain(error, LANGUAGE), "error")
        return back
    flash(f"Siaran #{broadcast_id} disetujui.", "ok")
    return back


@blueprint.post("/broadcasts/<int:broadcast_id>/reject")
@requires(AccountRole.EDITOR)
def reject_broadcast(broadcast_id: int) -> ResponseReturnValue:
    app_runtime = runtime()
    back = redirect(url_for("dashboard.broadcast", broadcast_id=broadcast_id)), 303
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
        if error.key == "unknown_broadcast":
            abort(404)
        flash(explain(error, LANGUAGE), "error")
        return back
    flash(f"Siaran #{broadcast_id} ditolak.", "ok")
    return back
