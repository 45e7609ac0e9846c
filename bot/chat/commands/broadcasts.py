"""Broadcasts by chat: propose (SIARKAN), approve (SETUJUI), reject (TOLAK), the queue (ANTREAN),
one's own recent broadcasts (SIARAN SAYA), state and delivery (STATUS) and cancelling (BATAL).
The rules live in `broadcasts.editorial.workflow`."""

from __future__ import annotations

import re

from bot.chat.conversation import Conversation
from bot.chat.registry import Reply, anything, chat_commands, refused
from broadcasts.db.models import Broadcast, BroadcastState, DeliveryState, Group, Role
from broadcasts.delivery import outbox, planning, quota
from broadcasts.delivery import report as delivery_report
from broadcasts.delivery.notices import NoticeOutcome
from broadcasts.editorial import workflow as editorial
from broadcasts.editorial.workflow import member_actor
from broadcasts.errors import EditorialError, MembershipError
from broadcasts.people import membership

_ID = re.compile(r"#?(\d{1,10})", re.ASCII)
QUEUE_SHOWN = 10
MINE_SHOWN = 10


def parse_id(word: str) -> int | None:
    """A broadcast id as people write it: `12` or `#12`."""
    found = _ID.fullmatch(word.strip())
    return int(found.group(1)) if found else None


def starts_with_id(conversation: Conversation, args: str) -> bool:
    """The arguments of a command about one broadcast start with its number."""
    parts = args.split(maxsplit=1)
    return bool(parts) and parse_id(parts[0]) is not None


def usage(command: str) -> Reply:
    return Reply("broadcast_usage", {"command": command})


def _id_and_rest(args: str) -> tuple[int | None, str]:
    parts = args.split(maxsplit=1)
    if not parts:
        return None, ""
    return parse_id(parts[0]), parts[1] if len(parts) > 1 else ""


@chat_commands.command(
    "SIARKAN",
    english=("BROADCAST",),
    role=Role.COORDINATOR,
    help="help_siarkan",
    free_text=True,
)
def propose(conversation: Conversation, args: str) -> Reply:
    parts = args.split(maxsplit=1)
    if len(parts) < 2:
        return usage("siarkan")
    code, text = parts
    session, member, now = conversation.session, conversation.member, conversation.now
    try:
        group = membership.group_by_code(session, code)
        broadcast = editorial.propose(
            session,
            group=group,
            author=member_actor(member),
            author_member=member,
            body=text,
            language=conversation.language,
            now=now,
        )
    except MembershipError as error:
        return refused(error)
    except EditorialError as error:
        return refused(error)
    audience = planning.audience_size(session, group.id)
    remaining = quota.remaining_today(session, conversation.settings.whatsapp_daily_limit, now)
    editors = editorial.review_notices(session, broadcast, author_member=member)
    return Reply(
        "broadcast_proposed",
        {
            "id": broadcast.id,
            "code": group.code,
            "group": group.name,
            "preview": editorial.preview(broadcast.body),
            "audience": audience,
            "remaining": remaining,
            "over_quota": audience > remaining,
            "editors": editors.told + editors.waiting + editors.not_reached,
            **editors.data(),
        },
    )


@chat_commands.command(
    "SETUJUI", english=("APPROVE",), role=Role.EDITOR, help="help_setujui", takes=anything
)
def approve(conversation: Conversation, args: str) -> Reply:
    broadcast_id, _ = _id_and_rest(args)
    if broadcast_id is None:
        return usage("setujui")
    member = conversation.member
    try:
        broadcast = editorial.approve(
            conversation.session,
            broadcast_id,
            editor=member,
            actor=member_actor(member),
            now=conversation.now,
        )
    except EditorialError as error:
        return refused(error)
    planned = sum(outbox.counts(conversation.session, broadcast.id).values())
    return Reply(
        "broadcast_approved",
        {
            "id": broadcast.id,
            "code": broadcast.group.code,
            "planned": planned,
            "sending": broadcast.state != BroadcastState.APPROVED.value,
            "scheduled": editorial.local_time(broadcast, broadcast.scheduled_at),
        },
    )


@chat_commands.command(
    "TOLAK",
    english=("REJECT",),
    role=Role.EDITOR,
    help="help_tolak",
    free_text=True,
)
def reject(conversation: Conversation, args: str) -> Reply:
    broadcast_id, reason = _id_and_rest(args)
    if broadcast_id is None or not reason.strip():
        return usage("tolak")
    member = conversation.member
    try:
        broadcast = editorial.reject(
            conversation.session,
            broadcast_id,
            editor=member,
            actor=member_actor(member),
            reason=reason,
            now=conversation.now,
        )
    except EditorialError as error:
        return refused(error)
    author = editorial.author_notice(
        conversation.session, broadcast, "notice_rejected", acting=member
    )
    return Reply(
        "broadcast_rejected",
        {
            "id": broadcast.id,
            "reason": broadcast.rejected_reason,
            "told": author is NoticeOutcome.DELIVERING,
            "waiting": author is NoticeOutcome.WAITING,
            "not_reached": author is NoticeOutcome.NOT_SENT,
        },
    )


def _queue_line(conversation: Conversation, broadcast: Broadcast) -> dict[str, object]:
    return {
        "id": broadcast.id,
        "code": broadcast.group.code,
        "author": editorial.author_name(conversation.session, broadcast),
        "preview": editorial.preview(broadcast.body, 80),
    }


@chat_commands.command(
    "ANTREAN", english=("QUEUE",), aliases=("ANTRIAN",), role=Role.EDITOR, help="help_antrean"
)
def queue(conversation: Conversation, args: str) -> Reply:
    waiting = editorial.visible_queue(conversation.session, conversation.member)
    return Reply(
        "broadcast_queue",
        {
            "items": [_queue_line(conversation, b) for b in waiting[:QUEUE_SHOWN]],
            "more": max(0, len(waiting) - QUEUE_SHOWN),
        },
    )


def _times(broadcast: Broadcast) -> dict[str, object]:
    """Its send time (set, or when it started going out) on its group's clock."""
    return {
        "scheduled": editorial.local_time(broadcast, broadcast.scheduled_at),
        "started": editorial.local_time(broadcast, broadcast.planned_at),
    }


def status_data(conversation: Conversation, broadcast: Broadcast) -> dict[str, object]:
    session = conversation.session
    counts = outbox.counts(session, broadcast.id)
    return {
        "id": broadcast.id,
        "code": broadcast.group.code,
        "group": broadcast.group.name,
        "state": broadcast.state,
        "counts": counts,
        "in_flight": counts["sending"] + counts["unknown"],
        "total": sum(counts.values()),
        **_times(broadcast),
        "reason": broadcast.rejected_reason,
        "failed_reasons": (
            delivery_report.reasons(session, broadcast.id, DeliveryState.FAILED)
            if counts["failed"]
            else []
        ),
        "skipped_reasons": (
            delivery_report.reasons(session, broadcast.id, DeliveryState.SKIPPED)
            if counts["skipped"]
            else []
        ),
    }


@chat_commands.command(
    "SIARAN SAYA", english=("MY BROADCASTS",), role=Role.COORDINATOR, help="help_siaran_saya"
)
def mine(conversation: Conversation, args: str) -> Reply:
    session, member = conversation.session, conversation.member
    recent = delivery_report.authored_by(session, member, MINE_SHOWN)
    items = [
        {
            "id": b.id,
            "group": b.group.name,
            "code": b.group.code,
            "state": b.state,
            **_times(b),
        }
        for b in recent
    ]
    coordinated = [
        group_id
        for group_id, role in conversation.roles.items()
        if role.rank >= Role.COORDINATOR.rank
    ]
    example = session.get(Group, min(coordinated)) if coordinated else None
    return Reply("my_broadcasts", {"items": items, "code": example.code if example else None})


@chat_commands.command("STATUS", role=Role.COORDINATOR, help="help_status", takes=starts_with_id)
def status(conversation: Conversation, args: str) -> Reply:
    broadcast_id, _ = _id_and_rest(args)
    if broadcast_id is None:
        return usage("status")
    try:
        broadcast = editorial.followed_broadcast(
            conversation.session, broadcast_id, conversation.member
        )
    except EditorialError as error:
        return refused(error)
    return Reply("broadcast_status", status_data(conversation, broadcast))


@chat_commands.command(
    "BATAL", english=("CANCEL",), role=Role.COORDINATOR, help="help_batal", takes=starts_with_id
)
def cancel(conversation: Conversation, args: str) -> Reply:
    broadcast_id, _ = _id_and_rest(args)
    if broadcast_id is None:
        return usage("batal")
    member = conversation.member
    try:
        broadcast = editorial.cancel(
            conversation.session,
            broadcast_id,
            actor=member_actor(member),
            member=member,
            now=conversation.now,
        )
    except EditorialError as error:
        return refused(error)
    return Reply("broadcast_cancelled", status_data(conversation, broadcast))
