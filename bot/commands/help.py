"""MENU: the commands this sender may use."""

from __future__ import annotations

from bot.commands.conversation import Conversation
from bot.commands.registry import Reply, chat_commands


@chat_commands.command("MENU", aliases=("BANTUAN",), english=("HELP",), help="help_menu")
def menu(conversation: Conversation, args: str) -> Reply:
    english = conversation.language == "en"
    lines = [
        {"word": (c.english[0] if english and c.english else c.name), "help": c.help}
        for c in chat_commands.available_to(conversation)
    ]
    role = conversation.highest_role
    return Reply("menu", {"commands": lines, "role": role.value if role else None})
