"""A broadcast's amplification in the dashboard: which offices it reached confirmed a repost
(SUDAH by signed webhook), out of how many, by platform, which did not; links shown escaped."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from bot.cli import main
from broadcasts.clock import FixedClock
from broadcasts.db.database import Database
from broadcasts.db.models import DeliveryState, OutboundMessage, Role
from broadcasts.people.membership import add_member, create_group
from broadcasts.runtime import Runtime
from config.settings import Settings
from tests.signing import SignedClient

PASSWORD = "kata-sandi-rahasia"
PROVINCE = "+6281600000001"
EDITOR = "+6281600000002"
PONTIANAK = "+6281600000011"
KUBURAYA = "+6281600000021"
SAMBAS = "+6281600000031"
POST = "https://www.instagram.com/p/C3xYz12Ab/?a=1&b=<script>"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(autouse=True)
def world(settings: Settings, database: Database, clock: FixedClock) -> None:
    with database.transaction() as session:
        create_group(session, "KALBAR", "Diskominfo Kalbar", timezone="Asia/Pontianak")
        create_group(session, "PONTIANAK", "Diskominfo Kota Pontianak", parent_code="KALBAR")
        create_group(session, "KUBURAYA", "Diskominfo Kubu Raya", parent_code="PONTIANAK")
        create_group(session, "SAMBAS", "Diskominfo Sambas", parent_code="KALBAR")
        add_member(session, PROVINCE, "KALBAR", role=Role.COORDINATOR)
        add_member(session, EDITOR, "KALBAR", role=Role.EDITOR)
        for phone, code in ((PONTIANAK, "PONTIANAK"), (KUBURAYA, "KUBURAYA"), (SAMBAS, "SAMBAS")):
            add_member(session, phone, code)
    made = CliRunner().invoke(
        main,
        ["admin", "create", "vera", "--role", "viewer", "--password-stdin"],
        obj=Runtime(settings, database, clock),
        input=PASSWORD,
    )
    assert made.exit_code == 0, made.output


@pytest.fixture
def viewer(app: Flask) -> FlaskClient:
    client = app.test_client()
    found = _TOKEN.search(client.get("/admin/login").get_data(as_text=True))
    assert found
    form = {"username": "vera", "password": PASSWORD, "csrf_token": found.group(1)}
    assert client.post("/admin/login", data=form).status_code == 302
    return client


def test_coverage_shows_who_confirmed_out_of_how_many_by_platform(
    viewer: FlaskClient, twilio: SignedClient, database: Database
) -> None:
    twilio.say(PROVINCE, "SIARKAN KALBAR Cek DPT Anda di https://kpu.go.id/cek-dpt")
    page = "/admin/broadcasts/1/coverage"
    before = viewer.get(page)
    assert before.status_code == 200
    assert "belum sampai ke kantor mana pun" in before.get_data(as_text=True)
    twilio.say(EDITOR, "SETUJUI 1")
    with database.transaction() as session:
        session.execute(
            update(OutboundMessage)
            .where(OutboundMessage.broadcast_id == 1)
            .values(state=DeliveryState.SENT.value)
        )
    assert "0 dari 4 kantor" in viewer.get(page).get_data(as_text=True)
    twilio.say(PONTIANAK, f"SUDAH 1 {POST}")
    twilio.say(KUBURAYA, "SUDAH 1 https://www.facebook.com/diskominfo.kuburaya/posts/1")
    twilio.say(KUBURAYA, "SUDAH 1 https://kuburayakab.go.id/berita/cek-dpt")
    html = viewer.get(page).get_data(as_text=True)
    assert "2 dari 4 kantor sudah mengonfirmasi (50 %)" in html
    assert "Belum mengonfirmasi (2)" in html
    missing = html.split("Belum mengonfirmasi (2)")[1].split("</ul>")[0]
    assert "KALBAR" in missing and "SAMBAS" in missing and "PONTIANAK" not in missing
    instagram = r"<td>Instagram</td><td class=\"number\">1</td><td class=\"number\">1</td>"
    assert re.search(instagram, html)
    assert re.search(r"<td>Situs web kantor</td><td class=\"number\">1</td>", html)
    assert "<script>" not in html and "&lt;script&gt;" in html  # escaped, as given
    assert "WIB" in html and "UTC" not in html
    assert viewer.get("/admin/broadcasts/999/coverage").status_code == 404
    assert viewer.get("/admin/broadcasts/99999999999999/coverage").status_code == 404
