"""The Flask application factory: webhooks, health, metrics, calendars and the dashboard."""

from __future__ import annotations

import logging

from flask import Flask, g, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFProtect
from werkzeug.exceptions import HTTPException

from bot.web import (
    dashboard,
    editorial_feed,
    election_feed,
    health,
    media,
    privacy,
    status_callbacks,
    twilio,
)
from broadcasts.clock import Clock, SystemClock
from broadcasts.db.database import Database
from broadcasts.runtime import Runtime
from config.settings import STATIC_DIR, TEMPLATES_DIR, Settings, load_settings

log = logging.getLogger(__name__)


def create_app(
    settings: Settings | None = None,
    *,
    database: Database | None = None,
    clock: Clock | None = None,
) -> Flask:
    settings = settings or load_settings()
    app = Flask(
        __name__,
        template_folder=str(TEMPLATES_DIR / "dashboard"),
        static_folder=str(STATIC_DIR),
        static_url_path="/static",
    )
    app.config["SECRET_KEY"] = settings.secret_key or "humasbot-development-only"
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    app.extensions["humasbot"] = Runtime(
        settings, database or Database(settings.database_url), clock or SystemClock()
    )

    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = settings.public_base_url.startswith("https://")
    app.config["WTF_CSRF_TIME_LIMIT"] = None  # a token lives as long as the login session

    dashboard.security.init_app(app)
    # Forms carry a CSRF token; Twilio's webhooks are signed instead and carry none.
    csrf = CSRFProtect(app)
    for signed_by_twilio in (twilio.blueprint, status_callbacks.blueprint):
        csrf.exempt(signed_by_twilio)
    for blueprint in (
        twilio.blueprint,
        status_callbacks.blueprint,
        dashboard.blueprint,
        health.blueprint,
        election_feed.blueprint,
        editorial_feed.blueprint,
        media.blueprint,
        privacy.blueprint,
    ):
        app.register_blueprint(blueprint)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> ResponseReturnValue:
        code = error.code or 500
        if request.path.startswith("/admin"):  # people in a browser: a page, in their words
            return render_template("error.html", code=code, account=g.get("account")), code
        return {"error": error.name, "detail": error.description}, code

    return app
