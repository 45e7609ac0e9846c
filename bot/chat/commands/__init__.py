"""Chat commands. Importing this package registers every command module with `chat_commands`."""

from bot.chat.registry import chat_commands

# Each module registers its commands on import; the order is the order MENU shows them in.
# isort: off
from bot.chat.commands import help, elections, membership, reports, privacy, claims
from bot.chat.commands import broadcasts, scheduling, amplification
# isort: on

__all__ = [
    "amplification",
    "broadcasts",
    "chat_commands",
    "claims",
    "elections",
    "help",
    "membership",
    "privacy",
    "reports",
    "scheduling",
]
