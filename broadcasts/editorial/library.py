"""The content library: items written once, approved once, reused by broadcasts and by CEK
(an approved clarification is indexed for CEK when it is approved: `hoaxes.search`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcasts.db.database import MAX_ID
from broadcasts.db.models import Content, ContentKind
from broadcasts.editorial import audit
from broadcasts.editorial.workflow import (
    check_body,
    check_kind,
    check_language,
    check_media_url,
    clean_tags,
)
from broadcasts.errors import EditorialError
from broadcasts.hoaxes import search

MAX_TITLE = 200


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
) -> Content:
    """A new library item, not yet approved; a clarification may carry its verdict (HOAKS…)
    and the address of its source."""
    title = " ".join(title.split())
    if not title:
        raise EditorialError("empty_title")
    if len(title) > MAX_TITLE:
        raise EditorialError("title_too_long", limit=MAX_TITLE, length=len(title))
    content = Content(
        title=title,
        body=check_body(body),
        media_url=check_media_url(media_url),
        tags=clean_tags(tags),
        language=check_language(language),
        kind=check_kind(kind).value,
        verdict=verdict,
        source_url=check_media_url(source_url),
        created_by=created_by[:100],
        created_at=now,
    )
    session.add(content)
    session.flush()
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


def get_content(session: Session, content_id: int) -> Content:
    found = session.get(Content, content_id) if 0 < content_id <= MAX_ID else None
    if found is None:
        raise EditorialError("unknown_content", id=content_id)
    return found


def list_contents(
    session: Session, *, approved: bool | None = None, limit: int = 100
) -> list[Content]:
    """Newest first; `approved` True/False narrows to approved or waiting items."""
    query = select(Content).order_by(Content.id.desc()).limit(limit)
    if approved is True:
        query = query.where(Content.approved_at.is_not(None))
    elif approved is False:
        query = query.where(Content.approved_at.is_(None))
    return list(session.scalars(query))


def approve_content(session: Session, content_id: int, *, actor: str, now: datetime) -> Content:
    """Approves an item for reuse. Four eyes, as for broadcasts: not by the one who wrote it."""
    content = session.scalar(
        select(Content)
        .where(Content.id == get_content(session, content_id).id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert content is not None  # found just above, and contents are never deleted here
    if content.approved_at is not None:
        raise EditorialError("content_already_approved", id=content.id, by=content.approved_by)
    if actor == content.created_by:
        raise EditorialError("own_content", id=content.id)
    content.approved_by = actor[:100]
    content.approved_at = now
    audit.record(session, actor, "approved", "content", content.id, now)
    if search.searchable(content):
        search.index(session, content)
    return content
