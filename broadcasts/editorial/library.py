"""The content library: items written once, approved once, reused by broadcasts and by CEK
(an approved clarification is indexed for CEK when it is approved: `hoaxes.search`).

An item is a draft until it is submitted, then waits until an editor approves it or rejects it
with a reason. Four eyes: nobody decides on text they wrote or edited — nor on text written from
the phone their dashboard account is linked to (`same_person`). A draft, a waiting or a rejected
item is edited in place and goes back to draft; editing an approved item writes a new version
(`replaces_id`, `version`) that must be approved in turn, while the approved one stays usable
and unchanged.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcasts.db.database import MAX_ID
from broadcasts.db.models import Content, ContentKind, Member
from broadcasts.editorial import audit
from broadcasts.editorial.images import Image
from broadcasts.editorial.workflow import (
    check_body,
    check_kind,
    check_language,
    check_media_url,
    clean_tags,
    member_actor,
)
from broadcasts.errors import EditorialError
from broadcasts.hoaxes import search

MAX_TITLE = 200
MAX_REASON = 500


class ContentState(enum.StrEnum):
    DRAFT = "draft"
    WAITING = "waiting"  # submitted: waits for an editor
    APPROVED = "approved"
    REJECTED = "rejected"


def state_of(content: Content) -> ContentState:
    if content.approved_at is not None:
        return ContentState.APPROVED
    if content.rejected_at is not None:
        return ContentState.REJECTED
    if content.submitted_at is not None:
        return ContentState.WAITING
    return ContentState.DRAFT


def check_title(title: str) -> str:
    title = " ".join(title.split())
    if not title:
        raise EditorialError("empty_title")
    if len(title) > MAX_TITLE:
        raise EditorialError("title_too_long", limit=MAX_TITLE, length=len(title))
    return title


@dataclass(frozen=True)
class Picture:
    """An uploaded image as the library records it: checked, kept, and its public URL."""

    image: Image
    url: str


def _attach(content: Content, picture: Picture | None, media_url: str | None) -> None:
    if picture is not None:
        content.media_url = check_media_url(picture.url)
        content.image_sha256 = picture.image.sha256
        content.image_type = picture.image.media_type
        content.image_size = picture.image.size
        return
    content.media_url = check_media_url(media_url)
    if content.media_url is None or content.image_sha256 is None:
        content.image_sha256 = content.image_type = content.image_size = None


def add_content(
    session: Session,
    *,
    title: str,
    body: str,
    created_by: str,
    now: datetime,
    media_url: str | None = None,
    tags: Iterable[str] = (),
    language: str = "id",
    kind: ContentKind | str = ContentKind.LITERACY,
    verdict: str | None = None,
    source_url: str | None = None,
    picture: Picture | None = None,
    submit: bool = True,
) -> Content:
    """A new library item, not yet approved: waiting for an editor (`submit`, as the CLI and
    chat write it) or a draft (the dashboard's "save"). A clarification may carry its verdict
    (HOAKS…) and the address of its source; `picture` an uploaded image (over `media_url`)."""
    title = check_title(title)
    content = Content(
        title=title,
        body=check_body(body),
        tags=clean_tags(tags),
        language=check_language(language),
        kind=check_kind(kind).value,
        verdict=verdict,
        source_url=check_media_url(source_url),
        created_by=created_by[:100],
        created_at=now,
        version=1,
    )
    _attach(content, picture, media_url)
    if submit:
        content.submitted_by = created_by[:100]
        content.submitted_at = now
    session.add(content)
    session.flush()
    # Written and submitted at once is one event (as the CLI and chat have always written it).
    audit.record(session, created_by, "created", "content", content.id, now, title=title)
    return content


def broadcast_fields(item: Content) -> dict[str, Any]:
    """What a broadcast of this library item carries, as `workflow.propose` takes it: its text,
    media, kind, tags and language."""
    return {
        "body": item.body,
        "media_url": item.media_url,
        "kind": item.kind,
        "tags": list(item.tags),
        "language": item.language,
    }


def get_content(session: Session, content_id: int, *, lock: bool = False) -> Content:
    found = session.get(Content, content_id) if 0 < content_id <= MAX_ID else None
    if found is None:
        raise EditorialError("unknown_content", id=content_id)
    if not lock:
        return found
    locked = session.scalar(
        select(Content)
        .where(Content.id == found.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert locked is not None  # found just above, and contents are never deleted here
    return locked


def list_contents(
    session: Session,
    *,
    approved: bool | None = None,
    state: ContentState | None = None,
    limit: int = 100,
) -> list[Content]:
    """Newest first; `approved` True/False narrows to approved or not yet approved items,
    `state` to one state."""
    query = select(Content).order_by(Content.id.desc()).limit(limit)
    if approved is True or state is ContentState.APPROVED:
        query = query.where(Content.approved_at.is_not(None))
    elif approved is False:
        query = query.where(Content.approved_at.is_(None))
    if state is ContentState.REJECTED:
        query = query.where(Content.approved_at.is_(None), Content.rejected_at.is_not(None))
    elif state is ContentState.WAITING:
        query = query.where(
            Content.approved_at.is_(None),
            Content.rejected_at.is_(None),
            Content.submitted_at.is_not(None),
        )
    elif state is ContentState.DRAFT:
        query = query.where(
            Content.approved_at.is_(None),
            Content.rejected_at.is_(None),
            Content.submitted_at.is_(None),
        )
    return list(session.scalars(query))


def newer_version(session: Session, content: Content) -> Content | None:
    """The version written to replace `content`, if any (approved or not)."""
    return session.scalar(select(Content).where(Content.replaces_id == content.id))


def versions(session: Session, content: Content) -> list[Content]:
    """Every version of the item `content` is one of, oldest first."""
    chain = [content]
    while chain[0].replaces_id is not None:
        older = session.get(Content, chain[0].replaces_id)
        if older is None:
            break
        chain.insert(0, older)
    while (newer := newer_version(session, chain[-1])) is not None:
        chain.append(newer)
    return chain


def edit_content(
    session: Session,
    content_id: int,
    *,
    title: str,
    body: str,
    actor: str,
    now: datetime,
    tags: Iterable[str] = (),
    language: str = "id",
    kind: ContentKind | str = ContentKind.LITERACY,
    picture: Picture | None = None,
    keep_media: bool = True,
    submit: bool = False,
) -> Content:
    """Changes an item; returns the item that holds the change. An approved item is never
    changed: a new version replaces it once approved (one at a time; its image is kept unless
    `keep_media` is False). Anything else is changed in place and goes back to draft (a
    decision was taken on other words), or waits again with `submit`."""
    content = get_content(session, content_id, lock=True)
    fields = {
        "title": check_title(title),
        "body": check_body(body),
        "tags": clean_tags(tags),
        "language": check_language(language),
        "kind": check_kind(kind).value,
    }
    media_url = content.media_url if keep_media else None
    if state_of(content) is ContentState.APPROVED:
        newer = newer_version(session, content)
        if newer is not None:
            raise EditorialError("content_has_newer_version", id=content.id, newer=newer.id)
        changed = Content(
            **fields,
            verdict=content.verdict,
            source_url=content.source_url,
            created_by=actor[:100],
            created_at=now,
            version=content.version + 1,
            replaces_id=content.id,
            image_sha256=content.image_sha256 if keep_media else None,
            image_type=content.image_type if keep_media else None,
            image_size=content.image_size if keep_media else None,
        )
        _attach(changed, picture, media_url)
        session.add(changed)
        session.flush()
        audit.record(
            session, actor, "new_version", "content", changed.id, now,
            replaces=content.id, version=changed.version,
        )  # fmt: skip
    else:
        changed = content
        for name, value in fields.items():
            setattr(changed, name, value)
        _attach(changed, picture, media_url)
        changed.updated_by = actor[:100]
        changed.updated_at = now
        changed.submitted_by = changed.submitted_at = None
        changed.rejected_by = changed.rejected_at = changed.rejected_reason = None
        audit.record(session, actor, "edited", "content", changed.id, now)
    if submit:
        session.flush()  # the change first: submitting reads the row afresh
        submit_content(session, changed.id, actor=actor, now=now)
    return changed


def submit_content(session: Session, content_id: int, *, actor: str, now: datetime) -> Content:
    """A draft (or a rejected item, changed or not) now waits for an editor."""
    content = get_content(session, content_id, lock=True)
    state = state_of(content)
    if state is ContentState.APPROVED:
        raise EditorialError("content_already_approved", id=content.id, by=content.approved_by)
    if state is ContentState.WAITING:
        raise EditorialError("content_already_submitted", id=content.id)
    content.submitted_by = actor[:100]
    content.submitted_at = now
    content.rejected_by = content.rejected_at = content.rejected_reason = None
    audit.record(session, actor, "submitted", "content", content.id, now)
    return content


def _decidable(content: Content, actor: str, same_person: Member | None) -> None:
    """Only a waiting item, and never by anyone who wrote or edited it (see the module)."""
    state = state_of(content)
    if state is ContentState.APPROVED:
        raise EditorialError("content_already_approved", id=content.id, by=content.approved_by)
    writers = {content.created_by, content.updated_by} - {None}
    mine = {actor[:100]}
    if same_person is not None:
        mine.add(member_actor(same_person)[:100])
    if writers & mine:
        raise EditorialError("own_content", id=content.id)
    if state is ContentState.REJECTED:
        raise EditorialError("content_already_rejected", id=content.id)
    if state is ContentState.DRAFT:
        raise EditorialError("content_not_submitted", id=content.id)


def approve_content(
    session: Session,
    content_id: int,
    *,
    actor: str,
    now: datetime,
    same_person: Member | None = None,
) -> Content:
    """Approves a waiting item for reuse. Four eyes, as for broadcasts: not by anyone who wrote
    or edited it. `same_person`: the member a dashboard account is linked to."""
    content = get_content(session, content_id, lock=True)
    _decidable(content, actor, same_person)
    content.approved_by = actor[:100]
    content.approved_at = now
    audit.record(session, actor, "approved", "content", content.id, now)
    if search.searchable(content):
        search.index(session, content)
    return content


def reject_content(
    session: Session,
    content_id: int,
    *,
    actor: str,
    reason: str,
    now: datetime,
    same_person: Member | None = None,
) -> Content:
    """Rejects a waiting item with a reason its author reads; they may change it and submit it
    again. The same four eyes as approving."""
    content = get_content(session, content_id, lock=True)
    _decidable(content, actor, same_person)
    reason = " ".join(reason.split())
    if not reason:
        raise EditorialError("content_reason_required", id=content.id)
    content.rejected_by = actor[:100]
    content.rejected_at = now
    content.rejected_reason = reason[:MAX_REASON]
    audit.record(session, actor, "rejected", "content", content.id, now, reason=reason[:200])
    return content
