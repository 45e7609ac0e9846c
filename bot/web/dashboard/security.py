"""Headers every answer carries, where a login may send the browser next, and a quiet server.

The policy allows only the app's own files: no inline script or style, no framing (clickjacking),
forms posting only here. Dashboard pages are never stored by a browser or proxy: they show
phone numbers and are behind a login.
"""

from __future__ import annotations

from flask import Flask, Response, request, url_for
from werkzeug.serving import WSGIRequestHandler

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def init_app(app: Flask) -> None:
    app.after_request(_add_headers)


def _add_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.path.startswith("/admin"):
        response.headers["Cache-Control"] = "no-store"
    return response


def safe_next(target: str | None) -> str:
    """Only a path on this dashboard: a login must not send anyone elsewhere, and a line break
    in a Location header would be refused by the server (a 500) or split the answer."""
    if (
        target
        and target.startswith("/admin")
        and target.isprintable()
        and "\\" not in target
        and not target.startswith("//")
    ):
        return target
    return url_for("dashboard.overview")


class QuietRequestHandler(WSGIRequestHandler):
    """`humasbot run`'s server without its version in the `Server` header (Werkzeug/x Python/y
    tells an attacker which advisories apply)."""

    server_version = "humasbot"
    sys_version = ""
