"""Liveness and metrics for operators and their monitoring."""

from __future__ import annotations

import logging

from flask import Blueprint, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from sqlalchemy.exc import SQLAlchemyError

from bot.web.metrics import DatabaseFigures
from bot.web.runtime import runtime
from broadcasts import metrics as figures

blueprint = Blueprint("health", __name__)
log = logging.getLogger(__name__)


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
    """This process's counters, then the database's figures as of now."""
    app_runtime = runtime()
    scrape = CollectorRegistry(auto_describe=False)
    try:
        with app_runtime.database.transaction() as session:
            scrape.register(DatabaseFigures(figures.read(session, app_runtime.clock.now())))
    except SQLAlchemyError:  # the database is down: /healthz says so; the counters still count
        log.warning("metrics: the database did not answer", exc_info=True)
    return Response(generate_latest() + generate_latest(scrape), mimetype=CONTENT_TYPE_LATEST)
