"""Every word the bot says exists in both languages, and every error key has its words."""

from __future__ import annotations

import re
from pathlib import Path

from broadcasts.errors import (
    AmplificationError,
    CalendarError,
    DomainError,
    EditorialError,
    HoaxError,
    MembershipError,
)
from config.settings import PROJECT_ROOT, SUPPORTED_LANGUAGES, TEMPLATES_DIR

MESSAGES = TEMPLATES_DIR / "messages"


def names(language: str) -> set[str]:
    return {path.name for path in (MESSAGES / language).glob("*.txt")}


def test_each_language_has_the_same_templates() -> None:
    indonesian = names("id")
    assert indonesian
    for language in SUPPORTED_LANGUAGES:
        assert names(language) == indonesian, language


def raised_keys() -> dict[type[DomainError], set[str]]:
    """Every `SomeError("key", …)` raised in the domain, by family (subclasses count as theirs)."""
    source = "\n".join(p.read_text() for p in Path(PROJECT_ROOT, "broadcasts").rglob("*.py"))
    families: dict[type[DomainError], set[str]] = {}
    for name, key in re.findall(r'\b(\w+Error)\(\s*"([a-z_]+)"', source):
        family = FAMILIES.get(name)
        if family is not None:
            families.setdefault(family, set()).add(key)
    return families


FAMILIES: dict[str, type[DomainError]] = {
    "EditorialError": EditorialError,
    "MembershipError": MembershipError,
    "CalendarError": CalendarError,
    "ScheduleError": CalendarError,
    "HoaxError": HoaxError,
    "AmplificationError": AmplificationError,
}


def test_every_refusal_the_domain_raises_has_words_in_every_language() -> None:
    # One family, one message file with a branch per key: a key without its branch would
    # reach a member as an empty reply.
    families = raised_keys()
    assert set(families) == {
        EditorialError,
        MembershipError,
        CalendarError,
        HoaxError,
        AmplificationError,
    }
    for family, keys in families.items():
        for language in SUPPORTED_LANGUAGES:
            words = (MESSAGES / language / f"{family.words}.txt").read_text()
            branches = set(re.findall(r'key == "([a-z_]+)"', words))
            assert keys <= branches, (family.words, language, sorted(keys - branches))
