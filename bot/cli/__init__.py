"""`humasbot`: the command line of operators and admins. Each module adds its commands."""

from __future__ import annotations

# Importing registers the commands on `main`.
from bot.cli import (
    accounts,
    blackouts,
    broadcasts,
    calendar,
    campaigns,
    content,
    elections,
    faq,
    groups_calendar,
    people,
    privacy,
    serve,
    templates,
)
from bot.cli.base import main

__all__ = [
    "accounts",
    "blackouts",
    "broadcasts",
    "calendar",
    "campaigns",
    "content",
    "elections",
    "faq",
    "groups_calendar",
    "main",
    "people",
    "privacy",
    "serve",
    "templates",
]
