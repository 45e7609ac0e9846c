"""What coordinators see of their broadcasts by chat: their recent ones, and why deliveries
failed or were not sent.

Deliveries keep their reason in English, as the dispatcher, Twilio's error codes and the status
callbacks wrote it ("member opted out", "recipient not on WhatsApp or invalid (63024)"). Here each
becomes a key that `broadcast_status.txt` words in the reader's language; one the bot does not
know is `other`, never shown raw.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from broadcasts.db.models import Broadcast, DeliveryState, Member, OutboundMessage

# Twilio error codes, as `transports.base` classifies them.
_BY_CODE = {
    21610: "opted_out",
    30007: "filtered",
    63016: "outside_window",
    63018: "rate_limit",
    63024: "not_on_whatsapp",
    63027: "template_problem",
    63028: "template_problem",
    63032: "whatsapp_limited",
    63049: "marketing_limit",
}
# The dispatcher's, reconciliation's and cancellation's own reasons, by what they start with
# (after any "gave up after …:" prefix has been looked at).
_BY_TEXT = (
    ("gave up after", "gave_up"),
    ("not sent after", "gave_up"),
    ("member opted out", "opted_out"),
    ("recipient unsubscribed", "opted_out"),
    ("broadcast cancelled", "cancelled"),
    ("cancelled", "cancelled"),
    ("broadcast rejected", "rejected"),
    ("member no longer exists", "member_gone"),
    ("nothing to send", "empty"),
    ("outside the 24-hour window and no approved", "no_template"),
    ("outside the 24-hour window", "outside_window"),
    ("recipient not on whatsapp", "not_on_whatsapp"),
    ("undelivered", "undelivered"),
)


def reason_key(reason: str | None, error_code: int | None = None) -> str:
    """The key of a stored reason: `opted_out`, `not_on_whatsapp`, …, or `other`."""
    if error_code is not None and error_code in _BY_CODE:
        return _BY_CODE[error_code]
    text = (reason or "").strip().lower()
    for start, key in _BY_TEXT:
        if text.startswith(start):
            return key
    return "other"


def reasons(session: Session, broadcast_id: int, state: DeliveryState) -> list[tuple[str, int]]:
    """Why the broadcast's deliveries in `state` are there: (key, count), most common first."""
    rows = session.execute(
        select(OutboundMessage.reason, OutboundMessage.error_code, func.count())
        .where(OutboundMessage.broadcast_id == broadcast_id, OutboundMessage.state == state.value)
        .group_by(OutboundMessage.reason, OutboundMessage.error_code)
    )
    counted: Counter[str] = Counter()
    for reason, code, count in rows:
        counted[reason_key(reason, code)] += count
    return sorted(counted.items(), key=lambda item: (-item[1], item[0]))


def authored_by(session: Session, member: Member, limit: int) -> list[Broadcast]:
    """The broadcasts `member` proposed, newest first."""
    return list(
        session.scalars(
            select(Broadcast)
            .options(joinedload(Broadcast.group))
            .where(Broadcast.author_id == member.id)
            .order_by(Broadcast.created_at.desc(), Broadcast.id.desc())
            .limit(limit)
        )
    )
