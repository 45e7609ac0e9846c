"""Notices: one-to-one messages the bot sends on its own (to an editor, an author, a coordinator).

A notice is an outbound row like any delivery, so the dispatcher sends it with the same care.
Its `dedupe_key` is unique: asking twice for the same notice plans it once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcasts.models import DeliveryState, Member, OutboundMessage
from broadcasts.phrasebook import language_or_default, render
from broadcasts.planning import ADDRESS_PREFIX, affected, outbound_insert

# Twilio's limit for one WhatsApp body; notices quote user text, so they are kept inside it.
MAX_NOTICE = 1600


def notify(
    session: Session,
    member: Member,
    template_name: str,
    data: dict[str, Any],
    *,
    dedupe_key: str,
    now: datetime,
    default_language: str = "id",
) -> bool:
    """Plans the notice `template_name` for `member`; False if it is not planned (now).

    Not planned: the member stopped broadcasts (BERHENTI), has no phone number to write to, or
    this `dedupe_key` was planned before.
    """
    if member.opted_out or not member.phone:
        return False
    language = language_or_default(member.language, default_language)
    body = render(template_name, language, **data)
    if len(body) > MAX_NOTICE:
        body = body[: MAX_NOTICE - 1] + "…"
    statement = (
        outbound_insert(session)
        .values(
            broadcast_id=None,
            member_id=member.id,
            dedupe_key=dedupe_key[:200],
            address=ADDRESS_PREFIX + member.phone,
            body=body,
            state=DeliveryState.QUEUED.value,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
    )
    return affected(session.execute(statement)) == 1


def planned_notice(session: Session, dedupe_key: str) -> OutboundMessage | None:
    return session.scalar(select(OutboundMessage).where(OutboundMessage.dedupe_key == dedupe_key))
