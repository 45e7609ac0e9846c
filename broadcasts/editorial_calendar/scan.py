"""The worker's tick: every occurrence whose time has come becomes exactly one broadcast.

A tick reads the targets due by now (one index range), and for each due occurrence writes its
`calendar_occurrences` row first: the unique (entry, group, occurrence) key means a second
scanner — another worker, a restart, a tick that fired twice — can never make a second broadcast.
On PostgreSQL, SKIP LOCKED lets two scanners share the work without waiting on each other.

Misfires: an occurrence found more than the grace late (the worker was down) is not sent stale;
it is recorded as missed and the group's coordinators are told.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from broadcasts.db.database import Database
from broadcasts.db.models import (
    Blackout,
    Broadcast,
    CalendarAnchorBasis,
    CalendarEntry,
    CalendarOccurrence,
    CalendarTarget,
    Content,
    Group,
    Member,
    OccurrenceState,
    Role,
)
from broadcasts.delivery import notices
from broadcasts.delivery.notices import NoticeCounts
from broadcasts.editorial import audit, library
from broadcasts.editorial import workflow as editorial
from broadcasts.editorial_calendar import approval, stages
from broadcasts.editorial_calendar.context import CalendarContext
from broadcasts.editorial_calendar.targets import is_live, next_for, recompute_where, views_for
from broadcasts.editorial_calendar.timeline import EntryView, Slot
from broadcasts.elections.stored import all_elections
from broadcasts.errors import EditorialError
from broadcasts.people.group_tree import staff_above
from broadcasts.phrasebook import when
from broadcasts.runtime import Runtime

log = logging.getLogger(__name__)

SYSTEM_ACTOR = "system:calendar"
# Targets handled per transaction: a tick with more due (09:00 in every group) goes on in
# further short transactions, so other writers (webhooks, the dispatcher) are never held long.
BATCH = 25
# Transactions per tick at most; anything left is the next tick's.
ROUNDS = 40
# Occurrences of one target handled per tick (a daily entry after a week down: 7).
_PER_TARGET = 100


@dataclass
class ScanResult:
    proposed: list[int] = field(default_factory=list)  # broadcast ids
    missed: int = 0
    skipped: int = 0
    recomputed: int = 0
    targets: int = 0  # targets found due (at most the limit)
    # The coordinators told of missed sends: now, once they write again, or not at all.
    missed_notices: NoticeCounts = field(default_factory=NoticeCounts)

    def add(self, other: ScanResult) -> None:
        self.proposed += other.proposed
        self.missed += other.missed
        self.skipped += other.skipped
        self.recomputed += other.recomputed
        self.targets += other.targets
        self.missed_notices.merge(other.missed_notices)


def scan(session: Session, now: datetime, grace: timedelta, limit: int = BATCH) -> ScanResult:
    """Handles what is due by `now`, for at most `limit` targets; safe to run from several
    processes at once. `result.targets == limit`: there may be more."""
    result = ScanResult(recomputed=follow_election_calendars(session, now))
    due = session.scalars(
        select(CalendarTarget)
        .where(CalendarTarget.next_due_at <= now)
        .order_by(CalendarTarget.next_due_at, CalendarTarget.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=CalendarTarget)
        .options(joinedload(CalendarTarget.entry).joinedload(CalendarEntry.campaign))
    ).all()
    result.targets = len(due)
    if not due:
        return result
    context = CalendarContext.load(session)
    views = views_for(session, {target.entry_id: target.entry for target in due}.values())
    for target in due:
        _handle_target(session, context, views[target.entry_id], target, now, grace, result)
    return result


def _handle_target(
    session: Session,
    context: CalendarContext,
    view: EntryView,
    target: CalendarTarget,
    now: datetime,
    grace: timedelta,
    result: ScanResult,
) -> None:
    slot = next_for(context, view, target) if is_live(target.entry) else None
    missed: list[CalendarOccurrence] = []
    for _ in range(_PER_TARGET):
        if slot is None or slot.due > now:
            break
        occurrence = _handle_occurrence(session, target.entry, slot, now, grace, result)
        if occurrence is not None and occurrence.state == OccurrenceState.MISSED.value:
            missed.append(occurrence)
        target.cursor_key = slot.key
        slot = next_for(context, view, target)
    target.next_due_at = slot.due if slot is not None else None
    target.next_key = slot.key if slot is not None else None
    target.computed_at = now
    if missed:
        # One notice for all the sends of this entry a long outage missed, not one per send.
        result.missed_notices.merge(_tell_coordinators(session, target.entry, missed, now, grace))


def _handle_occurrence(
    session: Session,
    entry: CalendarEntry,
    slot: Slot,
    now: datetime,
    grace: timedelta,
    result: ScanResult,
) -> CalendarOccurrence | None:
    """Records the occurrence (and makes its broadcast); None if another scanner already did."""
    late = now - slot.due
    if slot.placement.skipped:
        state, reason = OccurrenceState.SKIPPED, _blackout_name(slot)
    elif late >= grace:
        state, reason = OccurrenceState.MISSED, f"late by {_hours(late)} h"
    else:
        state, reason = OccurrenceState.PROPOSED, None
    try:
        with session.begin_nested():
            occurrence = CalendarOccurrence(
                entry_id=entry.id,
                group_id=slot.group_id,
                occurrence_key=slot.key,
                nominal_at=slot.placement.nominal,
                due_at=slot.due,
                state=state.value,
                reason=reason,
                created_at=now,
            )
            session.add(occurrence)
            session.flush()  # the unique key speaks here, before any broadcast exists
            if state is OccurrenceState.PROPOSED:
                _propose(session, entry, occurrence, now)
    except IntegrityError:
        log.info("occurrence %s of entry %s was handled elsewhere", slot.key, entry.id)
        return None
    if occurrence.state == OccurrenceState.PROPOSED.value and occurrence.broadcast_id:
        result.proposed.append(occurrence.broadcast_id)
    elif occurrence.state == OccurrenceState.MISSED.value:
        result.missed += 1
        audit.record(
            session,
            SYSTEM_ACTOR,
            "calendar_missed",
            "calendar_entry",
            entry.id,
            now,
            group_id=occurrence.group_id,
            occurrence=occurrence.occurrence_key,
            reason=occurrence.reason,
        )
    else:
        result.skipped += 1
    return occurrence


def _propose(
    session: Session, entry: CalendarEntry, occurrence: CalendarOccurrence, now: datetime
) -> None:
    """A broadcast through the editorial workflow: approved at once when an editor approved the
    entry ahead of time (as it now stands), or it is library content an editor approved and it
    sends as it is; else it waits for an editor."""
    group = session.get_one(Group, occurrence.group_id)
    content = session.get(Content, entry.content_id) if entry.content_id is not None else None
    approved = approval.is_approved(session, entry)
    try:
        with session.begin_nested():
            broadcast = _proposed(session, entry, group, occurrence, content, approved, now)
    except EditorialError as error:
        # The entry cannot become a broadcast (its content changed since it was checked): it is
        # not sent, and the coordinators hear of it like a missed send.
        occurrence.state = OccurrenceState.MISSED.value
        occurrence.reason = f"not proposed: {error.key}"
        return
    occurrence.broadcast_id = broadcast.id
    audit.record(
        session,
        SYSTEM_ACTOR,
        "calendar_proposed",
        "calendar_entry",
        entry.id,
        now,
        broadcast=broadcast.id,
        group=group.code,
        occurrence=occurrence.occurrence_key,
    )


def _proposed(
    session: Session,
    entry: CalendarEntry,
    group: Group,
    occurrence: CalendarOccurrence,
    content: Content | None,
    approved: bool,
    now: datetime,
) -> Broadcast:
    # An entry sends its own text, or a library item as it is (its media, kind and language).
    item = content if content is not None and entry.body is None else None
    own: dict[str, Any] = {
        "body": entry.body or "",
        "media_url": None,
        "kind": entry.kind,
        "tags": [],
    }
    fields: dict[str, Any] = (
        library.broadcast_fields(item) if item is not None else own | {"language": entry.language}
    )
    fields["media_url"] = entry.media_url or fields["media_url"]
    fields["tags"] = [*entry.tags, *fields["tags"]]
    broadcast = editorial.propose(
        session,
        group=group,
        author=_author(entry),
        author_member=None,
        content=item if item is not None and item.approved_at is not None else None,
        scheduled_at=occurrence.due_at,
        now=now,
        tell_editors=not approved,  # approved ahead: no review request for what is going out
        **fields,
    )
    if approved:
        # Approved ahead of time: by its editor, as the audit log and STATUS say.
        approver = approval.approved_by(entry) or SYSTEM_ACTOR
        editorial.approve(session, broadcast.id, editor=None, actor=approver, now=now)
    return broadcast


def _author(entry: CalendarEntry) -> str:
    """How editors see who proposed it: the campaign, or the entry."""
    if entry.campaign is not None:
        return f"calendar:{entry.campaign.title}"[:100]
    return f"calendar:{entry.title}"[:100]


def coordinators(session: Session, group_id: int) -> list[Member]:
    """Coordinators and editors of the group and of the groups above it, each once."""
    return staff_above(session, [group_id], [Role.COORDINATOR, Role.EDITOR])


def _tell_coordinators(
    session: Session,
    entry: CalendarEntry,
    missed: list[CalendarOccurrence],
    now: datetime,
    grace: timedelta,
) -> NoticeCounts:
    first, last = missed[0], missed[-1]
    group = session.get_one(Group, first.group_id)
    zone = ZoneInfo(group.timezone)
    late = [o for o in missed if not (o.reason or "").startswith("not proposed")]
    counts = NoticeCounts()
    for member in coordinators(session, group.id):
        language = member.language or "id"
        outcome = notices.notify(
            session,
            member,
            "calendar_missed",
            {
                "title": entry.title,
                "group": group.name,
                "code": group.code,
                "count": len(missed),
                "due": when(first.due_at.astimezone(zone), language),
                "last": when(last.due_at.astimezone(zone), language),
                "late": bool(late),
                "hours": _hours(now - late[0].due_at) if late else "0",
                "grace": _hours(grace),
                "reason": first.reason,
            },
            dedupe_key=f"calendar:occurrence:{last.id}:missed:{member.id}",
            now=now,
        )
        counts.add(outcome)
    return counts


def _hours(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:.0f}" if hours >= 10 or hours == int(hours) else f"{hours:.1f}"


def _blackout_name(slot: Slot) -> str:
    names = [reason.name for reason in slot.placement.reasons if reason.name]
    return f"blackout: {names[-1]}" if names else "blackout"


# --- New official dates move anchored entries -----------------------------------------------


def follow_election_calendars(session: Session, now: datetime) -> int:
    """Recomputes the targets of every election whose stage dates changed since last looked at.

    Cheap when nothing changed: the calendars are cached per process, and one small query reads
    the fingerprints last applied.
    """
    elections = stages.by_code(all_elections(session))
    applied = {
        code: fingerprint
        for code, fingerprint in session.execute(
            select(CalendarAnchorBasis.election_code, CalendarAnchorBasis.fingerprint)
        )
    }
    changed = {
        code: stages.fingerprint(election)
        for code, election in elections.items()
        if applied.get(code) != stages.fingerprint(election)
    }
    recomputed = 0
    for code, fingerprint in changed.items():
        if not _claim_basis(session, code, fingerprint, now):
            continue  # another scanner is on it, or has just done it
        recomputed += _recompute_election(session, code, now)
    return recomputed


def _claim_basis(session: Session, code: str, fingerprint: str, now: datetime) -> bool:
    """Records `fingerprint` as applied for `code`; False when someone else already has."""
    basis = session.scalar(
        select(CalendarAnchorBasis)
        .where(CalendarAnchorBasis.election_code == code)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if basis is None:
        try:
            with session.begin_nested():
                session.add(CalendarAnchorBasis(election_code=code, fingerprint=fingerprint))
                session.flush()
        except IntegrityError:
            return False
        return True
    if basis.fingerprint == fingerprint:
        return False
    basis.fingerprint, basis.applied_at = fingerprint, now
    return True


def _recompute_election(session: Session, code: str, now: datetime) -> int:
    stage_blackouts = session.scalar(
        select(Blackout.id).where(Blackout.election_code == code).limit(1)
    )
    if stage_blackouts is not None:
        # A blackout follows the stage too, and may hold any entry: recompute them all.
        count = recompute_where(session, now)
    else:
        count = recompute_where(session, now, CalendarEntry.anchor_election == code)
    if count:
        log.info("election %s changed: %d calendar targets recomputed", code, count)
    return count


def tick(database: Database, now: datetime, grace: timedelta) -> ScanResult:
    """One worker tick: scans in short transactions until nothing more is due (or ROUNDS)."""
    result = ScanResult()
    for _ in range(ROUNDS):
        with database.transaction() as session:
            found = scan(session, now, grace)
        result.add(found)
        if found.targets < BATCH:
            break
    return result


def calendar_scan_job(services: Runtime) -> None:
    grace = timedelta(hours=services.settings.calendar_misfire_grace_hours)
    result = tick(services.database, services.clock.now(), grace)
    if result.proposed or result.missed:
        told = result.missed_notices
        log.info(
            "calendar: proposed broadcasts %s, %d missed (coordinators: %d told, %d waiting for"
            " them to write, %d not reached), %d held by a blackout",
            ", ".join(f"#{i}" for i in result.proposed) or "none",
            result.missed,
            told.told,
            told.waiting,
            told.not_reached,
            result.skipped,
        )


def calendar_reminders_job(services: Runtime) -> None:
    """Editors hear of an unapproved calendar post a day and an hour before its time."""
    with services.database.transaction() as session:
        planned = approval.remind_editors(
            session, services.clock.now(), services.settings.bot_language
        )
    if planned:
        log.info("calendar: %d reminders of unapproved posts planned", planned)
