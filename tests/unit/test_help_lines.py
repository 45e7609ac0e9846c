"""Every chat command has its line in MENU, in both languages (a missing one shows its key)."""

from __future__ import annotations

import pytest

from bot.chat.commands import chat_commands
from broadcasts.phrasebook import render
from config.settings import SUPPORTED_LANGUAGES


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_every_command_has_a_menu_line(language: str) -> None:
    keys = {command.help for command in chat_commands.commands if command.help}
    assert keys
    missing = {key for key in keys if render("help_line", language, key=key, word="X") == key}
    assert not missing
