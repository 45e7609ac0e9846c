"""What every request handler needs, in a leaf module (it imports no blueprint): the process's
`Runtime`, and `@signed` for the endpoints Twilio calls."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import cache, wraps
from typing import Any, TypeVar, cast

from flask import abort, current_app, request
from twilio.request_validator import RequestValidator

from bot.web.metrics import WEBHOOK_REJECTED
from broadcasts.runtime import Runtime

log = logging.getLogger(__name__)


def runtime() -> Runtime:
    """The runtime the app factory made for this app."""
    found: Runtime = current_app.extensions["humasbot"]
    return found


View = TypeVar("View", bound=Callable[..., Any])


def public_url() -> str:
    """The URL Twilio signed: the public base (not what a proxy gave Flask), path and query."""
    base = runtime().settings.public_base_url
    query = request.query_string.decode("latin-1")
    return f"{base}{request.path}" + (f"?{query}" if query else "")


@cache
def _validator(token: str) -> RequestValidator:
    return RequestValidator(token)


def signed(view: View) -> View:
    """403 unless `X-Twilio-Signature` matches; nothing runs before that."""

    @wraps(view)
    def check(*args: Any, **kwargs: Any) -> Any:
        token = runtime().settings.twilio_auth_token
        signature = request.headers.get("X-Twilio-Signature", "")
        if token is None:
            log.warning("webhook refused: TWILIO_AUTH_TOKEN is not set")
            WEBHOOK_REJECTED.labels(reason="no_token").inc()
            abort(403, "webhook signatures cannot be checked: TWILIO_AUTH_TOKEN is not set")
        valid = signature and _validator(token).validate(
            public_url(), request.form.to_dict(flat=True), signature
        )
        if not valid:
            WEBHOOK_REJECTED.labels(reason="signature").inc()
            abort(403, "invalid X-Twilio-Signature")
        return view(*args, **kwargs)

    return cast(View, check)
