"""Editorial workflow: a coordinator proposes, an editor other than the author approves or
rejects, a coordinator or editor may cancel. Every decision is audited; the people concerned are
told by notice.

Who may do what is checked here, against the group tree (`membership.role_in_group`), whatever
the caller (chat, CLI, dashboard, calendar). `editor=None` / `member=None` means an admin or the
system acting; the caller vouches for that, and its `actor` must still differ from the author.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcasts.db.database import MAX_ID
from broadcasts.db.models import (
    Broadcast,
    BroadcastState,
    Content,
    ContentKind,
    Group,
    Member,
    Membership,
    Role,
)
from broadcasts.delivery import notices, outbox, planning
from broadcasts.editorial import audit
from broadcasts.errors import EditorialError
from broadcasts.hoaxes import search
from broadcasts.people.group_tree import staff_above, subtree
from broadcasts.people.membership import is_erased_actor, role_in_group, shown_phone
from config.settings import SUPPORTED_LANGUAGES

# Twilio refuses a WhatsApp body longer than this.
MAX_MESSAGE = 1600
# What an author may write: the rest of a message is kept for the sending group's name above the
# text and the line on how to stop broadcasts below it, which every broadcast carries
# (`delivery.framing`; the stop line is 48 characters, a group's name 30 or so).
MAX_BODY = 1500
PREVIEW_LENGTH = 160
# Ids are 32-bit integers in the database; a bigger number cannot be a broadcast.
_OPEN_STATES = (
    BroadcastState.PENDING.value,
    BroadcastState.APPROVED.value,
    BroadcastState.SENDING.value,
)


# --- Checks on what is proposed -------------------------------------------------------------


def check_body(body: str) -> str:
    text = body.strip()
    if not text:
        raise EditorialError("empty_body")
    if len(text) > MAX_BODY:
        raise EditorialError("body_too_long", limit=MAX_BODY, length=len(text))
    return text


def check_media_url(media_url: str | None) -> str | None:
    if media_url is None or not media_url.strip():
        return None
    url = media_url.strip()
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or len(url) > 1000:
        raise EditorialError("bad_media_url", url=url[:100])
    return url


def check_language(language: str) -> str:
    if language not in SUPPORTED_LANGUAGES:
        raise EditorialError("unknown_language", language=language)
    return language


def check_kind(kind: ContentKind | str) -> ContentKind:
    try:
        return ContentKind(kind)
    except ValueError as error:
        raise EditorialError("unknown_kind", kind=str(kind)) from error


def clean_tags(tags: Iterable[str]) -> list[str]:
    found: list[str] = []
    for tag in tags:
        cleaned = tag.strip().lower()[:50]
        if cleaned and cleaned not in found:
            found.append(cleaned)
    return found


def preview(text: str, limit: int = PREVIEW_LENGTH) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


# --- Who is who ------------------------------------------------------------------------------


def member_actor(member: Member) -> str:
    """How a member appears in the audit log and in `Broadcast.author`."""
    return f"member:{member.phone or member.id}"


def display_name(member: Member | None, fallback: str) -> str:
    """How a member is named to others: their name, else their number masked. "" for a person
    whose data was erased (the templates say "anggota terhapus")."""
    if member is None:
        if is_erased_actor(fallback):
            return ""
        kind, _, rest = fallback.partition(":")
        return shown_phone(rest) if kind == "member" and rest.startswith("+") else rest or kind
    if member.erased_at is not None:
        return ""
    return member.name or (shown_phone(member.phone) if member.phone else f"#{member.id}")


def may_coordinate(session: Session, member: Member, group: Group) -> bool:
    role = role_in_group(session, member, group)
    return role is not None and role.rank >= Role.COORDINATOR.rank


def may_edit(session: Session, member: Member, group: Group) -> bool:
    return role_in_group(session, member, group) == Role.EDITOR


def reviewers(session: Session, group: Group, *, exclude: Member | None = None) -> list[Member]:
    """Editors of the group and of every group above it (they approve here), each once."""
    besides = exclude.id if exclude is not None else None
    return staff_above(session, [group.id], [Role.EDITOR], besides=besides)


# --- Finding broadcasts ----------------------------------------------------------------------


def get_broadcast(session: Session, broadcast_id: int, *, lock: bool = False) -> Broadcast:
    """The broadcast, locked against concurrent decisions when `lock` (PostgreSQL)."""
    if not 0 < broadcast_id <= MAX_ID:
        raise EditorialError("unknown_broadcast", id=broadcast_id)
    query = select(Broadcast).where(Broadcast.id == broadcast_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    found = session.scalar(query)
    if found is None:
        raise EditorialError("unknown_broadcast", id=broadcast_id)
    return found


def _require_state(broadcast: Broadcast, allowed: tuple[str, ...]) -> None:
    if broadcast.state not in allowed:
        raise EditorialError(f"already_{broadcast.state}", id=broadcast.id)


def local_time(broadcast: Broadcast, at: datetime | None) -> datetime | None:
    """A stored UTC time as the broadcast's group reads it."""
    return at.astimezone(ZoneInfo(broadcast.group.timezone)) if at is not None else None


def _author(session: Session, broadcast: Broadcast) -> Member | None:
    return session.get(Member, broadcast.author_id) if broadcast.author_id is not None else None


def author_name(session: Session, broadcast: Broadcast) -> str:
    return display_name(_author(session, broadcast), broadcast.author)


def _broadcast_data(broadcast: Broadcast, **extra: Any) -> dict[str, Any]:
    return {
        "id": broadcast.id,
        "group": broadcast.group.name,
        "code": broadcast.group.code,
        "preview": preview(broadcast.body, 1000),
        **extra,
    }


# --- The workflow ----------------------------------------------------------------------------


def propose(
    session: Session,
    *,
    group: Group,
    author: str,
    author_member: Member | None,
    body: str,
    media_url: str | None = None,
    kind: ContentKind | str = ContentKind.LITERACY,
    tags: Iterable[str] = (),
    language: str = "id",
    content: Content | None = None,
    content_is_draft: bool = False,
    claim_id: int | None = None,
    scheduled_at: datetime | None = None,
    now: datetime,
    tell_editors: bool = True,
) -> Broadcast:
    """A new PENDING broadcast to `group` and its sub-groups; the group's editors are told,
    unless the caller approves it at once (`tell_editors=False`: a calendar entry approved
    ahead of time), when there is nothing for them to review.

    `content_is_draft`: the content was written with this broadcast (a clarification from a
    verdict) and is approved with it. `claim_id`: a clarification that goes to the reporters of
    that hoax claim instead of the group tree (`planning`); the group's editors approve it."""
    if author_member is not None and not may_coordinate(session, author_member, group):
        raise EditorialError("not_coordinator", code=group.code)
    if content is not None and content.approved_at is None and not content_is_draft:
        raise EditorialError("content_not_approved", id=content.id)
    if scheduled_at is not None and scheduled_at.tzinfo is None:
        raise ValueError("scheduled_at must be timezone-aware")
    if not media_url and content is not None:
        media_url = content.media_url
    broadcast = Broadcast(
        group_id=group.id,
        author_id=author_member.id if author_member is not None else None,
        author=author[:100],
        content_id=content.id if content is not None else None,
        body=check_body(body),
        media_url=check_media_url(media_url),
        language=check_language(language),
        kind=check_kind(kind).value,
        tags=clean_tags(tags),
        state=BroadcastState.PENDING.value,
        scheduled_at=scheduled_at,
        claim_id=claim_id,
        created_at=now,
    )
    session.add(broadcast)
    session.flush()
    audit.record(session, author, "proposed", "broadcast", broadcast.id, now, group=group.code)
    if not tell_editors:
        return broadcast
    name = display_name(author_member, author)
    for editor in reviewers(session, group, exclude=author_member):
        notices.notify(
            session,
            editor,
            "notice_review",
            _broadcast_data(broadcast, author=name),
            dedupe_key=_review_key(broadcast, editor),
            now=now,
        )
    return broadcast


def _review_key(broadcast: Broadcast, editor: Member) -> str:
    return f"{_reviews_of(broadcast)}{editor.id}"


def _reviews_of(broadcast: Broadcast) -> str:
    return f"broadcast:{broadcast.id}:review:"


def _no_more_reviews(session: Session, broadcast: Broadcast, now: datetime) -> None:
    """Once decided, a broadcast's review requests not yet sent (held until the editor writes
    again) are not sent: they would ask someone to approve what is already approved."""
    outbox.skip_notices(session, _reviews_of(broadcast), now, reason=outbox.DECIDED)


def review_notices(
    session: Session, broadcast: Broadcast, *, author_member: Member | None
) -> notices.NoticeCounts:
    """How the review requests `propose` planned for the broadcast's editors stand: told,
    waiting for the editor to write, or not reached (stopped broadcasts, no phone)."""
    editors = reviewers(session, broadcast.group, exclude=author_member)
    return notices.planned_counts(session, (_review_key(broadcast, e) for e in editors))


def author_notice(
    session: Session, broadcast: Broadcast, template: str, *, acting: Member | None
) -> notices.NoticeOutcome | None:
    """How the notice `template` to the broadcast's author stands; None when nobody was to be
    told (no author member, or the author is the one acting)."""
    if broadcast.author_id is None or (acting is not None and acting.id == broadcast.author_id):
        return None
    return notices.outcome_of(notices.planned_notice(session, _author_key(broadcast, template)))


def _check_editor(session: Session, broadcast: Broadcast, editor: Member | None) -> None:
    if editor is not None and not may_edit(session, editor, broadcast.group):
        raise EditorialError("not_editor", id=broadcast.id, code=broadcast.group.code)


def approve(
    session: Session,
    broadcast_id: int,
    *,
    editor: Member | None,
    actor: str,
    now: datetime,
    same_person: Member | None = None,
) -> Broadcast:
    """Approves a pending broadcast. Due now (no time set, or its time has passed): planned in
    this same transaction; otherwise `planning.plan_due` picks it up at its time.

    `same_person` is the member a dashboard account is linked to: what they proposed by chat
    is as much their own as what the account proposed."""
    broadcast = get_broadcast(session, broadcast_id, lock=True)
    _check_editor(session, broadcast, editor)
    own = any(m is not None and m.id == broadcast.author_id for m in (editor, same_person))
    if own or actor == broadcast.author:
        raise EditorialError("own_broadcast", id=broadcast.id)
    _require_state(broadcast, (BroadcastState.PENDING.value,))
    broadcast.state = BroadcastState.APPROVED.value
    broadcast.approved_by = actor[:100]
    broadcast.approved_by_id = editor.id if editor is not None else None
    broadcast.approved_at = now
    audit.record(session, actor, "approved", "broadcast", broadcast.id, now)
    _no_more_reviews(session, broadcast, now)
    _approve_draft_content(session, broadcast, actor, now)
    _tell_author(
        session,
        broadcast,
        editor,
        "notice_approved",
        now,
        scheduled=local_time(broadcast, broadcast.scheduled_at),
    )
    if broadcast.scheduled_at is None or broadcast.scheduled_at <= now:
        planning.plan(session, broadcast, now)
    return broadcast


def _approve_draft_content(
    session: Session, broadcast: Broadcast, actor: str, now: datetime
) -> None:
    """Content written with its broadcast (`propose(content_is_draft=True)`) is approved with
    it, by the same editor: the same four eyes. An approved clarification becomes findable."""
    content = session.get(Content, broadcast.content_id) if broadcast.content_id else None
    if content is None or content.approved_at is not None:
        return
    content.approved_by = actor[:100]
    content.approved_at = now
    audit.record(session, actor, "approved", "content", content.id, now, broadcast=broadcast.id)
    if search.searchable(content):
        search.index(session, content)


def reject(
    session: Session,
    broadcast_id: int,
    *,
    editor: Member | None,
    actor: str,
    reason: str,
    now: datetime,
) -> Broadcast:
    """Rejects a pending broadcast with a reason, which the author is told."""
    reason = " ".join(reason.split())
    if not reason:
        raise EditorialError("reason_required", id=broadcast_id)
    broadcast = get_broadcast(session, broadcast_id, lock=True)
    _check_editor(session, broadcast, editor)
    _require_state(broadcast, (BroadcastState.PENDING.value,))
    broadcast.state = BroadcastState.REJECTED.value
    broadcast.rejected_reason = reason[:1000]
    audit.record(session, actor, "rejected", "broadcast", broadcast.id, now, reason=reason)
    _no_more_reviews(session, broadcast, now)
    _tell_author(session, broadcast, editor, "notice_rejected", now, reason=reason[:500])
    return broadcast


def cancel(
    session: Session, broadcast_id: int, *, actor: str, member: Member | None, now: datetime
) -> Broadcast:
    """Cancels a broadcast not yet finished: every delivery still queued is skipped, at once.

    A delivery a dispatcher has already started is not recalled; the dispatcher re-checks the
    broadcast's state when it claims rows, so nothing queued now is sent after this commits.
    """
    broadcast = get_broadcast(session, broadcast_id, lock=True)
    if member is not None and not may_coordinate(session, member, broadcast.group):
        raise EditorialError("not_coordinator", code=broadcast.group.code)
    _require_state(broadcast, _OPEN_STATES)
    broadcast.state = BroadcastState.CANCELLED.value
    broadcast.cancelled_by = actor[:100]
    broadcast.cancelled_at = now
    session.flush()
    stopped = outbox.skip_queued(session, now, broadcast_id=broadcast.id)
    _no_more_reviews(session, broadcast, now)
    audit.record(session, actor, "cancelled", "broadcast", broadcast.id, now, stopped=stopped)
    _tell_author(
        session, broadcast, member, "notice_cancelled", now, by=display_name(member, actor)
    )
    return broadcast


def _tell_author(
    session: Session,
    broadcast: Broadcast,
    acting: Member | None,
    template: str,
    now: datetime,
    **data: Any,
) -> None:
    """A notice to the broadcast's author, unless the author is the one acting."""
    author = _author(session, broadcast)
    if author is None or (acting is not None and acting.id == author.id):
        return
    notices.notify(
        session,
        author,
        template,
        _broadcast_data(broadcast, **data),
        dedupe_key=_author_key(broadcast, template),
        now=now,
    )


def _author_key(broadcast: Broadcast, template: str) -> str:
    return f"broadcast:{broadcast.id}:{template}"


# --- Following up ----------------------------------------------------------------------------


def visible_queue(session: Session, editor: Member) -> list[Broadcast]:
    """Pending broadcasts in the groups `editor` edits (and the groups below them), oldest first."""
    edited = select(Membership.group_id).where(
        Membership.member_id == editor.id, Membership.role == Role.EDITOR.value
    )
    tree = subtree(edited)
    return list(
        session.scalars(
            select(Broadcast)
            .where(
                Broadcast.state == BroadcastState.PENDING.value,
                Broadcast.group_id.in_(select(tree.c.id)),
            )
            .order_by(Broadcast.created_at, Broadcast.id)
        )
    )


def followed_broadcast(session: Session, broadcast_id: int, member: Member | None) -> Broadcast:
    """A broadcast whose delivery `member` may follow: coordinators of its group (None: admin)."""
    broadcast = get_broadcast(session, broadcast_id)
    if member is not None and not may_coordinate(session, member, broadcast.group):
        raise EditorialError("not_your_broadcast", id=broadcast.id)
    return broadcast


def recent_broadcasts(
    session: Session, *, state: str | None = None, limit: int = 50
) -> list[Broadcast]:
    query = select(Broadcast).order_by(Broadcast.id.desc()).limit(limit)
    if state is not None:
        query = query.where(Broadcast.state == state)
    return list(session.scalars(query))
