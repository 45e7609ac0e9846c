"""Every word the bot says exists in both languages, and every error key has its words."""

from __future__ import annotations

import re
from pathlib import Path

from config.settings import PROJECT_ROOT, SUPPORTED_LANGUAGES, TEMPLATES_DIR

MESSAGES = TEMPLATES_DIR / "messages"


def names(language: str) -> set[str]:
    return {path.name for path in (MESSAGES / language).glob("*.txt")}


def test_each_language_has_the_same_templates() -> None:
    indonesian = names("id")
    assert indonesian
    for language in SUPPORTED_LANGUAGES:
        assert names(language) == indonesian, language


def test_every_membership_error_has_a_template() -> None:
    # MembershipError("key") is rendered as error_<key> in chat and on the command line.
    source = "\n".join(p.read_text() for p in Path(PROJECT_ROOT, "broadcasts").rglob("*.py"))
    keys = set(re.findall(r'MembershipError\(\s*"([a-z_]+)"', source))
    assert keys
    missing = {key for key in keys if f"error_{key}.txt" not in names("id")}
    assert not missing
