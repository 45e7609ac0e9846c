"""WhatsApp's 24-hour window, and the approved templates that carry a message outside it.

Free-form messages reach a member only within 24 hours of their last message to the bot; outside
it only an approved template of the message's kind does (Twilio error 63016 otherwise). The
dispatcher decides each send by these rules, and a notice is planned by the same ones, so what
its sender is told is what the dispatcher will do. Kept apart from the dispatcher so the web
process can use them without loading it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcasts.db.models import Broadcast, ContentKind, Member, WhatsAppTemplate

FREEFORM_WINDOW = timedelta(hours=24)
# A window about to close is treated as closed: the send must land inside it.
WINDOW_MARGIN = timedelta(minutes=5)


def base_language(language: str | None) -> str:
    return (language or "").replace("-", "_").split("_")[0].lower()


def window_start(now: datetime) -> datetime:
    """A member who last wrote at or after this time may be sent free-form messages now."""
    return now - FREEFORM_WINDOW + WINDOW_MARGIN


def in_window(member: Member, now: datetime) -> bool:
    last = member.last_inbound_at
    return last is not None and last >= window_start(now)


def template_key(
    broadcast: Broadcast | None, member_language: str | None, default_language: str
) -> tuple[str, str]:
    """(kind, language) of the template that carries this row outside the window."""
    kind = broadcast.kind if broadcast is not None else ContentKind.NOTICE.value
    language = broadcast.language if broadcast is not None else member_language
    return kind, base_language(language) or base_language(default_language)


def approved_templates(session: Session) -> dict[tuple[str, str], WhatsAppTemplate]:
    """(kind, language) → the approved template mapped to that kind (the newest synced wins)."""
    found: dict[tuple[str, str], WhatsAppTemplate] = {}
    rows = session.scalars(
        select(WhatsAppTemplate)
        .where(WhatsAppTemplate.approval_status == "approved", WhatsAppTemplate.kind.is_not(None))
        .order_by(WhatsAppTemplate.synced_at, WhatsAppTemplate.id)
    )
    for template in rows:
        found[(str(template.kind), base_language(template.language))] = template
    return found


def waiting_reason(language: str) -> str:
    """Why a notice is held (QUEUED, no `next_attempt_at`) until its member writes."""
    return (
        "waiting for the member to write: outside the 24-hour window and no approved WhatsApp"
        f" template for notice in '{language}'"
    )
