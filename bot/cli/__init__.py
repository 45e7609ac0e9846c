"""`humasbot`: the command line of operators and admins. Each module adds its commands."""

from __future__ import annotations

# Importing registers the commands on `main`.
from bot.cli import calendar, content, delivery, elections, faq, people, serve
from bot.cli.base import main

__all__ = ["calendar", "content", "delivery", "elections", "faq", "main", "people", "serve"]
