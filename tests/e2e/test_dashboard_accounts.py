"""Dashboard accounts over HTTP and the CLI: the login throttle, sessions that end when the
database says so, roles (an authorisation matrix of every route × every role), and four-eyes
across chat and web for an editor linked to their phone."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, select
from werkzeug.test import TestResponse

from bot.cli import main
from broadcasts.clock import FixedClock
from broadcasts.db.database import Database
from broadcasts.db.models import AdminUser, Broadcast, HoaxReportMedia
from broadcasts.runtime import Runtime
from config.settings import Settings
from tests.signing import SignedClient

PASSWORD = "kata-sandi-rahasia"
EDITOR_PHONE = "+6281200000002"
COORDINATOR = "+6281200000001"
ROLES = ("viewer", "editor", "admin")
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def cli(
    settings: Settings, database: Database, clock: FixedClock, *args: str, stdin: str = ""
) -> Result:
    return CliRunner().invoke(main, list(args), obj=Runtime(settings, database, clock), input=stdin)


@pytest.fixture(autouse=True)
def world(settings: Settings, database: Database, clock: FixedClock) -> None:
    """An account of each role, a group with a coordinator and an editor, and a campaign."""

    def run(*args: str, stdin: str = "") -> None:
        result = cli(settings, database, clock, *args, stdin=stdin)
        assert result.exit_code == 0, result.output

    run("group", "create", "JATIM", "--name", "Bakohumas Jawa Timur")
    run("member", "add", COORDINATOR, "--group", "JATIM", "--role", "coordinator")
    run("member", "add", EDITOR_PHONE, "--group", "JATIM", "--role", "editor", "--name", "Ani")
    run("campaign", "create", "literasi-jatim", "--title", "Literasi")
    run("calendar", "add", "--group", "JATIM", "--on", "2024-02-20", "--time", "09:00",
        "--body", "Cek DPT Anda")  # fmt: skip
    for role in ROLES:
        run("admin", "create", role, "--role", role, "--password-stdin", stdin=PASSWORD)
    run("content", "add", "--title", "Cek DPT", "--body", "Cek nama Anda di DPT", "--by", "admin")


def token(client: FlaskClient, path: str = "/admin/login") -> str:
    found = _TOKEN.search(client.get(path).get_data(as_text=True))
    assert found, f"{path} has no CSRF token"
    return found.group(1)


def log_in(client: FlaskClient, username: str, password: str = PASSWORD) -> TestResponse:
    form = {"username": username, "password": password, "csrf_token": token(client)}
    return client.post("/admin/login", data=form)


def signed_in(client: FlaskClient) -> bool:
    return client.get("/admin/").status_code == 200


# --- The login throttle ---------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_name_for_fifteen_minutes(
    client: FlaskClient, clock: FixedClock
) -> None:
    for _ in range(5):
        assert log_in(client, "admin", "bukan-itu").status_code == 401
    locked = log_in(client, "admin")  # even the right password
    assert locked.status_code == 429 and "15 menit" in locked.get_data(as_text=True)
    assert not signed_in(client)
    assert log_in(client, "editor").status_code == 302  # another name is not locked
    clock.advance(timedelta(minutes=14))
    assert log_in(client, "admin").status_code == 429
    clock.advance(timedelta(minutes=1))
    assert log_in(client, "admin").status_code == 302


def test_four_wrong_passwords_then_the_right_one_is_a_login(client: FlaskClient) -> None:
    for _ in range(4):
        log_in(client, "admin", "bukan-itu")
    assert log_in(client, "admin").status_code == 302


def test_twenty_failures_from_one_address_lock_it_for_every_name(
    app: Flask, clock: FixedClock
) -> None:
    guesser = app.test_client()
    for n in range(20):
        assert log_in(guesser, f"tebakan{n}", "bukan-itu").status_code == 401
    assert log_in(guesser, "viewer").status_code == 429
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "10.1.2.3"
    assert log_in(elsewhere, "viewer").status_code == 302
    clock.advance(timedelta(minutes=15))
    assert log_in(guesser, "viewer").status_code == 302


# --- Sessions end when the database says so -------------------------------------------------


def test_disabling_an_account_ends_its_sessions_at_once(
    client: FlaskClient, settings: Settings, database: Database, clock: FixedClock
) -> None:
    log_in(client, "editor")
    assert signed_in(client)
    disabled = cli(settings, database, clock, "admin", "disable", "editor")
    assert disabled.exit_code == 0, disabled.output
    assert client.get("/admin/").status_code == 302  # back to the login page
    assert log_in(client, "editor").status_code == 401
    assert "editor  editor  disabled" in cli(settings, database, clock, "admin", "list").output


def test_a_password_change_ends_every_session_of_the_account(
    app: Flask, settings: Settings, database: Database, clock: FixedClock
) -> None:
    phone, desk = app.test_client(), app.test_client()
    log_in(phone, "editor")
    log_in(desk, "editor")
    changed = cli(settings, database, clock, "admin", "password", "editor", "--password-stdin",
                  stdin="sandi-baru-panjang")  # fmt: skip
    assert changed.exit_code == 0, changed.output
    assert not signed_in(phone) and not signed_in(desk)
    assert log_in(desk, "editor").status_code == 401
    assert log_in(desk, "editor", "sandi-baru-panjang").status_code == 302


def test_a_deleted_account_is_signed_out(client: FlaskClient, database: Database) -> None:
    log_in(client, "admin")
    with database.transaction() as session:
        session.execute(delete(AdminUser).where(AdminUser.username == "admin"))
    assert not signed_in(client)


def test_a_cookie_copied_before_logout_opens_nothing_after_it(app: Flask) -> None:
    browser = app.test_client()
    log_in(browser, "admin")
    cookie = browser.get_cookie("session")
    assert cookie is not None
    browser.post("/admin/logout", data={"csrf_token": token(browser, "/admin/")})
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    assert thief.get("/admin/").status_code == 302


def test_an_idle_session_expires_and_a_used_one_does_not(
    client: FlaskClient, clock: FixedClock
) -> None:
    log_in(client, "viewer")
    for _ in range(3):  # six hours of use, a page each 100 minutes
        clock.advance(timedelta(minutes=100))
        assert signed_in(client)
    clock.advance(timedelta(hours=2))
    assert not signed_in(client)


# --- Accounts on the command line -----------------------------------------------------------


def test_the_last_admin_cannot_be_disabled_and_bad_input_changes_nothing(
    settings: Settings, database: Database, clock: FixedClock
) -> None:
    last = cli(settings, database, clock, "admin", "disable", "admin")
    assert last.exit_code == 1 and "last active admin" in last.output
    short = cli(settings, database, clock, "admin", "create", "budi", "--password-stdin",
                stdin="pendek")  # fmt: skip
    assert short.exit_code == 1 and "too short" in short.output
    stranger = cli(settings, database, clock, "admin", "create", "budi", "--phone",
                   "081299999999", "--password-stdin", stdin=PASSWORD)  # fmt: skip
    assert stranger.exit_code == 1 and "not a member" in stranger.output
    unknown = cli(settings, database, clock, "admin", "password", "nobody", "--password-stdin",
                  stdin=PASSWORD)  # fmt: skip
    assert unknown.exit_code == 1 and "no account" in unknown.output
    listed = cli(settings, database, clock, "admin", "list").output
    assert "budi" not in listed and "admin  admin  active" in listed


# --- Four-eyes across chat and web ----------------------------------------------------------


def test_an_editor_linked_to_their_phone_cannot_approve_on_the_web_what_they_proposed_by_chat(
    client: FlaskClient,
    twilio: SignedClient,
    settings: Settings,
    database: Database,
    clock: FixedClock,
) -> None:
    made = cli(settings, database, clock, "admin", "create", "ani", "--role", "editor",
               "--phone", "0812-0000-0002", "--password-stdin", stdin=PASSWORD)  # fmt: skip
    assert made.exit_code == 0, made.output
    twilio.say(EDITOR_PHONE, "SIARKAN JATIM Cek fakta sebelum berbagi")
    with database.transaction() as session:
        broadcast_id = session.scalars(select(Broadcast.id)).one()
    log_in(client, "ani")
    page = f"/admin/broadcasts/{broadcast_id}"
    refused = client.post(f"{page}/approve", data={"csrf_token": token(client, page)})
    assert refused.status_code == 303
    assert "sendiri" in client.get(page).get_data(as_text=True)  # told why, in words
    with database.transaction() as session:
        assert session.get(Broadcast, broadcast_id).state == "pending"  # type: ignore[union-attr]
    other = client.application.test_client()
    log_in(other, "editor")
    approved = other.post(f"{page}/approve", data={"csrf_token": token(other, page)})
    assert approved.status_code == 303
    with database.transaction() as session:
        stored = session.get(Broadcast, broadcast_id)
        assert stored is not None and stored.approved_by == "admin:editor"


# --- Every route × every role ---------------------------------------------------------------

# Each dashboard route (as Flask knows it), a request to it, and the least role it needs. A
# route missing here fails the test below, so a new page cannot skip the matrix.
ROUTES: dict[tuple[str, str], tuple[str, str]] = {
    ("GET", "/admin/"): ("/admin/", "viewer"),
    ("GET", "/admin/broadcasts"): ("/admin/broadcasts", "viewer"),
    ("GET", "/admin/broadcasts/new"): ("/admin/broadcasts/new?group=JATIM", "editor"),
    ("POST", "/admin/broadcasts/new"): ("/admin/broadcasts/new", "editor"),
    ("GET", "/admin/broadcasts/<int:broadcast_id>"): ("/admin/broadcasts/{b}", "viewer"),
    ("GET", "/admin/broadcasts/<int:broadcast_id>/progress.json"): (
        "/admin/broadcasts/{b}/progress.json",
        "viewer",
    ),
    ("POST", "/admin/broadcasts/<int:broadcast_id>/schedule"): (
        "/admin/broadcasts/{b}/schedule",
        "editor",
    ),
    ("POST", "/admin/broadcasts/<int:broadcast_id>/cancel"): (
        "/admin/broadcasts/{b}/cancel",
        "editor",
    ),
    ("POST", "/admin/broadcasts/<int:broadcast_id>/approve"): (
        "/admin/broadcasts/{b}/approve",
        "editor",
    ),
    ("POST", "/admin/broadcasts/<int:broadcast_id>/reject"): (
        "/admin/broadcasts/{b}/reject",
        "editor",
    ),
    ("GET", "/admin/campaigns"): ("/admin/campaigns", "viewer"),
    ("POST", "/admin/campaigns"): ("/admin/campaigns", "editor"),
    ("GET", "/admin/campaigns/<name>"): ("/admin/campaigns/literasi-jatim", "viewer"),
    ("POST", "/admin/campaigns/<name>/approve"): (
        "/admin/campaigns/literasi-jatim/approve",
        "editor",
    ),
    ("GET", "/admin/calendar"): ("/admin/calendar", "viewer"),
    ("GET", "/admin/calendar/settings"): ("/admin/calendar/settings", "viewer"),
    ("GET", "/admin/calendar/new"): ("/admin/calendar/new", "editor"),
    ("POST", "/admin/calendar/entries"): ("/admin/calendar/entries", "editor"),
    ("GET", "/admin/calendar/entries/<int:entry_id>"): ("/admin/calendar/entries/1", "viewer"),
    ("POST", "/admin/calendar/entries/<int:entry_id>/approve"): (
        "/admin/calendar/entries/1/approve",
        "editor",
    ),
    ("POST", "/admin/calendar/entries/<int:entry_id>/cancel"): (
        "/admin/calendar/entries/1/cancel",
        "editor",
    ),
    ("POST", "/admin/calendar/blackouts"): ("/admin/calendar/blackouts", "admin"),
    ("POST", "/admin/calendar/blackouts/<int:blackout_id>/remove"): (
        "/admin/calendar/blackouts/1/remove",
        "admin",
    ),
    ("POST", "/admin/calendar/quiet-hours"): ("/admin/calendar/quiet-hours", "admin"),
    ("POST", "/admin/campaigns/<name>/<action>"): (
        "/admin/campaigns/literasi-jatim/pause",
        "editor",
    ),
    ("GET", "/admin/groups"): ("/admin/groups", "viewer"),
    ("POST", "/admin/groups"): ("/admin/groups", "admin"),
    ("GET", "/admin/groups/<code>"): ("/admin/groups/JATIM", "viewer"),
    ("POST", "/admin/groups/<code>/timezone"): ("/admin/groups/JATIM/timezone", "admin"),
    ("POST", "/admin/groups/<code>/invitation"): ("/admin/groups/JATIM/invitation", "admin"),
    ("POST", "/admin/groups/<code>/members"): ("/admin/groups/JATIM/members", "admin"),
    ("POST", "/admin/groups/<code>/members/<int:member_id>/role"): (
        "/admin/groups/JATIM/members/0/role",
        "admin",
    ),
    ("POST", "/admin/groups/<code>/members/<int:member_id>/remove"): (
        "/admin/groups/JATIM/members/0/remove",
        "admin",
    ),
    ("GET", "/admin/groups/<code>/import"): ("/admin/groups/JATIM/import", "admin"),
    ("POST", "/admin/groups/<code>/import"): ("/admin/groups/JATIM/import", "admin"),
    ("POST", "/admin/groups/<code>/import/confirm"): (
        "/admin/groups/JATIM/import/confirm",
        "admin",
    ),
    ("GET", "/admin/groups/<code>/members.csv"): ("/admin/groups/JATIM/members.csv", "admin"),
    ("GET", "/admin/reports"): ("/admin/reports", "viewer"),
    ("GET", "/admin/reports/<int:claim_id>"): ("/admin/reports/1", "viewer"),
    ("GET", "/admin/reports/<int:claim_id>/media/<int:media_id>"): (
        "/admin/reports/1/media/1",
        "viewer",
    ),
    ("POST", "/admin/reports/<int:claim_id>/verdict"): ("/admin/reports/1/verdict", "editor"),
    ("POST", "/admin/reports/<int:claim_id>/approve"): ("/admin/reports/1/approve", "editor"),
    ("GET", "/admin/audit"): ("/admin/audit", "viewer"),
    ("GET", "/admin/content"): ("/admin/content", "viewer"),
    ("GET", "/admin/content/new"): ("/admin/content/new", "editor"),
    ("POST", "/admin/content/new"): ("/admin/content/new", "editor"),
    ("GET", "/admin/content/<int:content_id>"): ("/admin/content/1", "viewer"),
    ("GET", "/admin/content/<int:content_id>/edit"): ("/admin/content/1/edit", "editor"),
    ("POST", "/admin/content/<int:content_id>/edit"): ("/admin/content/1/edit", "editor"),
    ("POST", "/admin/content/<int:content_id>/submit"): ("/admin/content/1/submit", "editor"),
    ("POST", "/admin/content/<int:content_id>/approve"): ("/admin/content/1/approve", "editor"),
    ("POST", "/admin/content/<int:content_id>/reject"): ("/admin/content/1/reject", "editor"),
    ("GET", "/admin/broadcasts/<int:broadcast_id>/coverage"): (
        "/admin/broadcasts/{b}/coverage",
        "viewer",
    ),
    ("GET", "/admin/users"): ("/admin/users", "admin"),
    ("POST", "/admin/users"): ("/admin/users", "admin"),
    ("POST", "/admin/users/<username>/<action>"): ("/admin/users/viewer/role", "admin"),
}
OPEN = {
    ("GET", "/admin/login"),
    ("POST", "/admin/login"),
    ("POST", "/admin/logout"),
    ("POST", "/admin/language"),
}


def test_the_matrix_names_every_dashboard_route(app: Flask) -> None:
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/admin"):
            for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
                key = (method, rule.rule)
                assert key in ROUTES or key in OPEN, f"{key} is not in the matrix"


@pytest.mark.parametrize("who", ["anonymous", *ROLES])
def test_every_route_answers_every_role_as_the_matrix_says(
    app: Flask, twilio: SignedClient, database: Database, who: str
) -> None:
    twilio.say(COORDINATOR, "SIARKAN JATIM Waspada hoaks tanggal pemilu")
    twilio.say(COORDINATOR, "LAPOR Pencoblosan diundur ke Maret, sebarkan!")  # claim 1
    with database.transaction() as session:
        broadcast_id = session.scalars(select(Broadcast.id)).one()
        session.add(HoaxReportMedia(report_id=1, content_type="image/png", size=4,
                                    sha256="0" * 64, data=b"\x89PNG"))  # fmt: skip
    client = app.test_client()
    if who != "anonymous":
        assert log_in(client, who).status_code == 302
    rank = ROLES.index(who) if who in ROLES else -1
    for (method, _), (pattern, least) in ROUTES.items():
        path = pattern.format(b=broadcast_id)
        if method == "GET":
            answer = client.get(path)
            allowed = answer.status_code == 200
            if who == "anonymous":
                assert answer.status_code == 302 and "/admin/login" in answer.headers["Location"]
        else:
            answer = client.post(path, data={"csrf_token": token(client)})
            allowed = answer.status_code not in (401, 403)
            if who == "anonymous":
                assert answer.status_code == 401, path
        expected = rank >= ROLES.index(least)
        assert allowed == expected, f"{who} {method} {path}: {answer.status_code}"
        if not expected and who != "anonymous":
            assert answer.status_code == 403
