"""Liveness and metrics for operators and their monitoring."""

from __future__ import annotations

from flask import Blueprint, Response, current_app
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.web.app import services

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz() -> tuple[dict[str, object], int]:
    app_services = services(current_app)
    database_ok = app_services.database.ping()
    body: dict[str, object] = {
        "status": "ok" if database_ok else "unavailable",
        "database": "ok" if database_ok else "unreachable",
        "transport": "twilio" if app_services.settings.twilio_enabled else "console",
    }
    return body, 200 if database_ok else 503


@blueprint.get("/metrics")
def metrics() -> Response:
    return Response(generate_latest(), mimetype=CONTENT_TYPE_LATEST)
