"""Chat commands. Importing this package registers every command module with `chat_commands`."""

from bot.chat.registry import chat_commands

# Each module registers its commands on import; the order is the order MENU shows them in.
# isort: off
from bot.chat.commands import help, elections, membership, reports, broadcasts, scheduling
# isort: on

__all__ = [
    "broadcasts",
    "chat_commands",
    "elections",
    "help",
    "membership",
    "reports",
    "scheduling",
]
