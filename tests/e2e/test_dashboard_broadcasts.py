"""The dashboard's Broadcasts pages over HTTP, on both databases: an editor composes for a group
(its audience as planning counts it), another approves, the dispatcher sends to the fake Twilio,
and the broadcast's page shows the funnel and each failure with its reason; send times on the
group's clock; and the bad input, refused with words and nothing half-saved."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select, update
from werkzeug.test import TestResponse

from bot.cli import main
from bot.web.app import create_app
from broadcasts.clock import FixedClock
from broadcasts.db.database import Database
from broadcasts.db.models import AuditEvent, Broadcast, Group, Member, Membership, OutboundMessage
from broadcasts.delivery.dispatch import Dispatcher
from broadcasts.editorial import library
from broadcasts.editorial import workflow as editorial
from broadcasts.editorial_calendar import agenda_cache
from broadcasts.runtime import Runtime
from config.settings import Settings
from tests.conftest import START
from tests.fake_twilio import FakeTwilio
from tests.signing import SignedClient

PASSWORD = "kata-sandi-rahasia"
COORDINATOR = "+6281200000001"
# Members of JATIM (one stopped broadcasts) and of its sub-group SURABAYA.
MEMBERS = ("+6281300000001", "+6281300000002", "+6281300000003", "+6281300000004")
STOPPED = "+6281300000009"
SUB_MEMBER = "+6281300000005"
UNREACHABLE = MEMBERS[3]  # Twilio answers 63024: not on WhatsApp
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def cli(
    settings: Settings, database: Database, clock: FixedClock, *args: str, stdin: str = ""
) -> str:
    result = CliRunner().invoke(
        main, list(args), obj=Runtime(settings, database, clock), input=stdin
    )
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(autouse=True)
def world(settings: Settings, database: Database, clock: FixedClock) -> None:
    """Two editors and a viewer; JATIM (WIB) with SURABAYA below it, SULSEL (WITA)."""

    def run(*args: str, stdin: str = "") -> None:
        cli(settings, database, clock, *args, stdin=stdin)

    for name, role in (("rina", "editor"), ("budi", "editor"), ("tamu", "viewer")):
        run("admin", "create", name, "--role", role, "--password-stdin", stdin=PASSWORD)
    run("group", "create", "JATIM", "--name", "Bakohumas Jawa Timur")
    run("group", "create", "SURABAYA", "--name", "Diskominfo Surabaya", "--parent", "JATIM")
    run("group", "create", "SULSEL", "--name", "Bakohumas Sulawesi Selatan",
        "--timezone", "Asia/Makassar")  # fmt: skip
    run("member", "add", COORDINATOR, "--group", "JATIM", "--role", "coordinator")
    for phone in (*MEMBERS, STOPPED):
        run("member", "add", phone, "--group", "JATIM", "--name", f"Anggota {phone[-2:]}")
    run("member", "add", SUB_MEMBER, "--group", "SURABAYA")
    with database.transaction() as session:
        session.execute(update(Member).values(last_inbound_at=START - timedelta(hours=1)))
        session.execute(update(Member).where(Member.phone == STOPPED).values(opted_out_at=START))


def token(client: FlaskClient, path: str = "/admin/login") -> str:
    found = _TOKEN.search(client.get(path).get_data(as_text=True))
    assert found, f"{path} has no CSRF token"
    return found.group(1)


def logged_in(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    form = {"username": username, "password": PASSWORD, "csrf_token": token(client)}
    assert client.post("/admin/login", data=form).status_code == 302
    return client


def text(answer: TestResponse) -> str:
    return answer.get_data(as_text=True)


def propose(client: FlaskClient, **form: str) -> TestResponse:
    fields = {"group": "JATIM", "csrf_token": token(client, "/admin/broadcasts/new"), **form}
    return client.post("/admin/broadcasts/new", data=fields)


def broadcast_count(database: Database) -> int:
    with database.transaction() as session:
        return session.scalar(select(func.count(Broadcast.id))) or 0


def only_broadcast(database: Database) -> Broadcast:
    with database.transaction() as session:
        found = session.scalars(select(Broadcast).order_by(Broadcast.id.desc())).first()
        assert found is not None
        session.expunge(found)
        return found


@pytest.fixture
def fake(settings: Settings) -> Iterator[FakeTwilio]:
    with FakeTwilio(auth_token=settings.twilio_auth_token or "") as running:
        yield running


def test_compose_approve_send_and_read_the_funnel_with_its_failure(
    app: Flask,
    twilio: SignedClient,
    fake: FakeTwilio,
    settings: Settings,
    database: Database,
    clock: FixedClock,
) -> None:
    rina, budi = logged_in(app, "rina"), logged_in(app, "budi")
    compose = text(rina.get("/admin/broadcasts/new?group=JATIM"))
    # Five in JATIM (its coordinator too) and one in SURABAYA; not the one who stopped.
    assert "6 penerima di Bakohumas Jawa Timur dan subgrupnya" in compose
    assert "WIB" in compose
    assert "menulis ke kami dalam 24 jam terakhir" not in compose  # every one of them wrote

    answer = propose(rina, body="Cek nama Anda di DPT: cekdptonline.kpu.go.id 🗳️")
    assert answer.status_code == 303
    proposed = only_broadcast(database)
    assert answer.headers["Location"] == f"/admin/broadcasts/{proposed.id}"
    assert (proposed.state, proposed.author) == ("pending", "admin:rina")
    assert proposed.body.endswith("🗳️")  # kept as written
    page = f"/admin/broadcasts/{proposed.id}"
    shown = text(rina.get(page))
    assert f"Siaran #{proposed.id} diajukan" in shown and "menunggu persetujuan" in shown

    own = rina.post(f"{page}/approve", data={"csrf_token": token(rina, page)})
    assert own.status_code == 303
    assert "harus disetujui editor lain" in text(rina.get(page))  # told why, in words
    assert only_broadcast(database).state == "pending"

    approved = budi.post(f"{page}/approve", data={"csrf_token": token(budi, page)})
    assert approved.status_code == 303
    assert f"Siaran #{proposed.id} disetujui." in text(budi.get(page))
    assert only_broadcast(database).state == "sending"  # no time set: planned at once

    addresses = {phone: f"whatsapp:{phone}" for phone in (COORDINATOR, *MEMBERS, SUB_MEMBER)}
    fake.errors[addresses[UNREACHABLE]] = 63024
    sending = settings.replace(
        twilio_account_sid=fake.account_sid,
        twilio_whatsapp_from="whatsapp:+14155238886",
        twilio_api_base_url=fake.url,
    )
    dispatcher = Dispatcher(sending, database, clock, owner="dashboard-test")
    try:
        dispatcher.drain()
    finally:
        dispatcher.close()
    with database.transaction() as session:
        rows = {
            row.address: (row.id, row.twilio_sid)
            for row in session.scalars(
                select(OutboundMessage).where(OutboundMessage.broadcast_id == proposed.id)
            )
        }
    for phone, status in ((MEMBERS[0], "read"), (MEMBERS[1], "delivered"), (SUB_MEMBER, "read")):
        delivery_id, sid = rows[addresses[phone]]
        assert sid is not None
        callback = {"MessageSid": sid, "MessageStatus": status, "AccountSid": fake.account_sid}
        assert twilio.post(f"/twilio/status?delivery={delivery_id}", callback).status_code == 200

    progress = rina.get(f"{page}/progress.json").get_json()
    assert progress["total"] == 6 and progress["failed"] == 1 and progress["in_flight"] == 0
    assert {key: bar["count"] for key, bar in progress["bars"].items()} == {
        "queued": 6,
        "sent": 5,
        "delivered": 3,
        "read": 2,
    }
    shown = text(rina.get(page))
    assert "selesai dikirim" in shown
    assert "nomor tidak terdaftar di WhatsApp" in shown  # the reason in words, not 63024
    assert "Anggota 04 (0813-****-0004)" in shown  # the recipient, masked
    assert UNREACHABLE not in shown and "63024" not in shown
    assert 'data-count="read">2<' in shown and 'width="33"' in shown  # 2 of 6 read
    listed = text(rina.get("/admin/broadcasts?state=done&group=JATIM"))
    assert f"#{proposed.id}" in listed and "3 dari 6" in listed


def test_a_time_on_the_groups_clock_is_stored_in_utc_and_shown_with_its_zone(
    app: Flask, database: Database
) -> None:
    rina = logged_in(app, "rina")
    assert "WITA" in text(rina.get("/admin/broadcasts/new?group=SULSEL"))
    answer = propose(
        rina, group="SULSEL", body="Debat kandidat malam ini", date="2024-02-05", time="09:00"
    )
    assert answer.status_code == 303
    stored = only_broadcast(database)
    assert stored.scheduled_at == datetime(2024, 2, 5, 1, 0, tzinfo=UTC)
    page = text(rina.get(answer.headers["Location"]))
    assert "Senin, 5 Februari 2024 pukul 09.00 WITA" in page
    assert "UTC" not in page and "01.00" not in page
    listed = text(rina.get("/admin/broadcasts?group=SULSEL"))
    assert "5 Feb pukul 09.00 WITA" in listed

    # Moved into the quiet hours: set, with a warning; the audit log says who.
    path = f"/admin/broadcasts/{stored.id}/schedule"
    form = {
        "date": "2024-02-05",
        "time": "22:30",
        "csrf_token": token(rina, answer.headers["Location"]),
    }
    assert rina.post(path, data=form).status_code == 303
    page = text(rina.get(answer.headers["Location"]))
    assert "pukul 22.30 WITA" in page and "jam senyap" in page
    assert only_broadcast(database).scheduled_at == datetime(2024, 2, 5, 14, 30, tzinfo=UTC)
    with database.transaction() as session:
        actors = session.scalars(
            select(AuditEvent.actor).where(AuditEvent.action == "scheduled")
        ).all()
    assert set(actors) == {"admin:rina"}

    english = logged_in(app, "budi")
    english.post(
        "/admin/language", data={"language": "en", "csrf_token": token(english, "/admin/")}
    )
    assert "Monday, 5 February 2024 at 22:30 WITA" in text(english.get(answer.headers["Location"]))


def test_bad_input_is_refused_in_words_and_nothing_is_half_saved(
    app: Flask, database: Database, clock: FixedClock
) -> None:
    rina = logged_in(app, "rina")
    assert rina.get("/admin/broadcasts/new?group=TIDAKADA").status_code == 404
    assert propose(rina, group="TIDAKADA", body="Halo").status_code == 404
    assert rina.get("/admin/broadcasts/999").status_code == 404
    assert rina.get("/admin/broadcasts/999/progress.json").status_code == 404
    assert rina.get("/admin/broadcasts/99999999999999999999").status_code == 404
    form = {"date": "2024-02-05", "time": "09:00", "csrf_token": token(rina)}
    assert rina.post("/admin/broadcasts/999/schedule", data=form).status_code == 404
    assert rina.get("/admin/broadcasts?group=TIDAKADA").status_code == 404

    empty = propose(rina, body="   ")
    assert empty.status_code == 400 and "Isi siaran kosong" in text(empty)
    long = propose(rina, body="a" * 5000)
    assert long.status_code == 400 and "5.000 karakter" in text(long)
    assert "a" * 5000 in text(long)  # what was typed is kept in the form
    for written, words in (
        (("", "🕘"), "tidak bisa kami baca"),
        (("2024-02-05", "25:00"), "bukan jam"),
        (("2024-02-31", "09:00"), "bukan tanggal"),
        (("2024-02-01", "09:00"), "sudah lewat"),
    ):
        date, time = written
        answer = propose(rina, body="Ayo ke TPS", date=date, time=time)
        assert answer.status_code == 400, written
        assert words in text(answer), written
    assert broadcast_count(database) == 0  # the proposals with a bad time were not kept either

    # Library items: an unknown one is 404, one not yet approved is refused.
    with database.transaction() as session:
        item = library.add_content(
            session, title="DPT", body="Cek DPT Anda", created_by="admin:budi", now=clock.now()
        )
        item_id = item.id
    assert rina.get("/admin/broadcasts/new?group=JATIM&content=424242").status_code == 404
    assert rina.get("/admin/broadcasts/new?group=JATIM&content=abc").status_code == 404
    assert propose(rina, content="424242").status_code == 404
    refused = text(rina.get(f"/admin/broadcasts/new?group=JATIM&content={item_id}"))
    assert "belum disetujui" in refused and "Cek DPT Anda" not in refused
    unapproved = propose(rina, content=str(item_id))
    assert unapproved.status_code == 400 and "belum disetujui" in text(unapproved)
    assert broadcast_count(database) == 0

    # Approved, it is proposed with the library's text, whatever the form says.
    with database.transaction() as session:
        library.approve_content(session, item_id, actor="admin:tamu", now=clock.now())
    shown = text(rina.get(f"/admin/broadcasts/new?group=JATIM&content={item_id}"))
    assert "Cek DPT Anda" in shown and f"konten #{item_id}" in shown
    assert propose(rina, content=str(item_id), body="lain").status_code == 303
    stored = only_broadcast(database)
    assert (stored.body, stored.content_id) == ("Cek DPT Anda", item_id)

    # No CSRF token: 400; a viewer may read but not post: 403.
    assert (
        rina.post("/admin/broadcasts/new", data={"group": "JATIM", "body": "x"}).status_code == 400
    )
    page = f"/admin/broadcasts/{stored.id}"
    assert (
        rina.post(f"{page}/schedule", data={"date": "2024-02-05", "time": "09:00"}).status_code
        == 400
    )
    viewer = logged_in(app, "tamu")
    assert viewer.get(page).status_code == 200
    assert viewer.get("/admin/broadcasts/new").status_code == 403
    assert "Setujui siaran" not in text(viewer.get(page))
    for action in ("approve", "cancel", "schedule"):
        answer = viewer.post(f"{page}/{action}", data={"csrf_token": token(viewer, page)})
        assert answer.status_code == 403
    assert propose(viewer, body="Halo").status_code == 403
    assert broadcast_count(database) == 1

    # A time missing, or a broadcast already decided, is told on the page.
    empty_time = rina.post(f"{page}/schedule", data={"csrf_token": token(rina, page)})
    assert empty_time.status_code == 303 and "Isi tanggal dan jam" in text(rina.get(page))
    reject = rina.post(f"{page}/reject", data={"reason": "", "csrf_token": token(rina, page)})
    assert reject.status_code == 303 and "alasan" in text(rina.get(page)).lower()
    budi = logged_in(app, "budi")
    form = {"reason": "Tanggalnya belum resmi", "csrf_token": token(budi, page)}
    assert budi.post(f"{page}/reject", data=form).status_code == 303
    shown = text(budi.get(page))
    assert "ditolak" in shown and "Tanggalnya belum resmi" in shown
    late = {"date": "2024-02-06", "time": "09:00", "csrf_token": token(budi, page)}
    assert budi.post(f"{page}/schedule", data=late).status_code == 303
    assert "sudah ditolak" in text(budi.get(page))
    assert only_broadcast(database).scheduled_at is None


# --- The overview ---------------------------------------------------------------------------


def add_broadcasts(database: Database, clock: FixedClock, groups: int) -> None:
    """In each of `groups` new groups (one member each): one waiting, one being sent, one
    scheduled later today and one in three days."""
    now = clock.now()
    with database.transaction() as session:
        for _ in range(groups):
            number = session.scalar(select(func.count(Group.id))) or 0
            code = f"G{number}"
            group = Group(code=code, name=f"Grup {code}", timezone="Asia/Jayapura",
                          join_code=f"J{code}")  # fmt: skip
            member = Member(phone=f"+628140000{number:04d}", last_inbound_at=now)
            session.add_all([group, member])
            session.flush()
            session.add(Membership(member_id=member.id, group_id=group.id))
            session.flush()
            for later in (None, None, timedelta(hours=2), timedelta(days=3)):
                editorial.propose(
                    session,
                    group=group,
                    author="admin:rina",
                    author_member=None,
                    body=f"Siaran untuk {code}",
                    scheduled_at=now + later if later else None,
                    now=now,
                )
            sending = session.scalars(
                select(Broadcast).where(Broadcast.group_id == group.id).order_by(Broadcast.id)
            ).all()[1]
            editorial.approve(session, sending.id, editor=None, actor="admin:budi", now=now)


def queries_of(database: Database, client: FlaskClient, path: str) -> tuple[int, str]:
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(statement)

    agenda_cache.forget()  # counted cold: the calendar's sends computed, not reused
    event.listen(database.engine, "before_cursor_execute", count)
    try:
        answer = client.get(path)
    finally:
        event.remove(database.engine, "before_cursor_execute", count)
    assert answer.status_code == 200
    # The election calendars are cached per process and checked for changes now and then,
    # by the clock: one query or none, whatever the page lists.
    counted = [statement for statement in statements if "FROM elections" not in statement]
    return len(counted), text(answer)


def test_the_overview_shows_what_goes_out_and_waits_in_a_fixed_number_of_queries(
    app: Flask, database: Database, clock: FixedClock
) -> None:
    rina = logged_in(app, "rina")
    add_broadcasts(database, clock, 1)
    rina.get("/admin/")  # once first: what a process caches is read
    few, page = queries_of(database, rina, "/admin/")
    assert "Menunggu persetujuan (3)" in page
    with database.transaction() as session:
        waiting = session.scalars(
            select(Broadcast.id).where(Broadcast.state == "pending").order_by(Broadcast.id)
        ).first()
    assert f'href="/admin/broadcasts/{waiting}#decide"' in page  # approve here, not by chat
    assert "SETUJUI" not in page and "humasbot" not in page
    assert "Sedang dikirim" in page and "data-progress=" in page
    assert "Akan dikirim hari ini" in page and "pukul 13.00 WIT" in page  # 02:00 UTC + 2 h, in WIT
    assert "Sisa 1000 penerima" in page
    assert "Belum tersambung ke WhatsApp" in page  # no sender set: the console
    assert "Twilio" not in page and "UTC" not in page

    add_broadcasts(database, clock, 12)
    many, page = queries_of(database, rina, "/admin/")
    assert "Menunggu persetujuan (" + str(3 * 13) + ")" in page
    assert many == few, f"{few} queries for one group, {many} for thirteen"
    listing, _ = queries_of(database, rina, "/admin/broadcasts")
    assert listing == queries_of(database, rina, "/admin/broadcasts?state=sending")[0]


def test_the_overview_names_the_sender_number(
    settings: Settings, database: Database, clock: FixedClock
) -> None:
    configured = settings.replace(
        twilio_account_sid="AC" + "1" * 32, twilio_whatsapp_from="whatsapp:+6281100000000"
    )
    app = create_app(configured, database=database, clock=clock)
    page = text(logged_in(app, "tamu").get("/admin/"))
    assert "Nomor pengirim: +6281100000000" in page
    assert "Belum tersambung" not in page


def test_compose_says_how_many_only_a_template_can_reach(app: Flask, clock: FixedClock) -> None:
    clock.advance(timedelta(hours=25))  # nobody has written since: outside WhatsApp's window
    rina = logged_in(app, "rina")
    compose = text(rina.get("/admin/broadcasts/new?group=JATIM"))
    assert "0 di antaranya menulis ke kami dalam 24 jam terakhir" in compose
    assert "6 lainnya hanya menerimanya bila ada templat WhatsApp yang disetujui" in compose
