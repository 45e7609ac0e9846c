"""The dashboard's labels: both languages hold the same keys with the same {names}, and every
label a page asks for exists."""

from __future__ import annotations

import ast
import re
import string

from bot.web.dashboard.site import words
from config.settings import SUPPORTED_LANGUAGES, TEMPLATES_DIR

PAGES = TEMPLATES_DIR / "dashboard"
ROOT = TEMPLATES_DIR.parent
# t("area.key"), or a family t("area.kind_" ~ value): at least one key of it must exist.
ASKED = re.compile(r"""\bt\(\s*["']([a-z_]+\.[a-z0-9_]+)["']\s*([~+])?""")


def names(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def test_every_language_has_the_same_labels_with_the_same_names() -> None:
    indonesian = words("id")
    assert indonesian, "no dashboard words found"
    for language in SUPPORTED_LANGUAGES:
        other = words(language)
        assert other.keys() == indonesian.keys(), language
        for key, text in indonesian.items():
            assert names(other[key]) == names(text), (language, key)


def test_every_label_a_page_asks_for_exists() -> None:
    known = words("id")
    asked = {
        (page.name, key, bool(family))
        for page in PAGES.glob("*.html")
        for key, family in ASKED.findall(page.read_text())
    }
    assert asked, "no page asks for a label"
    missing = sorted(
        (page, key)
        for page, key, family in asked
        if not (any(k.startswith(key) for k in known) if family else key in known)
    )
    assert not missing, missing


def recorded_actions() -> set[str]:
    """Every action the code writes to the audit log by name (`audit.record(s, who, "x", …)`)."""
    found: set[str] = set()
    for path in [*(ROOT / "broadcasts").rglob("*.py"), *(ROOT / "bot").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "record"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "audit"
                and len(node.args) >= 3
                and isinstance(node.args[2], ast.Constant)
            ):
                found.add(str(node.args[2].value))
    return found


def test_every_action_in_the_audit_log_has_words() -> None:
    actions = recorded_actions()
    assert {"approved", "members_imported", "calendar_added"} <= actions
    missing = sorted(a for a in actions if f"audit.action_{a}" not in words("id"))
    assert not missing, missing
