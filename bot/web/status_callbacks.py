"""Twilio's message status callbacks: `POST /twilio/status?delivery=<id>`.

The delivery id travels in the StatusCallback URL, so a callback finds its row even when the
sid was never recorded (the worker died between request and commit): the callback then records
it, which also settles a row reconciliation was unsure about. States only move forward
(a `read` never goes back to `delivered` or `sent`); failed and undelivered are final, with
the error code. Callbacks for ids the bot does not know are answered and ignored.
"""

from __future__ import annotations

import logging
from datetime import datetime

from flask import Blueprint, Response, abort, current_app, request
from prometheus_client import Counter
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.web.app import services
from bot.web.twilio import signed
from broadcasts.db.models import DeliveryState, Member, OutboundMessage
from broadcasts.delivery.transports.base import OPTED_OUT_CODES, describe_code

log = logging.getLogger(__name__)
blueprint = Blueprint("twilio_status", __name__, url_prefix="/twilio")

STATUS_CALLBACKS = Counter(
    "humasbot_status_callbacks", "Message status callbacks, by outcome", ["outcome"]
)

# Twilio's statuses as delivery states: anything Twilio has accepted counts as sent.
STATES = {
    "accepted": DeliveryState.SENT,
    "scheduled": DeliveryState.SENT,
    "queued": DeliveryState.SENT,
    "sending": DeliveryState.SENT,
    "sent": DeliveryState.SENT,
    "delivered": DeliveryState.DELIVERED,
    "read": DeliveryState.READ,
    "failed": DeliveryState.FAILED,
    "undelivered": DeliveryState.FAILED,
    "canceled": DeliveryState.FAILED,
}
PROGRESS = {
    DeliveryState.QUEUED: 0,
    DeliveryState.SENDING: 1,
    DeliveryState.UNKNOWN: 1,
    DeliveryState.SENT: 2,
    DeliveryState.DELIVERED: 3,
    DeliveryState.READ: 4,
}
# A callback cannot touch a row the bot never attempted or already closed as failed.
CLOSED = {DeliveryState.FAILED, DeliveryState.SKIPPED}


def moves_forward(current: DeliveryState, new: DeliveryState) -> bool:
    if current in CLOSED:
        return False
    if new is DeliveryState.FAILED:
        # Failure after delivery does not happen; a late `failed` must not undo a delivery.
        return PROGRESS[current] < PROGRESS[DeliveryState.DELIVERED]
    return PROGRESS[new] > PROGRESS[current]


def apply(
    session: Session,
    delivery_id: int,
    sid: str,
    status: str,
    error_code: int | None,
    now: datetime,
) -> str:
    """Applies one callback; returns the outcome (for metrics and tests)."""
    new = STATES.get(status)
    if new is None:
        return "ignored_status"
    statement = select(OutboundMessage).where(OutboundMessage.id == delivery_id)
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update()
    row = session.scalar(statement)
    if row is None:
        return "unknown_delivery"
    if row.twilio_sid is not None and row.twilio_sid != sid:
        return "other_message"
    if row.twilio_sid is None and session.scalar(
        select(OutboundMessage.id).where(OutboundMessage.twilio_sid == sid)
    ):
        return "other_message"
    current = DeliveryState(row.state)
    if row.twilio_sid is None and current not in CLOSED:
        row.twilio_sid = sid
        row.sent_at = row.sent_at or now
    if not moves_forward(current, new):
        return "stale"
    row.state = new.value
    row.lease_owner = None
    row.lease_expires_at = None
    row.updated_at = now
    if new is DeliveryState.FAILED:
        row.error_code = error_code
        row.reason = f"{status}: {describe_code(error_code)}" if error_code else status
        if error_code in OPTED_OUT_CODES:
            session.execute(
                update(Member)
                .where(Member.id == row.member_id, Member.opted_out_at.is_(None))
                .values(opted_out_at=now)
                .execution_options(synchronize_session=False)
            )
    return "applied"


def _int(raw: str | None) -> int | None:
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


@blueprint.post("/status")
@signed
def status() -> Response:
    delivery_id = _int(request.args.get("delivery"))
    sid = request.form.get("MessageSid", "").strip()
    message_status = request.form.get("MessageStatus", "").strip().lower()
    if delivery_id is None or not sid or not message_status:
        STATUS_CALLBACKS.labels(outcome="malformed").inc()
        abort(400, "a delivery id, MessageSid and MessageStatus are required")
    app_services = services(current_app)
    error_code = _int(request.form.get("ErrorCode"))
    with app_services.database.transaction() as session:
        outcome = apply(
            session, delivery_id, sid[:64], message_status, error_code, app_services.clock.now()
        )
    STATUS_CALLBACKS.labels(outcome=outcome).inc()
    if outcome != "applied":
        log.debug("status callback for delivery %s: %s", delivery_id, outcome)
    return Response("", status=200)
