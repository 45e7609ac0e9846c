"""MENU: the commands this sender may use, and the groups they coordinate or edit."""

from __future__ import annotations

from bot.chat.conversation import Conversation
from bot.chat.registry import Reply, chat_commands
from broadcasts.db.models import Role
from broadcasts.people import membership


@chat_commands.command("MENU", aliases=("BANTUAN",), english=("HELP",), help="help_menu")
def menu(conversation: Conversation, args: str) -> Reply:
    english = conversation.language == "en"
    lines = [
        {"word": (c.english[0] if english and c.english else c.name), "help": c.help}
        for c in chat_commands.available_to(conversation)
        if c.listed
    ]
    role = conversation.highest_role
    led = []
    if role is not None and role.rank >= Role.COORDINATOR.rank:
        led = [
            {"name": group.name, "code": group.code, "role": group_role.value}
            for group, group_role in membership.groups_of(conversation.session, conversation.member)
            if group_role.rank >= Role.COORDINATOR.rank
        ]
    return Reply("menu", {"commands": lines, "role": role.value if role else None, "groups": led})
