"""What is kept of a reported text, and what of it others are shown.

A forward may carry characters that change how text reads without being seen: a right-to-left
override that turns `gpj.exe` into `exe.jpg`, zero-width joiners, other control codes. They are
taken out before anything is stored, so no notice, reply or list can pass them on. Others see
only an excerpt, one line, with phone numbers masked.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable

from broadcasts.people.masking import mask_text

# Unicode categories never kept: controls (but line breaks and tabs), format characters (the
# bidirectional overrides and isolates, zero-width joiners), surrogates, private use, unassigned.
_DROPPED = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
_KEPT_CONTROLS = frozenset("\n\t")
EXCERPT = 160


def cleaned(text: str) -> str:
    """The text without invisible and control characters, lines trimmed, at most one blank
    line in a row."""
    kept = "".join(
        c for c in text if c in _KEPT_CONTROLS or unicodedata.category(c) not in _DROPPED
    )
    lines = [" ".join(line.split()) for line in kept.replace("\t", " ").split("\n")]
    squeezed: list[str] = []
    for line in lines:
        if line or (squeezed and squeezed[-1]):
            squeezed.append(line)
    return "\n".join(squeezed).strip()


def has_words(text: str) -> bool:
    """Letters or digits: emoji and punctuation alone say nothing a coordinator can check."""
    return any(c.isalnum() for c in text)


# A masked Indonesian number (`+62812****7890`, `0812****7890`) as people write one (words.md).
_MASKED = re.compile(r"(?:\+62|\b0)(\d{3})\*{4}(\d{4})\b")


def excerpt(text: str, limit: int = EXCERPT) -> str:
    """One line of at most `limit` characters, phone numbers masked (0812-****-7890), for
    others to read."""
    flat = _MASKED.sub(r"0\1-****-\2", mask_text(" ".join(cleaned(text).split())))
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


# What `mask_text` leaves of a phone number: `+62812****7890`, `0812****7890`.
_MASKED_NUMBER = re.compile(r"\+?\d*\*{4}\d*")


def without_phones(text: str) -> str:
    """The text with every phone number (however written) taken out: nothing a claim or a
    search keeps may hold someone's number."""
    return _MASKED_NUMBER.sub(" ", mask_text(text))


def fingerprint(text: str, media_digests: Iterable[str] = ()) -> str:
    """Equal for the same words (case and spacing aside) with the same media: one report."""
    words = " ".join(cleaned(text).casefold().split())
    return hashlib.sha256("\n".join([words, *sorted(media_digests)]).encode()).hexdigest()
