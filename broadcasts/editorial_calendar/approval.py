"""Approving calendar entries ahead of time, so a post set up on Friday goes out on Monday.

An entry approved by an editor other than its author sends its occurrences at their time with no
further step: the worker's scan makes each broadcast approved by that editor. What was approved
is pinned by a version (a hash of the text, media, kind, language and tags): an entry changed
afterwards is no longer approved and waits again. Entries that are still unapproved when their
time comes near remind their groups' editors a day and an hour before.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from broadcasts.db.models import CalendarEntry, CalendarTarget, Campaign, Content, Member
from broadcasts.delivery import notices
from broadcasts.editorial import audit
from broadcasts.editorial.workflow import may_edit, member_actor, reviewers
from broadcasts.errors import CalendarError
from broadcasts.phrasebook import zone_name

# Reminders before an unapproved occurrence: (how long before, the name in its dedupe key).
REMINDERS = ((timedelta(days=1), "day"), (timedelta(hours=1), "hour"))


@dataclass(frozen=True)
class Approver:
    """Who approves: an actor key for the audit log ("admin:siti", "member:+62…"), and the
    member when it is one (who must then be an editor of every group the entry reaches)."""

    key: str
    member: Member | None = None
    # The member a dashboard account is linked to: what that phone wrote is the account's own too.
    same_person: Member | None = None


def version(entry: CalendarEntry) -> str:
    """What an approval covers: changing any of it voids the approval."""
    return _version(
        entry.body, entry.content_id, entry.media_url, entry.kind, entry.language, entry.tags
    )


def _version(
    body: str | None,
    content_id: int | None,
    media_url: str | None,
    kind: str,
    language: str,
    tags: list[str] | None,
) -> str:
    approved = {
        "body": body,
        "content_id": content_id,
        "media_url": media_url,
        "kind": kind,
        "language": language,
        "tags": sorted(tags or []),
    }
    return hashlib.sha256(json.dumps(approved, sort_keys=True).encode()).hexdigest()[:64]


def approved_entries(session: Session, entry_ids: Collection[int]) -> set[int]:
    """Of these entries, those that go out with no further step (as `is_approved`), read as
    plain rows: the agenda asks this of thousands of entries at once."""
    if not entry_ids:
        return set()
    rows = session.execute(
        select(
            CalendarEntry.id,
            CalendarEntry.body,
            CalendarEntry.content_id,
            CalendarEntry.media_url,
            CalendarEntry.kind,
            CalendarEntry.language,
            CalendarEntry.tags,
            CalendarEntry.approved_at,
            CalendarEntry.approved_version,
            Content.approved_at,
        )
        .outerjoin(Content, Content.id == CalendarEntry.content_id)
        .where(CalendarEntry.id.in_(list(entry_ids)))
    )
    found = set()
    for row in rows:
        entry_id, body, content_id, media, kind, language, tags, at, pinned, content_at = row
        pinned_now = at is not None and pinned == _version(
            body, content_id, media, kind, language, tags
        )
        library = content_at is not None and body is None
        if pinned_now or library:
            found.add(entry_id)
    return found


def approved_by(entry: CalendarEntry) -> str | None:
    """Who approved the entry as it now stands; None when nobody did, or it changed since."""
    if entry.approved_at is not None and entry.approved_version == version(entry):
        return entry.approved_by
    return None


def is_approved(session: Session, entry: CalendarEntry) -> bool:
    """Sent with no further step: approved as it now stands, or library content an editor
    approved that it sends as it is."""
    if approved_by(entry) is not None:
        return True
    if entry.content_id is None or entry.body is not None:
        return False
    content = session.get(Content, entry.content_id)
    return content is not None and content.approved_at is not None


def approve_entry(
    session: Session, entry_id: int, approver: Approver, now: datetime
) -> CalendarEntry:
    """Approves one entry; refused for its own author, for a member who is not an editor of
    every group it reaches, and for a cancelled entry."""
    entry = session.scalar(
        select(CalendarEntry)
        .where(CalendarEntry.id == entry_id)
        .options(joinedload(CalendarEntry.targets).joinedload(CalendarTarget.group))
    )
    if entry is None:
        raise CalendarError("unknown_entry", id=entry_id)
    _check(session, entry, approver)
    entry.approved_by = approver.key[:100]
    entry.approved_at = now
    entry.approved_version = version(entry)
    audit.record(session, approver.key, "calendar_approved", "calendar_entry", entry.id, now)
    return entry


def approve_campaign(
    session: Session, name: str, approver: Approver, now: datetime
) -> list[CalendarEntry]:
    """Approves every entry of a campaign still to send; all or none."""
    campaign = session.scalar(select(Campaign).where(Campaign.name == name))
    if campaign is None:
        raise CalendarError("unknown_campaign", name=name)
    entries = session.scalars(
        select(CalendarEntry)
        .where(CalendarEntry.campaign_id == campaign.id, CalendarEntry.cancelled_at.is_(None))
        .order_by(CalendarEntry.id)
    ).all()
    approved = [approve_entry(session, entry.id, approver, now) for entry in entries]
    audit.record(
        session,
        approver.key,
        "campaign_approved",
        "campaign",
        campaign.id,
        now,
        entries=len(approved),
    )
    return approved


def _check(session: Session, entry: CalendarEntry, approver: Approver) -> None:
    if entry.cancelled_at is not None:
        raise CalendarError("entry_cancelled", id=entry.id)
    own = (approver.key, *(member_actor(m) for m in (approver.member, approver.same_person) if m))
    if entry.created_by in own:
        raise CalendarError("own_entry", id=entry.id)
    if approver.member is None:
        return
    for target in entry.targets:
        if not may_edit(session, approver.member, target.group):
            raise CalendarError("not_editor_of", id=entry.id, code=target.group.code)


def remind_editors(session: Session, now: datetime, default_language: str = "id") -> int:
    """Tells the editors of each group whose next occurrence of an unapproved entry is a day
    or an hour away; each reminder once (its dedupe key names the occurrence). Returns how many
    were planned."""
    soonest = max(before for before, _ in REMINDERS)
    due = session.execute(
        select(CalendarTarget, CalendarEntry)
        .join(CalendarEntry, CalendarTarget.entry_id == CalendarEntry.id)
        .where(
            CalendarTarget.next_due_at.is_not(None),
            CalendarTarget.next_due_at > now,
            CalendarTarget.next_due_at <= now + soonest,
            CalendarEntry.cancelled_at.is_(None),
        )
        .options(joinedload(CalendarTarget.group))
    ).all()
    planned = 0
    for target, entry in due:
        if is_approved(session, entry) or target.next_due_at is None:
            continue
        which = next(
            name for before, name in sorted(REMINDERS) if target.next_due_at <= now + before
        )
        local = target.next_due_at.astimezone(ZoneInfo(target.group.timezone))
        data = {"entry": entry, "group": target.group, "due": local, "zone": zone_name(local)}
        for editor in reviewers(session, target.group):
            planned += bool(
                notices.notify(
                    session,
                    editor,
                    "notice_calendar_unapproved",
                    {**data, "soon": which},
                    dedupe_key=(
                        f"remind:{entry.id}:{target.group_id}:{target.next_key}:{which}:{editor.id}"
                    ),
                    now=now,
                    default_language=default_language,
                )
            )
    return planned
