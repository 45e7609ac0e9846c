"""The dashboard's blueprint and what every page shares: its language and how a page is drawn."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, render_template

blueprint = Blueprint("dashboard", __name__, url_prefix="/admin")

LANGUAGE = "id"  # the dashboard's pages are in Indonesian, as its users are


def page(template: str, **context: Any) -> str:
    """A page for the signed-in account (`g.account`, set by `access`)."""
    return render_template(template, account=g.get("account"), **context)
