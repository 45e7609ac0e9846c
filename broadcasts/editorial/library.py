"""The content library: items written once, approved once, reused by broadcasts and by CEK."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.orm import Session

from broadcasts.db.models import Content, ContentKind
from broadcasts.editorial import audit
from broadcasts.editorial.workflow import (
    EditorialError,
    check_body,
    check_kind,
    check_language,
    check_media_url,
    clean_tags,
)

MAX_TITLE = 200
_MAX_ID = 2**31 - 1
# Words too common to tell clarifications apart (shorter ones are dropped anyway).
_STOPWORDS = frozenset(
    {
        "yang",
        "dan",
        "dari",
        "itu",
        "ini",
        "apa",
        "ada",
        "untuk",
        "dengan",
        "atau",
        "benar",
        "tidak",
        "apakah",
        "kah",
        "hoaks",
        "hoax",
        "the",
        "and",
        "for",
        "are",
        "was",
        "that",
        "this",
    }
)
_WORD = re.compile(r"\w+", re.UNICODE)


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
) -> Content:
    """A new library item, not yet approved."""
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
        created_by=created_by[:100],
        created_at=now,
    )
    session.add(content)
    session.flush()
    audit.record(session, created_by, "created", "content", content.id, now, title=title)
    return content


def get_content(session: Session, content_id: int) -> Content:
    found = session.get(Content, content_id) if 0 < content_id <= _MAX_ID else None
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
    return content


def search_words(text: str) -> list[str]:
    """The words of a CEK query worth searching for, lower-case, each once."""
    found: list[str] = []
    for word in _WORD.findall(text.lower()):
        if len(word) >= 3 and word not in _STOPWORDS and word not in found:
            found.append(word)
    return found[:10]


def _score(content: Content, words: list[str]) -> int:
    """Tags weigh most, then the title, then the body."""
    title, body, tags = content.title.lower(), content.body.lower(), " ".join(content.tags)
    return sum(3 * (w in tags) + 2 * (w in title) + (w in body) for w in words)


def search_clarifications(
    session: Session, text: str, *, language: str | None = None, limit: int = 3
) -> list[Content]:
    """Approved clarifications matching the words of `text`, best first (the reader's language
    first among equals)."""
    words = search_words(text)
    if not words:
        return []
    haystacks = (func.lower(Content.title), func.lower(Content.body), cast(Content.tags, String))
    matches = [field.contains(word, autoescape=True) for word in words for field in haystacks]
    candidates = session.scalars(
        select(Content)
        .where(
            Content.approved_at.is_not(None),
            Content.kind == ContentKind.CLARIFICATION.value,
            or_(*matches),
        )
        .limit(200)
    ).all()
    ranked = sorted(
        candidates,
        key=lambda c: (-_score(c, words), c.language != language, -c.id),
    )
    return [c for c in ranked if _score(c, words) > 0][:limit]
