"""Twilio's message status callbacks: `POST /twilio/status?delivery=<id>`.

The delivery id travels in the StatusCallback URL, so a callback finds its row even when the
sid was never recorded (the worker died between request and commit). The rules (forward-only,
opt-out on Twilio's unsubscribed error) are the outbox's: `broadcasts.delivery.outbox`. Callbacks
for ids the bot does not know are answered and ignored.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, abort, request
from prometheus_client import Counter

from bot.web.runtime import runtime, signed
from broadcasts.delivery import outbox

log = logging.getLogger(__name__)
blueprint = Blueprint("twilio_status", __name__, url_prefix="/twilio")

STATUS_CALLBACKS = Counter(
    "humasbot_status_callbacks", "Message status callbacks, by outcome", ["outcome"]
)


# Delivery ids and error codes are 32-bit columns: a bigger number cannot be ours, and the
# database driver refuses to bind one (a 500), so it is read as malformed.
_LARGEST = 2**31 - 1


def _int(raw: str | None) -> int | None:
    if not raw or not raw.isascii() or not raw.isdigit():  # int() also reads "١٢" and " 7"
        return None
    number = int(raw)
    return number if number <= _LARGEST else None


@blueprint.post("/status")
@signed
def status() -> Response:
    delivery_id = _int(request.args.get("delivery"))
    sid = request.form.get("MessageSid", "").strip()
    message_status = request.form.get("MessageStatus", "").strip().lower()
    if delivery_id is None or not sid or not message_status:
        STATUS_CALLBACKS.labels(outcome="malformed").inc()
        abort(400, "a delivery id, MessageSid and MessageStatus are required")
    app_runtime = runtime()
    error_code = _int(request.form.get("ErrorCode"))
    with app_runtime.database.transaction() as session:
        outcome = outbox.apply_status(
            session, delivery_id, sid[:64], message_status, error_code, app_runtime.clock.now()
        )
    STATUS_CALLBACKS.labels(outcome=outcome).inc()
    if outcome != "applied":
        log.debug("status callback for delivery %s: %s", delivery_id, outcome)
    return Response("", status=200)
