"""Requests the domain refuses, in one family.

A `DomainError` carries a `key` that names why and `data` that fills in the words. The words
live in `templates/messages/<language>/<family>.txt`, one file a family with a branch a key,
and `phrasebook.explain` turns any of them into text — the same way for chat, the CLI and the
dashboard. A test checks that every key raised has words in every language.
"""

from __future__ import annotations

from typing import ClassVar


class DomainError(ValueError):
    words: ClassVar[str]  # the message file of the family

    def __init__(self, key: str, **data: object) -> None:
        super().__init__(key)
        self.key = key
        self.data = data


class EditorialError(DomainError):
    """About content or broadcasts."""

    words = "editorial_error"


class MembershipError(DomainError):
    """About groups, members and roles."""

    words = "membership_error"


class CalendarError(DomainError):
    """About the editorial calendar and send times."""

    words = "calendar_error"


class AccountError(DomainError):
    """About dashboard accounts."""

    words = "account_error"


class HoaxError(DomainError):
    """About hoax reports, claims and their verdicts."""

    words = "hoax_error"


class AmplificationError(DomainError):
    """About offices confirming, following and being reminded of their reposts."""

    words = "amplification_error"
