"""The dashboard's blueprint and what every page shares: its language, its words, how times and
states are shown, the navigation, and how a page is drawn.

Every label of every page lives in `templates/dashboard/words/<language>/<area>.toml`; a page
asks for one with `t("area.key", name=value)`. Indonesian is the default; the language switch
keeps the reader's choice in their session.
"""

from __future__ import annotations

import re
import tomllib
from datetime import UTC, datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, g, render_template, session
from markupsafe import Markup, escape
from sqlalchemy import select

from bot.web.runtime import runtime
from broadcasts.db.models import AccountRole, Member
from broadcasts.people.actors import shown_key
from broadcasts.people.membership import is_erased_actor
from broadcasts.phrasebook import render, short_when, when
from config.settings import SUPPORTED_LANGUAGES, TEMPLATES_DIR

blueprint = Blueprint("dashboard", __name__, url_prefix="/admin")

WORDS_DIR = TEMPLATES_DIR / "dashboard" / "words"
LANGUAGE = "id"  # the default: the dashboard's users are Indonesian offices
_LANGUAGE_KEY = "language"

# The menu, in order: (endpoint, label key, least role). An area shows once its view exists.
NAVIGATION = (
    ("dashboard.overview", "nav.overview", "viewer"),
    ("dashboard.content_list", "nav.content", "viewer"),
    ("dashboard.broadcast_list", "nav.broadcasts", "viewer"),
    ("dashboard.calendar", "nav.calendar", "viewer"),
    ("dashboard.campaign_list", "nav.campaigns", "viewer"),
    ("dashboard.groups", "nav.groups", "viewer"),
    ("dashboard.reports", "nav.reports", "viewer"),
    ("dashboard.audit", "nav.audit", "viewer"),
    ("dashboard.users", "nav.users", "admin"),
)


@cache
def words(language: str) -> dict[str, str]:
    """Every label of one language, keyed "area.key" (area: the file's name)."""
    found: dict[str, str] = {}
    for path in sorted((WORDS_DIR / language).glob("*.toml")):
        with path.open("rb") as file:
            for key, text in tomllib.load(file).items():
                found[f"{path.stem}.{key}"] = str(text)
    return found


def language() -> str:
    chosen = session.get(_LANGUAGE_KEY)
    return chosen if chosen in SUPPORTED_LANGUAGES else LANGUAGE


def choose_language(chosen: str) -> None:
    if chosen in SUPPORTED_LANGUAGES:
        session[_LANGUAGE_KEY] = chosen


def t(key: str, /, **data: Any) -> str:
    """The label `key` in the reader's language, its {names} filled from `data`."""
    text = words(language()).get(key) or words(LANGUAGE).get(key)
    if text is None:
        raise KeyError(f"no dashboard words for {key!r}")
    return text.format(**data) if data else text


def local_time(moment: datetime | None, zone: str | None = None, *, short: bool = False) -> str:
    """A UTC time on a group's clock, as people read it: "Senin, 7 Desember 2026 pukul 09.00
    WIB" (or "7 Des pukul 09.00 WIB" for lists). Never raw UTC."""
    if moment is None:
        return "—"
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    shown = aware.astimezone(ZoneInfo(zone or runtime().settings.bot_timezone))
    return short_when(shown, language()) if short else when(shown, language())


def state_words(kind: str, value: str | None) -> str:
    """A state in words ("menunggu persetujuan"), never its stored value."""
    return t(f"states.{kind}_{value}") if value else "—"


# WhatsApp's own formatting: *bold*, _italic_, ~strikethrough~ (within one line).
_FORMAT = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])"
                     r"|(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])"
                     r"|(?<![\w~])~(?=\S)([^~\n]+?)(?<=\S)~(?![\w~])")  # fmt: skip
_TAGS = ("strong", "em", "s")


@blueprint.app_template_filter("whatsapp")
def whatsapp_html(text: str) -> Markup:
    """Text as WhatsApp shows it: escaped, with its *bold*, _italic_ and ~struck~ words."""
    parts: list[str] = []
    at = 0
    for found in _FORMAT.finditer(text):
        parts.append(str(escape(text[at : found.start()])))
        index = next(i for i, group in enumerate(found.groups()) if group is not None)
        tag = _TAGS[index]
        parts.append(f"<{tag}>{escape(found.group(index + 1))}</{tag}>")
        at = found.end()
    parts.append(str(escape(text[at:])))
    return Markup("".join(parts))  # every piece of text is escaped above


@blueprint.app_template_filter("person")
def person(actor: str | None) -> str:
    """An actor key as the dashboard shows it, in the reader's language: `admin:rina` → "rina
    (akun dasbor)", `member:+6281234564444` → "Budi (0812-****-4444)" (or the masked number
    alone for a member with no name), `calendar:Literasi` → "kalender: Literasi", an erased
    member → "anggota terhapus"."""
    if not actor:
        return ""
    if is_erased_actor(actor):
        return render("erased_member", language())
    prefix, _, rest = actor.partition(":")
    if prefix == "system" and f"people.system_{rest}" in words(language()):
        return t(f"people.system_{rest}")
    if prefix in ("admin", "calendar", "system"):
        return t(f"people.{prefix}", name=rest)
    shown = shown_key(actor).removeprefix("member:")
    name = _member_name(rest) if prefix == "member" else None
    return t("people.member", name=name, phone=shown) if name else shown


def _member_name(phone: str) -> str | None:
    """A member's name by their number, looked up once per page (a page names few people)."""
    names: dict[str, str | None] = g.setdefault("member_names", {})
    if phone not in names:
        with runtime().database.reading() as db:
            names[phone] = db.scalar(select(Member.name).where(Member.phone == phone))
    return names[phone]


def navigation() -> list[tuple[str, str]]:
    account = g.get("account")
    if account is None:
        return []
    return [
        (endpoint, t(label))
        for endpoint, label, role in NAVIGATION
        if endpoint in current_app.view_functions and account.may(AccountRole(role))
    ]


@blueprint.app_context_processor
def shared() -> dict[str, Any]:
    return {
        "t": t,
        "lang": language(),
        "local_time": local_time,
        "state_words": state_words,
        "navigation": navigation,
        "now": lambda: runtime().clock.now(),
    }


def page(template: str, **context: Any) -> str:
    """A page for the signed-in account (`g.account`, set by `access`)."""
    return render_template(template, account=g.get("account"), **context)
