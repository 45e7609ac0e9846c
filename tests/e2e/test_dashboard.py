"""The admins' dashboard over HTTP: login with an account `humasbot admin create` made, CSRF on
every form, the overview, cancelling a broadcast and pausing a campaign — and the ugly cases."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from bot.cli import main
from bot.web.app import create_app
from broadcasts.clock import FixedClock
from broadcasts.db.database import Database
from broadcasts.db.models import AuditEvent, Broadcast, Campaign
from broadcasts.runtime import Runtime
from config.settings import Settings
from tests.signing import SignedClient

ADMIN, PASSWORD = "siti", "kata-sandi-rahasia"
COORDINATOR = "+6281200000001"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def cli(
    settings: Settings, database: Database, clock: FixedClock, *args: str, stdin: str = ""
) -> Result:
    context = Runtime(settings, database, clock)
    result = CliRunner().invoke(main, list(args), obj=context, input=stdin)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(autouse=True)
def world(settings: Settings, database: Database, clock: FixedClock) -> None:
    """An admin account, a group with a coordinator, and an empty campaign."""
    cli(settings, database, clock, "admin", "create", ADMIN, "--password-stdin", stdin=PASSWORD)
    cli(settings, database, clock, "group", "create", "JATIM", "--name", "Bakohumas Jawa Timur")
    cli(settings, database, clock, "member", "add", COORDINATOR, "--group", "JATIM",
        "--role", "coordinator", "--name", "Budi")  # fmt: skip
    cli(settings, database, clock, "campaign", "create", "literasi-jatim", "--title", "Literasi")


def token(client: FlaskClient, path: str = "/admin/login") -> str:
    page = client.get(path)
    assert page.status_code == 200, page.get_data(as_text=True)
    found = _TOKEN.search(page.get_data(as_text=True))
    assert found, "the page has no CSRF token"
    return found.group(1)


def log_in(client: FlaskClient, password: str = PASSWORD, **extra: str) -> TestResponse:
    form = {"username": ADMIN, "password": password, "csrf_token": token(client), **extra}
    return client.post("/admin/login", data=form)


def campaign_state(database: Database, name: str) -> str:
    with database.transaction() as session:
        return session.scalars(select(Campaign.state).where(Campaign.name == name)).one()


def test_pages_need_a_login_and_a_login_returns_to_the_page_asked_for(
    client: FlaskClient, database: Database
) -> None:
    asked = client.get("/admin/campaigns")
    assert asked.status_code == 302
    assert asked.headers["Location"].startswith("/admin/login?next=/admin/campaigns")
    pause = "/admin/campaigns/literasi-jatim/pause"
    assert client.post(pause).status_code == 400  # no CSRF token: refused before anything else
    logged_out = client.post(pause, data={"csrf_token": token(client)})
    assert logged_out.status_code == 401  # a valid form, but nobody is logged in
    assert campaign_state(database, "literasi-jatim") == "active"
    answer = log_in(client, next="/admin/campaigns")
    assert (answer.status_code, answer.headers["Location"]) == (302, "/admin/campaigns")
    assert "literasi-jatim" in client.get("/admin/campaigns").get_data(as_text=True)


def test_a_wrong_password_or_name_is_refused_alike(client: FlaskClient) -> None:
    wrong = log_in(client, password="bukan-itu")
    assert wrong.status_code == 401 and "salah" in wrong.get_data(as_text=True)
    form = {"username": "nobody", "password": PASSWORD, "csrf_token": token(client)}
    unknown = client.post("/admin/login", data=form)
    assert unknown.status_code == 401 and "salah" in unknown.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302  # still logged out


def test_a_form_without_its_csrf_token_is_refused(client: FlaskClient, database: Database) -> None:
    refused = client.post("/admin/login", data={"username": ADMIN, "password": PASSWORD})
    assert refused.status_code == 400 and refused.mimetype == "text/html"
    assert "kedaluwarsa" in refused.get_data(as_text=True)  # a page that says what to do
    log_in(client)
    forged = client.post("/admin/campaigns/literasi-jatim/pause", data={"csrf_token": "forged"})
    assert forged.status_code == 400
    assert campaign_state(database, "literasi-jatim") == "active"  # nothing was paused


def test_a_login_never_sends_the_browser_off_the_dashboard(client: FlaskClient) -> None:
    answer = log_in(client, next="https://phishing.example/admin")
    assert answer.headers["Location"] == "/admin/"


def test_without_a_secret_key_no_one_can_log_in(
    settings: Settings, database: Database, clock: FixedClock
) -> None:
    unsafe = Settings(**{**settings.__dict__, "secret_key": None})
    app: Flask = create_app(unsafe, database=database, clock=clock)
    client = app.test_client()
    answer = log_in(client)
    assert answer.status_code == 503 and "SECRET_KEY" in answer.get_data(as_text=True)


def test_the_overview_shows_what_waits_for_approval(
    client: FlaskClient, twilio: SignedClient
) -> None:
    twilio.say(COORDINATOR, "SIARKAN JATIM Hari pemungutan suara 14 Februari 2029 🗳️")
    log_in(client)
    page = client.get("/admin/").get_data(as_text=True)
    assert "Menunggu persetujuan (1)" in page
    assert "Hari pemungutan suara 14 Februari 2029 🗳️" in page
    assert "Bakohumas Jawa Timur" in page  # the group it is for, by name
    assert "segera setelah disetujui" in page and "Periksa dan setujui" in page


def test_an_admin_cancels_a_broadcast_once_and_an_unknown_one_is_404(
    client: FlaskClient, twilio: SignedClient, database: Database
) -> None:
    twilio.say(COORDINATOR, "SIARKAN JATIM *Waspada* hoaks tanggal pemilu <script>x</script>")
    log_in(client)
    with database.transaction() as session:
        broadcast_id = session.scalars(select(Broadcast.id)).one()
    page = f"/admin/broadcasts/{broadcast_id}"
    cancelled = client.post(f"{page}/cancel", data={"csrf_token": token(client, page)})
    assert (cancelled.status_code, cancelled.headers["Location"]) == (303, page)
    shown = client.get(page).get_data(as_text=True)
    assert "dibatalkan" in shown
    assert "Budi (0812-****-0001)" in shown  # the author by name, the number masked
    # The text as WhatsApp shows it (bold), and nothing in it runs as HTML.
    assert "<strong>Waspada</strong> hoaks" in shown and "<script>x" not in shown
    assert f"{ADMIN} (akun dasbor)" in shown and "admin:" not in shown
    with database.transaction() as session:
        stored = session.get(Broadcast, broadcast_id)
        assert stored is not None
        assert (stored.state, stored.cancelled_by) == ("cancelled", f"admin:{ADMIN}")
    again = client.post(f"{page}/cancel", data={"csrf_token": token(client, page)})
    assert again.status_code == 303  # told why, on the page, not a 500
    assert "Batalkan siaran" not in client.get(page).get_data(as_text=True)
    unknown = client.get("/admin/broadcasts/999")
    assert unknown.status_code == 404 and "Tidak ditemukan" in unknown.get_data(as_text=True)
    missing = client.post("/admin/broadcasts/999/cancel", data={"csrf_token": token(client, page)})
    assert missing.status_code == 404


def test_an_admin_pauses_and_resumes_a_campaign_and_the_audit_log_says_who(
    client: FlaskClient, database: Database
) -> None:
    log_in(client)

    def act(action: str, name: str = "literasi-jatim") -> int:
        form = {"csrf_token": token(client, "/admin/campaigns")}
        return client.post(f"/admin/campaigns/{name}/{action}", data=form).status_code

    def state() -> str:
        with database.transaction() as session:
            return session.scalars(select(Campaign.state)).one()

    assert (act("pause"), state()) == (303, "paused")
    assert "Seri siaran literasi-jatim dijeda." in client.get("/admin/campaigns").get_data(
        as_text=True
    )
    assert (act("pause"), state()) == (303, "paused")  # already paused: told, not changed
    assert (act("resume"), state()) == (303, "active")
    assert act("explode") == 404
    assert act("pause", name="tidak-ada") == 404
    with database.transaction() as session:
        actors = session.scalars(
            select(AuditEvent.actor).where(AuditEvent.action.like("campaign_%"))
        ).all()
    assert f"admin:{ADMIN}" in actors


def test_logging_out_ends_the_session(client: FlaskClient) -> None:
    log_in(client)
    assert client.get("/admin/").status_code == 200
    out = client.post("/admin/logout", data={"csrf_token": token(client, "/admin/")})
    assert out.status_code == 302
    assert client.get("/admin/").status_code == 302
