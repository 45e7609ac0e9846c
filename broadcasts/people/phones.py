"""Phone numbers in, E.164 out. Indonesian numbers are the default (`0812…` means +62 812…)."""

from __future__ import annotations

import re

import phonenumbers

DEFAULT_REGION = "ID"
# How people write a number: digits, a leading +, and spaces, dashes, dots or brackets between.
_WRITTEN = re.compile(r"\+?[\d\s().-]+")


class PhoneError(ValueError):
    """Not a phone number the bot can message."""


def normalise_phone(raw: str, region: str = DEFAULT_REGION) -> str:
    """`0812…`, `+62 812-…`, `62812…` or `whatsapp:+62812…` → `+62812…`."""
    text = raw.strip()
    if text.lower().startswith("whatsapp:"):
        text = text[len("whatsapp:") :].strip()
    if text.isdigit() and text.startswith("62"):
        text = "+" + text
    if not _WRITTEN.fullmatch(text):
        # phonenumbers reads past letters ("08129000666X" as 0812-9000-666): a typo, not a number.
        raise PhoneError(f"not a phone number: {raw!r}")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise PhoneError(f"not a phone number: {raw!r}") from exc
    if not phonenumbers.is_possible_number(number) or not phonenumbers.is_valid_number(number):
        raise PhoneError(f"not a valid phone number: {raw!r}")
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def whatsapp_address(phone: str) -> str:
    return f"whatsapp:{phone}"


def national_format(phone: str) -> str:
    """A member's own number as people write it: +6281234567890 → 0812-3456-7890 (a foreign
    one with its country code: +44 7700 900123)."""
    number = phonenumbers.parse(phone, DEFAULT_REGION)
    local = phonenumbers.region_code_for_number(number) == DEFAULT_REGION
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if local
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return str(phonenumbers.format_number(number, style))
