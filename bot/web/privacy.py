"""GET /privasi and /privacy: the privacy notice, in Indonesian and in English."""

from __future__ import annotations

from flask import Blueprint, render_template

from bot.web.runtime import runtime
from broadcasts.people.erasure import CONFIRM_WITHIN
from broadcasts.people.retention import REPORTER_LINK_DAYS
from config.settings import TEMPLATES_DIR

blueprint = Blueprint("privacy", __name__, template_folder=str(TEMPLATES_DIR / "pages"))
PAGES = {"id": "/privasi", "en": "/privacy"}


@blueprint.get(PAGES["id"])
def notice_id() -> str:
    return _notice("id")


@blueprint.get(PAGES["en"])
def notice_en() -> str:
    return _notice("en")


def _notice(language: str) -> str:
    settings = runtime().settings
    return render_template(
        f"privacy_{language}.html",
        language=language,
        other=PAGES["en" if language == "id" else "id"],
        operator=settings.operator_name,
        contact=settings.operator_contact,
        days=settings.inbound_retention_days,
        report_days=REPORTER_LINK_DAYS,
        minutes=int(CONFIRM_WITHIN.total_seconds() // 60),
    )
