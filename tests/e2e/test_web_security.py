"""Rules found when the first dashboard was attacked, through HTTP: security headers on every
answer, no server version, and the two requests that used to end in a 500."""

from __future__ import annotations

import threading
import urllib.request

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from bot.web.dashboard.security import QuietRequestHandler
from tests.signing import SignedClient

STATUS_FORM = {"MessageSid": "SM" + "9" * 32, "MessageStatus": "delivered"}


@pytest.mark.parametrize("path", ["/admin/login", "/admin/", "/healthz", "/privasi", "/nowhere"])
def test_every_answer_carries_the_security_headers(client: FlaskClient, path: str) -> None:
    headers = client.get(path).headers
    policy = headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy  # the dashboard's CSS is a file, not inline
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"


def test_dashboard_pages_are_never_cached(client: FlaskClient) -> None:
    assert client.get("/admin/login").headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get("/healthz").headers.get("Cache-Control", "")


def test_the_dashboard_stylesheet_is_served_by_the_app(client: FlaskClient) -> None:
    page = client.get("/admin/login").get_data(as_text=True)
    assert "<style" not in page and 'href="/static/dashboard.css"' in page
    with client.get("/static/dashboard.css") as stylesheet:
        assert stylesheet.status_code == 200 and stylesheet.mimetype == "text/css"


@pytest.mark.parametrize("delivery", ["99999999999999999999", "2147483648", "-1", "1e3"])
def test_a_status_callback_with_an_impossible_delivery_id_is_malformed(
    twilio: SignedClient, delivery: str
) -> None:
    answer = twilio.post(f"/twilio/status?delivery={delivery}", STATUS_FORM)
    assert answer.status_code == 400


def test_a_status_callback_with_an_impossible_error_code_changes_nothing(
    twilio: SignedClient,
) -> None:
    form = {**STATUS_FORM, "MessageStatus": "failed", "ErrorCode": "99999999999999999999"}
    assert twilio.post("/twilio/status?delivery=5", form).status_code == 200


@pytest.mark.parametrize(
    "target",
    ["/admin/\r\nSet-Cookie: x=1", "/admin/%0d%0aLocation: https://evil.example", "/admin\\@evil"],
)
def test_a_login_page_with_a_next_carrying_line_breaks_is_no_500(
    client: FlaskClient, target: str
) -> None:
    page = client.get("/admin/login", query_string={"next": target})
    assert page.status_code == 200


def test_humasbot_run_does_not_announce_its_server_versions(app: Flask) -> None:
    """The server `humasbot run` makes, over real HTTP."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietRequestHandler)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/healthz") as answer:
            announced = answer.headers.get("Server", "")
    finally:
        server.shutdown()
        serving.join()
    assert "Werkzeug" not in announced and "Python" not in announced
