"""JADWALKAN / SCHEDULE: set or move the send time of a broadcast not yet sent, on the wall
clock of its group. The rules live in `broadcasts.scheduling`."""

from __future__ import annotations

from bot.commands.broadcasts import parse_id
from bot.commands.conversation import Conversation
from bot.commands.registry import Reply, anything, chat_commands
from broadcasts import scheduling
from broadcasts.editorial import member_actor
from broadcasts.models import Role
from broadcasts.scheduling import ScheduleError


@chat_commands.command(
    "JADWALKAN",
    english=("SCHEDULE",),
    role=Role.COORDINATOR,
    help="help_jadwalkan",
    takes=anything,
)
def schedule(conversation: Conversation, args: str) -> Reply:
    parts = args.split()
    broadcast_id = parse_id(parts[0]) if parts else None
    if len(parts) != 3 or broadcast_id is None:
        return Reply("calendar_error", {"key": "usage"})
    try:
        done = scheduling.schedule(
            conversation.session,
            broadcast_id,
            parts[1],
            parts[2],
            actor=member_actor(conversation.member),
            member=conversation.member,
            now=conversation.now,
        )
    except ScheduleError as error:
        return Reply("calendar_error", {"key": error.key, **error.data})
    group = done.broadcast.group
    return Reply(
        "schedule_set",
        {
            "id": done.broadcast.id,
            "group": group.name,
            "code": group.code,
            "when": done.local,
            "zone": scheduling.zone_name(done.local),
            "previous": done.previous,
            "pending": done.pending,
        },
    )
