"""JADWALKAN / SCHEDULE: set or move the send time of a broadcast not yet sent, on the wall
clock of its group, written as people write it ("besok 08.00", "3/12 08.00", "Senin 09.00").
The rules live in `broadcasts.editorial.scheduling`, the reading of the time in
`broadcasts.editorial.send_time`."""

from __future__ import annotations

from bot.chat.commands.broadcasts import parse_id
from bot.chat.conversation import Conversation
from bot.chat.registry import Reply, anything, chat_commands
from broadcasts import phrasebook
from broadcasts.db.models import Role
from broadcasts.editorial import scheduling
from broadcasts.editorial.scheduling import ScheduleError
from broadcasts.editorial.workflow import member_actor


@chat_commands.command(
    "JADWALKAN",
    english=("SCHEDULE",),
    role=Role.COORDINATOR,
    help="help_jadwalkan",
    takes=anything,
)
def schedule(conversation: Conversation, args: str) -> Reply:
    parts = args.split(maxsplit=1)
    broadcast_id = parse_id(parts[0]) if parts else None
    if len(parts) != 2 or broadcast_id is None:
        return Reply("schedule_error", {"key": "usage", "id": broadcast_id or 12})
    try:
        done = scheduling.schedule_written(
            conversation.session,
            broadcast_id,
            parts[1],
            actor=member_actor(conversation.member),
            member=conversation.member,
            now=conversation.now,
        )
    except ScheduleError as error:
        return Reply("schedule_error", {"id": broadcast_id, **error.data, "key": error.key})
    group = done.broadcast.group
    quiet = done.quiet_hours
    return Reply(
        "schedule_set",
        {
            "id": done.broadcast.id,
            "group": group.name,
            "code": group.code,
            "when": done.local,
            "zone": phrasebook.zone_name(done.local),
            "previous": done.previous,
            "pending": done.pending,
            "quiet_start": quiet.start if quiet else None,
            "quiet_end": quiet.end if quiet else None,
        },
    )
