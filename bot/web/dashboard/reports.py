"""Hoax reports: the queue of open claims, one claim with its reports and media, a verdict that
proposes its clarification, and approving that clarification (never one's own). The rules live
in `broadcasts.hoaxes` and `broadcasts.editorial.workflow`, as for LAPORAN, VERIFIKASI and
SETUJUI in chat."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from bot.web.dashboard.access import actor_key, current, requires
from bot.web.dashboard.site import blueprint, language, page, t, words
from bot.web.runtime import runtime
from broadcasts.db.models import AccountRole, Group
from broadcasts.editorial import workflow as editorial
from broadcasts.errors import DomainError, HoaxError
from broadcasts.hoaxes import claims, review, scope, verdicts
from broadcasts.hoaxes.texts import excerpt
from broadcasts.people import accounts
from broadcasts.people.group_tree import subtree
from broadcasts.phrasebook import explain
from config.settings import SUPPORTED_LANGUAGES

PER_PAGE = 50
LAST_PAGE = 10_000  # a page number past this is no page anyone reached by paging
VERDICTS = (verdicts.Verdict.HOAX, verdicts.Verdict.TRUE, verdicts.Verdict.UNPROVEN)
ORDERS = ("latest", "count")
QUEUE_EXCERPT = 160  # of a claim's first report, its numbers masked


def verdict_words(verdict: str) -> str:
    """HOAKS, BENAR, BELUM PASTI… (a verdict with no words yet: as it is written)."""
    key = f"reports.verdict_{verdict}"
    return t(key) if key in words(language()) else verdict.upper()


def language_words(code: str) -> str:
    key = f"reports.language_{code}"
    return t(key) if key in words(language()) else code


def media_words(content_type: str) -> str:
    """A forwarded medium's kind as people name it: picture, video, voice note, PDF."""
    kind = content_type.partition("/")[0]
    if content_type == "application/pdf":
        kind = "pdf"
    key = f"reports.media_{kind}"
    return t(key) if key in words(language()) else t("reports.media_other")


def page_number(text: str | None) -> int:
    """`?page=` as asked, within 1…LAST_PAGE: a page that is not a number is the first."""
    try:
        number = int(text or "1")
    except ValueError:
        return 1
    return min(max(number, 1), LAST_PAGE)


@blueprint.get("/reports")
@requires(AccountRole.VIEWER)
def reports() -> ResponseReturnValue:
    code = request.args.get("group", "").strip().upper()[:32]
    order = request.args.get("order", "latest")
    order = order if order in ORDERS else "latest"
    number = page_number(request.args.get("page"))
    with runtime().database.transaction() as db:
        groups = db.execute(select(Group.id, Group.code, Group.name).order_by(Group.code)).all()
        chosen = next((g for g in groups if g.code == code), None) if code else None
        scoped = select(subtree([chosen.id]).c.id) if chosen is not None else None
        found = scope.claims_queue(
            db,
            scoped,
            most_reported=order == "count",
            limit=PER_PAGE + 1,
            offset=(number - 1) * PER_PAGE,
        )
        shown = found[:PER_PAGE]
        return page(
            "reports.html",
            claims=shown,
            texts={c.claim.id: excerpt(c.text, QUEUE_EXCERPT) for c in shown},
            more=len(found) > PER_PAGE,
            number=number,
            groups=groups,
            group=chosen.code if chosen is not None else "",
            unknown_group=code if code and chosen is None else "",
            order=order,
        )


@blueprint.get("/reports/<int:claim_id>")
@requires(AccountRole.VIEWER)
def report_claim(claim_id: int) -> ResponseReturnValue:
    with runtime().database.transaction() as db:
        try:
            found = review.review(db, claim_id)
        except HoaxError:
            abort(404)
        linked = accounts.linked_member(db, current())
        pending = found.pending
        own = pending is not None and (
            pending.author == actor_key() or (linked is not None and pending.author_id == linked.id)
        )
        return page(
            "report.html",
            review=found,
            verdicts=VERDICTS,
            languages=SUPPORTED_LANGUAGES,
            own_pending=own,
            verdict_words=verdict_words,
            language_words=language_words,
            media_words=media_words,
        )


@blueprint.get("/reports/<int:claim_id>/media/<int:media_id>")
@requires(AccountRole.VIEWER)
def report_media(claim_id: int, media_id: int) -> ResponseReturnValue:
    """A forwarded picture, video, voice note or PDF as it was kept. Never rendered as a page:
    a download unless it is a picture, and the browser may not guess another type."""
    with runtime().database.transaction() as db:
        found = review.attachment(db, claim_id, media_id)
        if found is None:
            abort(404)
        shown = review.Attachment(found.id, found.content_type, found.size)
        answer = Response(found.data, mimetype=found.content_type)
    disposition = "inline" if shown.is_image else "attachment"
    answer.headers["Content-Disposition"] = f'{disposition}; filename="lampiran-{media_id}"'
    answer.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return answer


def _back(claim_id: int) -> ResponseReturnValue:
    return redirect(url_for("dashboard.report_claim", claim_id=claim_id)), 303


@blueprint.post("/reports/<int:claim_id>/verdict")
@requires(AccountRole.EDITOR)
def record_verdict(claim_id: int) -> ResponseReturnValue:
    """A verdict and its summary: the clarification is proposed, as VERIFIKASI proposes it."""
    form = request.form
    try:
        verdict = verdicts.Verdict(form.get("verdict", ""))
    except ValueError:
        verdict = None
    written_in = form.get("language", "id")
    try:
        group_id = int(form["group"]) if form.get("group") else None
    except ValueError:
        group_id = None
    app_runtime = runtime()
    try:
        with app_runtime.database.transaction() as db:
            if verdict not in VERDICTS or written_in not in SUPPORTED_LANGUAGES:
                claims.get_claim(db, claim_id)  # an unknown claim is still a 404
                flash(t("reports.verdict_unknown"), "error")
                return _back(claim_id)
            assert verdict is not None
            decided = verdicts.propose_as_account(
                db,
                claim_id,
                verdict,
                form.get("summary", "")[:5000],
                actor=actor_key(),
                linked=accounts.linked_member(db, current()),
                group_id=group_id,
                language=written_in,
                now=app_runtime.clock.now(),
            )
            broadcast_id = decided.broadcast_id
    except DomainError as error:
        return _refused(error, claim_id)
    flash(t("reports.verdict_recorded", id=broadcast_id), "ok")
    return _back(claim_id)


def _refused(error: DomainError, claim_id: int) -> ResponseReturnValue:
    """Why the domain said no, on the claim's page; an unknown claim is a 404."""
    if isinstance(error, HoaxError) and error.key == "unknown_claim":
        abort(404)
    flash(explain(error, language()), "error")
    return _back(claim_id)


@blueprint.post("/reports/<int:claim_id>/approve")
@requires(AccountRole.EDITOR)
def approve_clarification(claim_id: int) -> ResponseReturnValue:
    """Approves the claim's clarification waiting for an editor: never by its author, nor by
    the account linked to the phone that proposed it by chat. The reporters then receive it."""
    app_runtime = runtime()
    try:
        with app_runtime.database.transaction() as db:
            claim = claims.get_claim(db, claim_id)
            waiting = verdicts.pending_broadcast(db, claim)
            if waiting is None:
                flash(t("reports.nothing_to_approve"), "error")
                return _back(claim_id)
            editorial.approve(
                db,
                waiting.id,
                editor=None,
                actor=actor_key(),
                now=app_runtime.clock.now(),
                same_person=accounts.linked_member(db, current()),
            )
            approved = waiting.id
    except DomainError as error:
        return _refused(error, claim_id)
    flash(t("reports.clarification_approved", id=approved), "ok")
    return _back(claim_id)
