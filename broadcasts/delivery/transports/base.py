"""What every transport offers the dispatcher, and how a failed send is classified.

The classification is the whole error policy in one table: the dispatcher only asks what kind
of failure it got (retry later, slow down, permanent, opted out, or unknown outcome).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class Outgoing:
    """One message to send: free-form (body/media) or a template (content_sid/variables)."""

    delivery_id: int
    to: str  # "whatsapp:+62…"
    body: str | None = None
    media_url: str | None = None
    content_sid: str | None = None
    content_variables: dict[str, str] | None = None
    status_callback: str | None = None


@dataclass(frozen=True)
class SendResult:
    sid: str
    status: str = "queued"


@dataclass(frozen=True)
class SentMessage:
    """A message as the provider lists it, for reconciliation."""

    sid: str
    to: str
    body: str
    status: str
    created_at: datetime | None


@dataclass(frozen=True)
class RemoteTemplate:
    """A Content API template and its WhatsApp approval, as the provider lists it."""

    content_sid: str
    friendly_name: str
    language: str
    category: str | None
    approval_status: str
    variables: dict[str, Any] = field(default_factory=dict)


class Failure(enum.StrEnum):
    RETRY = "retry"  # not processed (429): send again after a pause
    SLOW_DOWN = "slow_down"  # rate or tier limit (63018): send again later, and slower
    PERMANENT = "permanent"  # will never work for this message
    OPTED_OUT = "opted_out"  # the recipient unsubscribed (21610)
    UNKNOWN = "unknown"  # 5xx or timeout: the message may exist; reconcile before resending


# Twilio error codes with what they mean for the bot (see the platform reference).
PERMANENT_CODES: dict[int, str] = {
    63016: "outside the 24-hour window",
    63024: "recipient not on WhatsApp or invalid",
    63027: "template missing for this language",
    63028: "template parameter count mismatch",
    63032: "WhatsApp limitation for this user",
    63049: "marketing message not delivered by Meta",
    30007: "filtered",
}
RETRY_CODES = frozenset({20429})
SLOW_DOWN_CODES: dict[int, str] = {63018: "rate or tier limit exceeded"}
OPTED_OUT_CODES: dict[int, str] = {21610: "recipient unsubscribed"}


class SendError(Exception):
    """A send that did not (certainly) produce a message."""

    def __init__(
        self,
        failure: Failure,
        reason: str,
        *,
        code: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(reason)
        self.failure = failure
        self.reason = reason
        self.code = code
        self.retry_after = retry_after


# Called by a transport right before a request leaves (the rate limiter's grant, a last look
# at cancels): as late as possible, so what Twilio sees keeps the spacing the gate enforces.
Gate = Callable[[], None]


class NotStarted(Exception):
    """Raised by a gate: the request must not be made, and was not."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TransportUnavailable(Exception):
    """The transport cannot do this at all (e.g. templates on the console)."""


def classify(
    status: int | None, code: int | None, message: str = "", retry_after: float | None = None
) -> SendError:
    """The failure kind of an answer with this HTTP status and provider error code.

    `status` None means no answer at all (timeout, connection lost): the outcome is unknown.
    """
    described = f"{code}: {message}" if code and message else str(code or status or message)
    if status is None or status >= 500:
        return SendError(Failure.UNKNOWN, f"outcome unknown ({described})", code=code)
    if status == 429 or (code is not None and code in RETRY_CODES):
        return SendError(
            Failure.RETRY, f"too many requests ({described})", code=code, retry_after=retry_after
        )
    if status in (401, 403):
        # Credentials or account trouble fails every message alike: hold them, do not fail them.
        return SendError(Failure.RETRY, f"not authorised ({described})", code=code, retry_after=60)
    if code is not None and code in SLOW_DOWN_CODES:
        reason = f"{SLOW_DOWN_CODES[code]} ({code})"
        return SendError(Failure.SLOW_DOWN, reason, code=code, retry_after=retry_after)
    if code is not None and code in OPTED_OUT_CODES:
        return SendError(Failure.OPTED_OUT, f"{OPTED_OUT_CODES[code]} ({code})", code=code)
    if code is not None and code in PERMANENT_CODES:
        return SendError(Failure.PERMANENT, f"{PERMANENT_CODES[code]} ({code})", code=code)
    return SendError(Failure.PERMANENT, f"refused ({described})", code=code)


def describe_code(code: int) -> str:
    """The human reason for a provider error code seen in a status callback."""
    for table in (PERMANENT_CODES, SLOW_DOWN_CODES, OPTED_OUT_CODES):
        if code in table:
            return f"{table[code]} ({code})"
    return f"error {code}"


class Transport(Protocol):
    """Sends messages and lists what was sent; one instance is shared by the sending threads."""

    name: str

    def send(self, message: Outgoing, gate: Gate | None = None) -> SendResult:
        """Sends one message; raises `SendError` when it was not (certainly) sent.

        `gate` is called right before the request leaves; `NotStarted` from it propagates.
        """
        ...

    def sent_to(self, to: str, since: datetime) -> list[SentMessage]:
        """Messages to `to` created since `since`, newest first (for reconciliation)."""
        ...

    def templates(self) -> list[RemoteTemplate]:
        """The account's templates and their approval; `TransportUnavailable` if none exist."""
        ...
