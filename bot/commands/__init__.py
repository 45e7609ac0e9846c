"""Chat commands. Importing this package registers every command module with `chat_commands`."""

# Each module registers its commands on import; the order is the order MENU shows them in.
from bot.commands import broadcasts, elections, help, membership, reports, scheduling
from bot.commands.registry import chat_commands

__all__ = [
    "broadcasts",
    "chat_commands",
    "elections",
    "help",
    "membership",
    "reports",
    "scheduling",
]
