"""No full phone number or secret token in a log line: `+6281234567890` is written
`+62812****7890`, `?token=…` is written `?token=***`.

Masking happens where every log record is made (`install_log_masking` sets the record factory),
so it holds for every logger and handler alike — ours, SQLAlchemy's errors with their
parameters, werkzeug's and gunicorn's access lines — and for exception text too.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

# Nine to fifteen digits (E.164 allows fifteen), written as phones are: `+62…`, `62…`, `0812…`,
# `whatsapp:+62…`, and with spaces or dashes after a `+` or a leading 0 (`+62 812-3456-7890`).
# Not inside a word, so the digits of a hex id (`SM0123…`) are left alone.
_PHONE = re.compile(r"(?<![\w+])(?:\+\d(?:[ -]?\d){8,14}|0\d(?:[ -]?\d){7,13}|\d{9,15})(?![\w])")
_TOKEN = re.compile(r"(\btoken=)[^&\s\"']+", re.IGNORECASE)
KEPT_TAIL = 4
HIDDEN = "****"


def mask_phone(number: str) -> str:
    """`+6281234567890` → `+62812****7890`: enough to tell numbers apart, not to dial one."""
    digits = re.sub(r"\D", "", number)
    if len(digits) <= KEPT_TAIL:
        return HIDDEN
    hidden = max(4, len(digits) - 9)
    head = max(0, len(digits) - KEPT_TAIL - hidden)
    plus = "+" if number.lstrip().startswith("+") else ""
    return f"{plus}{digits[:head]}{HIDDEN}{digits[-KEPT_TAIL:]}"


def mask_text(text: str) -> str:
    """Every phone number and token in `text` masked."""
    if not text:
        return text
    text = _TOKEN.sub(r"\1***", text)
    return _PHONE.sub(lambda found: mask_phone(found.group()), text)


RecordFactory = Callable[..., logging.LogRecord]


class _MaskingFactory:
    """Makes each record as before, then masks its message and any exception text."""

    def __init__(self, inner: RecordFactory) -> None:
        self.inner = inner

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = self.inner(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: the handler reports it as it always did
            return record
        record.msg, record.args = mask_text(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = mask_text(_FORMATTER.formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = mask_text(record.stack_info)
        return record


_FORMATTER = logging.Formatter()


def install_log_masking() -> Callable[[], None]:
    """Masks every log record made from now on, in this process; returns what undoes it.
    Calling it again changes nothing."""
    current = logging.getLogRecordFactory()
    if isinstance(current, _MaskingFactory):
        return lambda: None
    logging.setLogRecordFactory(_MaskingFactory(current))
    return lambda: logging.setLogRecordFactory(current)
