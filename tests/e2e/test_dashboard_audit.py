"""The audit log page over HTTP: events written by chat, the CLI and the dashboard, filtered by
who, what and when (days on the bot's clock), 50 a page, actions in words, people masked."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from bot.cli import main
from broadcasts.clock import FixedClock
from broadcasts.db.database import Database
from broadcasts.editorial import audit
from broadcasts.runtime import Runtime
from config.settings import Settings
from tests.signing import SignedClient

PASSWORD = "kata-sandi-rahasia"
COORDINATOR = "+6281200000001"
EDITOR = "+6281200000002"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
_ROW = re.compile(
    r"<tr>\s*<td class=\"when\"[^>]*>(.*?)</td>\s*<td[^>]*>(.*?)</td>\s*<td[^>]*>(.*?)</td>", re.S
)


@pytest.fixture(autouse=True)
def world(settings: Settings, database: Database, clock: FixedClock) -> None:
    def run(*args: str, stdin: str = "") -> None:
        result = CliRunner().invoke(
            main, list(args), obj=Runtime(settings, database, clock), input=stdin
        )
        assert result.exit_code == 0, result.output

    run("group", "create", "JATIM", "--name", "Bakohumas Jawa Timur")
    run("member", "add", COORDINATOR, "--group", "JATIM", "--role", "coordinator")
    run("member", "add", EDITOR, "--group", "JATIM", "--role", "editor", "--name", "Ani")
    run("admin", "create", "siti", "--role", "viewer", "--password-stdin", stdin=PASSWORD)


def token(client: FlaskClient, path: str = "/admin/login") -> str:
    found = _TOKEN.search(client.get(path).get_data(as_text=True))
    assert found
    return found.group(1)


@pytest.fixture
def viewer(app: Flask) -> FlaskClient:
    client = app.test_client()
    form = {"username": "siti", "password": PASSWORD, "csrf_token": token(client)}
    assert client.post("/admin/login", data=form).status_code == 302
    return client


def rows(client: FlaskClient, query: str = "") -> list[tuple[str, str, str]]:
    page = client.get(f"/admin/audit{query}")
    assert page.status_code == 200, page.get_data(as_text=True)
    found = _ROW.findall(page.get_data(as_text=True))
    return [(when.strip(), who.strip(), what.strip()) for when, who, what in found]


def test_filters_by_who_what_and_when_narrow_the_log(
    viewer: FlaskClient, twilio: SignedClient, database: Database, clock: FixedClock
) -> None:
    twilio.say(COORDINATOR, "SIARKAN JATIM Cek nama Anda di DPT")
    twilio.say(EDITOR, "SETUJUI 1")
    everything = rows(viewer)
    actions = [action for _, _, action in everything]
    assert "mengusulkan" in actions and "menyetujui" in actions
    assert "menyiapkan pengiriman" in actions  # planned by the system
    page = viewer.get("/admin/audit").get_data(as_text=True)
    assert COORDINATOR not in page and "0" + COORDINATOR[3:] not in page
    assert "0812-****-0001" in page and "member:" not in page  # |person: masked
    assert "UTC" not in page and "WIB" in page

    by_coordinator = rows(viewer, "?actor=0812-0000-0001")
    assert [a for _, _, a in by_coordinator] == ["mengusulkan"]
    assert rows(viewer, "?actor=%2B62%20812-0000-0002") == rows(viewer, "?actor=0812-0000-0002")
    assert [a for _, _, a in rows(viewer, "?actor=0812-0000-0002")] == ["menyetujui"]
    assert [a for _, _, a in rows(viewer, "?actor=system:planner")] == ["menyiapkan pengiriman"]
    assert [a for _, _, a in rows(viewer, "?action=approved")] == ["menyetujui"]
    assert len(rows(viewer, "?subject=broadcast&subject_id=1")) == 3
    assert rows(viewer, "?subject=broadcast&subject_id=2") == []
    assert rows(viewer, "?actor=nobody") == []

    # Days on the bot's clock (WIB): 17:30 UTC on the 5th is 00:30 WIB on the 6th.
    with database.transaction() as session:
        for minute in (16 * 60 + 59, 17 * 60 + 30):
            at = datetime(2024, 2, 5, tzinfo=UTC) + timedelta(minutes=minute)
            audit.record(session, "admin:siti", "account_role", "account", None, at, username="x")
    assert len(rows(viewer, "?since=2024-02-06")) == 1
    assert len(rows(viewer, "?since=2024-02-05&until=2024-02-05")) == 1
    assert len(rows(viewer, "?until=2024-02-05")) == 4  # the three of the 4th, and one
    assert [a for _, _, a in rows(viewer, "?actor=siti")] == ["mengubah peran akun"] * 2
    assert rows(viewer, "?since=2024-02-07") == []


def test_fifty_a_page_newest_first_and_paging_back_and_forth(
    viewer: FlaskClient, database: Database, clock: FixedClock
) -> None:
    start = clock.now()
    with database.transaction() as session:
        for n in range(120):
            audit.record(
                session, "system:calendar", "calendar_missed", "calendar_entry", n + 1,
                start + timedelta(minutes=n),
            )  # fmt: skip
    first = viewer.get("/admin/audit?subject=calendar_entry").get_data(as_text=True)
    assert len(_ROW.findall(first)) == 50
    assert "jadwal kalender #120" in first and "jadwal kalender #71" in first
    assert "jadwal kalender #70<" not in first
    older = re.search(r'href="(/admin/audit\?before=\d+[^"]*)"', first)
    assert older, first
    second = viewer.get(older.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert len(_ROW.findall(second)) == 50 and "jadwal kalender #70<" in second
    third_link = re.search(r'href="(/admin/audit\?before=\d+[^"]*)"', second)
    assert third_link
    third = viewer.get(third_link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert len(_ROW.findall(third)) == 20 and "jadwal kalender #1<" in third
    assert "Lebih lama" not in third
    back = re.search(r'href="(/admin/audit\?after=\d+[^"]*)"', third)
    assert back
    again = viewer.get(back.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert _ROW.findall(again) == _ROW.findall(second)


def test_bad_filters_are_told_in_words_not_a_500(viewer: FlaskClient, database: Database) -> None:
    with database.transaction() as session:
        audit.record(session, "admin:siti", "something_new", "widget", 7, datetime.now(UTC))
    bad = viewer.get("/admin/audit?since=14-02-2024")
    assert bad.status_code == 400 and "Tanggal tidak dikenali" in bad.get_data(as_text=True)
    assert viewer.get("/admin/audit?until=2024-13-45").status_code == 400
    reversed_ = viewer.get("/admin/audit?since=2024-02-10&until=2024-02-01")
    assert reversed_.status_code == 400 and "lebih awal" in reversed_.get_data(as_text=True)
    assert viewer.get("/admin/audit?subject_id=abc").status_code == 400
    for page in ("-1", "0", "abc", "99999999999999999999999"):
        for key in ("before", "after", "page"):
            assert viewer.get(f"/admin/audit?{key}={page}").status_code == 200, (key, page)
    shown = rows(viewer, "?action=something_new")
    assert [a for _, _, a in shown] == ["something new"]  # an action with no words yet
    assert viewer.get("/admin/audit?actor=" + "x" * 500).status_code == 200
