"""Liveness and metrics for operators and their monitoring."""

from __future__ import annotations

from flask import Blueprint, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.web.runtime import runtime

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz() -> tuple[dict[str, object], int]:
    app_runtime = runtime()
    database_ok = app_runtime.database.ping()
    body: dict[str, object] = {
        "status": "ok" if database_ok else "unavailable",
        "database": "ok" if database_ok else "unreachable",
        "transport": "twilio" if app_runtime.settings.twilio_enabled else "console",
    }
    return body, 200 if database_ok else 503


@blueprint.get("/metrics")
def metrics() -> Response:
    return Response(generate_latest(), mimetype=CONTENT_TYPE_LATEST)
