"""The content library: the list, writing and editing, submitting, approving or rejecting with
a reason (never one's own, nor what one's linked phone wrote), and a preview as members read it
on WhatsApp — the group's name first, the "Ketik BERHENTI…" line last, as the broadcast frame
adds them. An image (PNG or JPEG, at most 5 MB, checked by its bytes) is kept in the upload
directory and served without login for Twilio (`bot/web/media.py`).

The rules are the domain's (`editorial.library`, `editorial.images`); this module only reads
the forms and shows the outcome. A refused form is shown again with what was typed in it.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage

from bot.web.dashboard.access import actor_key, current, requires
from bot.web.dashboard.site import blueprint, language, page, t, whatsapp_html
from bot.web.runtime import runtime
from broadcasts.db.models import AccountRole, Content, ContentKind, Group
from broadcasts.delivery.framing import frame
from broadcasts.editorial import images, library
from broadcasts.editorial.library import ContentState, Picture
from broadcasts.editorial.workflow import MAX_BODY, member_actor
from broadcasts.errors import DomainError, EditorialError
from broadcasts.people import accounts
from broadcasts.phrasebook import explain
from config.settings import SUPPORTED_LANGUAGES

# The image and the form around it. Larger requests are refused (413) before anything is read.
UPLOAD_LIMIT = images.MAX_IMAGE_BYTES + 256 * 1024
_UPLOADING = frozenset({"dashboard.content_create", "dashboard.content_update"})
_MARK = "\x00body\x00"  # where the text goes in the frame, to show the frame around it


@blueprint.url_value_preprocessor
def _allow_uploads(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """Forms with an image may be larger than the dashboard's 1 MB. This runs before any
    request hook (the CSRF check reads the form), so the limit holds when the body is read."""
    if endpoint in _UPLOADING:
        request.max_content_length = UPLOAD_LIMIT


# --- What a page shows ------------------------------------------------------------------------


def _frame_parts(group: str, lang: str) -> tuple[Markup, Markup]:
    """What the broadcast frame puts before and after the text, in `lang`."""
    whole = frame(_MARK, group, lang)
    before, _, after = whole.partition(_MARK)
    return whatsapp_html(before.rstrip("\n")), whatsapp_html(after.lstrip("\n"))


def _preview(db: Session, body: str, lang: str, group_code: str) -> dict[str, Any]:
    groups = list(db.execute(select(Group.code, Group.name).order_by(Group.code)).all())
    chosen = next((g for g in groups if g.code == group_code), groups[0] if groups else None)
    name = chosen.name if chosen is not None else t("content.preview_group_example")
    header, footer = _frame_parts(name, lang if lang in SUPPORTED_LANGUAGES else "id")
    return {
        "groups": groups,
        "group": chosen.code if chosen is not None else "",
        "header": header,
        "footer": footer,
        "body": whatsapp_html(body.strip()),
        "count": len(body.strip()),
        "count_shown": _number(len(body.strip())),
        "limit": MAX_BODY,
        "limit_shown": _number(MAX_BODY),
        "time": runtime().clock.now().astimezone(runtime().settings.timezone).strftime("%H.%M"),
    }


def _number(value: int) -> str:
    """1.600 in Indonesian, 1,600 in English."""
    shown = f"{value:,}"
    return shown.replace(",", ".") if language() == "id" else shown


def _size(size: int) -> str:
    """480 KB, 1,2 MB (1.2 MB in English)."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    shown = f"{size / (1024 * 1024):.1f} MB"
    return shown.replace(".", ",") if language() == "id" else shown


def image_url(content: Content | None) -> str | None:
    """An uploaded image as the dashboard shows it: from this server, whatever PUBLIC_BASE_URL
    says (the page's policy loads pictures only from here). None for other media."""
    if content is None or not content.image_sha256 or not content.image_type:
        return None
    extension = next(e for e, m in images.MEDIA_TYPES.items() if m == content.image_type)
    return url_for("media.upload", name=f"{content.image_sha256}.{extension}")


def _written_by_me(db: Session, content: Content) -> bool:
    """Whether the signed-in account (or the phone it is linked to) wrote or changed it: then
    the page says another editor decides, instead of offering buttons that would be refused."""
    mine = {actor_key()}
    member = accounts.linked_member(db, current())
    if member is not None:
        mine.add(member_actor(member))
    return bool(mine & {content.created_by, content.updated_by})


def _said(error: DomainError) -> str:
    return explain(error, language()).replace("*", "")


def _content_or_404(db: Session, content_id: int) -> Content:
    try:
        return library.get_content(db, content_id)
    except EditorialError:
        abort(404)


def _form_of(content: Content | None) -> dict[str, str]:
    if content is None:
        return {"title": "", "body": "", "tags": "", "language": "id", "kind": "literacy"}
    return {
        "title": content.title,
        "body": content.body,
        "tags": ", ".join(content.tags),
        "language": content.language,
        "kind": content.kind,
    }


def _form_page(
    db: Session,
    *,
    content: Content | None,
    form: dict[str, str],
    status: int = 200,
) -> ResponseReturnValue:
    newer = library.newer_version(db, content) if content is not None else None
    state = library.state_of(content) if content is not None else None
    return page(
        "content_form.html",
        content=content,
        state=state,
        newer=newer,
        new_version=state is ContentState.APPROVED,
        form=form,
        image_url=image_url(content),
        choose_group=False,
        kinds=[k.value for k in ContentKind],
        languages=SUPPORTED_LANGUAGES,
        image_limit=images.megabytes(images.MAX_IMAGE_BYTES),
        image_limit_bytes=images.MAX_IMAGE_BYTES,
        preview=_preview(db, form["body"], form["language"], request.args.get("group", "")),
    ), status


def _submitted_form() -> dict[str, str]:
    form = request.form
    return {
        "title": form.get("title", "")[:1000],
        # Browsers send line breaks as CRLF; WhatsApp counts one character for each.
        "body": form.get("body", "")[:20_000].replace("\r\n", "\n"),
        "tags": form.get("tags", "")[:1000],
        "language": form.get("language", "id"),
        "kind": form.get("kind", ContentKind.LITERACY.value),
    }


def _picture() -> Picture | None:
    """The uploaded image, checked (EditorialError when it is not a usable one); None when no
    file was chosen."""
    upload: FileStorage | None = request.files.get("image")
    if upload is None or not upload.filename:
        return None
    image = images.check_image(upload.read(images.MAX_IMAGE_BYTES + 1))
    return Picture(image, images.public_url(runtime().settings.public_base_url, image))


def _keep(picture: Picture | None) -> None:
    """Writes the image once everything else was accepted: a refused form leaves no file."""
    if picture is not None:
        settings = runtime().settings
        images.keep(images.upload_directory(settings.upload_dir), picture.image)


# --- The pages --------------------------------------------------------------------------------


@blueprint.get("/content")
@requires(AccountRole.VIEWER)
def content_list() -> ResponseReturnValue:
    chosen = request.args.get("state", "")
    state = ContentState(chosen) if chosen in {s.value for s in ContentState} else None
    with runtime().database.transaction() as db:
        items = library.list_contents(db, state=state, limit=200)
        replaced = set(
            db.scalars(
                select(Content.replaces_id).where(
                    Content.replaces_id.in_([i.id for i in items]),
                    Content.approved_at.is_not(None),
                )
            )
        )
        return page(
            "content_list.html",
            items=[(item, library.state_of(item)) for item in items],
            replaced=replaced,
            state=state,
            states=list(ContentState),
        )


@blueprint.get("/content/new")
@requires(AccountRole.EDITOR)
def content_new() -> ResponseReturnValue:
    with runtime().database.transaction() as db:
        return _form_page(db, content=None, form=_form_of(None))


@blueprint.post("/content/new")
@requires(AccountRole.EDITOR)
def content_create() -> ResponseReturnValue:
    app_runtime = runtime()
    form = _submitted_form()
    try:
        picture = _picture()
        with app_runtime.database.transaction() as db:
            added = library.add_content(
                db,
                **_written(form),
                picture=picture,
                created_by=actor_key(),
                now=app_runtime.clock.now(),
                submit=request.form.get("action") == "submit",
            )
            _keep(picture)
            added_id, state = added.id, library.state_of(added)
    except EditorialError as error:
        flash(_said(error), "error")
        with app_runtime.database.transaction() as db:
            return _form_page(db, content=None, form=form, status=422)
    flash(t(f"content.done_created_{state.value}", id=added_id), "ok")
    return redirect(url_for("dashboard.content_show", content_id=added_id)), 303


def _written(form: dict[str, str]) -> dict[str, Any]:
    """What the author wrote, as the library takes it."""
    return {
        "title": form["title"],
        "body": form["body"],
        "tags": form["tags"].split(","),
        "language": form["language"],
        "kind": form["kind"],
    }


@blueprint.get("/content/<int:content_id>")
@requires(AccountRole.VIEWER)
def content_show(content_id: int) -> ResponseReturnValue:
    with runtime().database.transaction() as db:
        content = _content_or_404(db, content_id)
        state = library.state_of(content)
        return page(
            "content_show.html",
            content=content,
            state=state,
            versions=[(v, library.state_of(v)) for v in library.versions(db, content)],
            newer=library.newer_version(db, content),
            image_size=_size(content.image_size) if content.image_size else None,
            image_url=image_url(content),
            choose_group=True,
            own=_written_by_me(db, content),
            preview=_preview(db, content.body, content.language, request.args.get("group", "")),
        )


@blueprint.get("/content/<int:content_id>/edit")
@requires(AccountRole.EDITOR)
def content_edit(content_id: int) -> ResponseReturnValue:
    with runtime().database.transaction() as db:
        content = _content_or_404(db, content_id)
        return _form_page(db, content=content, form=_form_of(content))


@blueprint.post("/content/<int:content_id>/edit")
@requires(AccountRole.EDITOR)
def content_update(content_id: int) -> ResponseReturnValue:
    """A change to an approved item is a new version (its own id) that waits for approval."""
    app_runtime = runtime()
    form = _submitted_form()
    try:
        picture = _picture()
        with app_runtime.database.transaction() as db:
            _content_or_404(db, content_id)
            changed = library.edit_content(
                db,
                content_id,
                **_written(form),
                picture=picture,
                keep_media=request.form.get("remove_image") != "1",
                actor=actor_key(),
                now=app_runtime.clock.now(),
                submit=request.form.get("action") == "submit",
            )
            _keep(picture)
            changed_id, state = changed.id, library.state_of(changed)
    except EditorialError as error:
        flash(_said(error), "error")
        with app_runtime.database.transaction() as db:
            content = _content_or_404(db, content_id)
            return _form_page(db, content=content, form=form, status=422)
    key = "done_new_version" if changed_id != content_id else f"done_saved_{state.value}"
    flash(t(f"content.{key}", id=changed_id, old=content_id), "ok")
    return redirect(url_for("dashboard.content_show", content_id=changed_id)), 303


def _decide(content_id: int, done: str, work: Any) -> ResponseReturnValue:
    app_runtime = runtime()
    back = redirect(url_for("dashboard.content_show", content_id=content_id)), 303
    try:
        with app_runtime.database.transaction() as db:
            _content_or_404(db, content_id)
            work(db, app_runtime.clock.now())
    except EditorialError as error:
        flash(_said(error), "error")
        return back
    flash(t(done, id=content_id), "ok")
    return back


@blueprint.post("/content/<int:content_id>/submit")
@requires(AccountRole.EDITOR)
def content_submit(content_id: int) -> ResponseReturnValue:
    return _decide(
        content_id,
        "content.done_submitted",
        lambda db, now: library.submit_content(db, content_id, actor=actor_key(), now=now),
    )


@blueprint.post("/content/<int:content_id>/approve")
@requires(AccountRole.EDITOR)
def content_approve(content_id: int) -> ResponseReturnValue:
    """Never one's own: nor what was written from the phone the account is linked to."""
    return _decide(
        content_id,
        "content.done_approved",
        lambda db, now: library.approve_content(
            db,
            content_id,
            actor=actor_key(),
            now=now,
            same_person=accounts.linked_member(db, current()),
        ),
    )


@blueprint.post("/content/<int:content_id>/reject")
@requires(AccountRole.EDITOR)
def content_reject(content_id: int) -> ResponseReturnValue:
    reason = request.form.get("reason", "")[:2000]
    return _decide(
        content_id,
        "content.done_rejected",
        lambda db, now: library.reject_content(
            db,
            content_id,
            actor=actor_key(),
            reason=reason,
            now=now,
            same_person=accounts.linked_member(db, current()),
        ),
    )
