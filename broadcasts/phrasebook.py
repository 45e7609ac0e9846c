"""Every word the bot says comes from `templates/messages/<language>/`; this renders them.

Logic returns data; a template turns it into text in the reader's language. Dates are written
the way readers write them ("Rabu, 14 Februari 2024") by Babel.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache, lru_cache
from typing import Any

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from broadcasts.errors import DomainError
from config.settings import SUPPORTED_LANGUAGES, TEMPLATES_DIR

MESSAGES_DIR = TEMPLATES_DIR / "messages"


# Calendars hold a few dozen dates: formatting each once per process keeps JADWAL cheap.
@lru_cache(maxsize=4096)
def long_date(value: date, language: str) -> str:
    return str(format_date(value, "EEEE, d MMMM y", locale=language))


@lru_cache(maxsize=4096)
def short_date(value: date, language: str) -> str:
    return str(format_date(value, "d MMM y", locale=language))


def date_time(value: datetime, language: str) -> str:
    """Local wall time; the caller converts to the reader's zone first."""
    return str(format_datetime(value, "EEEE, d MMMM y HH:mm", locale=language))


# What Indonesians call their zones; any other zone goes by its own abbreviation.
ZONE_NAMES = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}
_WHEN = {"id": "EEEE, d MMMM y 'pukul' HH.mm", "en": "EEEE, d MMMM y 'at' HH:mm"}


def zone_name(value: datetime) -> str:
    """WIB, WITA or WIT for an aware time in an Indonesian zone."""
    key = getattr(value.tzinfo, "key", "")
    return ZONE_NAMES.get(key) or value.tzname() or "UTC"


_SHORT_WHEN = {"id": "d MMM 'pukul' HH.mm", "en": "d MMM 'at' HH:mm"}


def short_when(value: datetime, language: str) -> str:
    """An aware time on its own zone's clock, for lists: "4 Feb pukul 09.10 WIB"."""
    pattern = _SHORT_WHEN.get(language, _SHORT_WHEN["id"])
    return f"{format_datetime(value, pattern, locale=language)} {zone_name(value)}"


def when(value: datetime, language: str) -> str:
    """An aware time on its own zone's clock, as readers say it:
    "Senin, 7 Desember 2026 pukul 09.00 WIB"."""
    pattern = _WHEN.get(language, _WHEN["id"])
    return f"{format_datetime(value, pattern, locale=language)} {zone_name(value)}"


@cache
def _environment(language: str) -> Environment:
    environment = Environment(
        loader=FileSystemLoader(MESSAGES_DIR / language),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        autoescape=False,
    )
    environment.filters["long_date"] = lambda d: long_date(d, language)
    environment.filters["short_date"] = lambda d: short_date(d, language)
    environment.filters["date_time"] = lambda d: date_time(d, language)
    environment.filters["when"] = lambda d: when(d, language)
    environment.filters["short_when"] = lambda d: short_when(d, language)
    environment.filters["first_lower"] = first_lower
    environment.filters["number"] = lambda n: format_decimal(n, locale=language)  # 1.600
    return environment


def first_lower(text: str) -> str:
    """A name inside a sentence: "Masa tenang" → "masa tenang", but "DPT nasional" stays."""
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def language_or_default(language: str | None, default: str = "id") -> str:
    return language if language in SUPPORTED_LANGUAGES else default


def render(name: str, language: str, /, **data: Any) -> str:
    """Render `templates/messages/<language>/<name>.txt`, stripped of outer blank lines."""
    template = _environment(language_or_default(language)).get_template(f"{name}.txt")
    return template.render(**data).strip()


def explain(error: DomainError, language: str) -> str:
    """Why the domain refused a request, in the words of the error's family."""
    return render(error.words, language, key=error.key, **error.data)
