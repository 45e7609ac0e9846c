"""The dashboard's hoax reports over HTTP: citizens report by signed webhook (LAPOR), the claims
queue groups them with their counts, scoped by group and ordered either way; a claim's page shows
its reports with the reporters masked and their media; an editor records a verdict, which
proposes a clarification exactly as VERIFIKASI does; another editor approves it and the reporters
get it (rows in the outbox). Never one's own, on the web nor across chat and web."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from bot.cli import main
from bot.web.app import create_app
from broadcasts.clock import FixedClock
from broadcasts.db.database import Database
from broadcasts.db.models import (
    AuditEvent,
    Broadcast,
    Content,
    HoaxClaim,
    HoaxReport,
    HoaxReportMedia,
    Member,
    OutboundMessage,
    Role,
)
from broadcasts.people import membership
from broadcasts.runtime import Runtime
from config.settings import Settings
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL
from tests.fake_twilio import FakeTwilio
from tests.signing import SignedClient

PASSWORD = "kata-sandi-rahasia"
PROVINCE_EDITOR = "+6281300000001"  # edits KALBAR
COORDINATOR = "+6281300000002"  # coordinates PONTIANAK
REPORTERS = [f"+628122{n:07d}" for n in range(1, 5)]  # members of PONTIANAK
FAR_AWAY = "+6281500000001"  # a member of KALTIM
PICTURE = b"\x89PNG\r\n\x1a\n" + b"tangkapan layar pesan berantai" * 40

HOAX = "Pencoblosan diundur ke Maret karena logistik belum siap, sebarkan ke grup lain!"
VARIANT = (
    "Info penting dari grup sebelah: pencoblosan pemilu diundur ke bulan Maret karena logistik"
    " belum siap. Sebarkan ke grup lain!!"
)
OTHER_HOAX = "Tinta pemilu mengandung lemak babi, jangan mau jari dicelup di TPS"
SUMMARY = (
    "KPU memastikan pemungutan suara tetap Rabu, 14 Februari 2024; tidak ada pengunduran."
    " Sumber: https://www.kpu.go.id/berita/baca/12345"
)
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with FakeTwilio(auth_token=AUTH_TOKEN) as running:
        yield running


@pytest.fixture
def worker(settings: Settings, fake: FakeTwilio, database: Database, clock: FixedClock) -> Runtime:
    configured = settings.replace(
        twilio_account_sid=fake.account_sid,
        twilio_whatsapp_from="whatsapp:+14155238886",
        twilio_api_base_url=fake.url,
    )
    return Runtime(configured, database, clock)


@pytest.fixture
def web(worker: Runtime) -> Flask:
    app = create_app(worker.settings, database=worker.database, clock=worker.clock)
    app.testing = True
    return app


@pytest.fixture
def chat(web: Flask) -> SignedClient:
    return SignedClient(web.test_client(), AUTH_TOKEN, PUBLIC_BASE_URL)


@pytest.fixture(autouse=True)
def world(worker: Runtime) -> None:
    """KALBAR (an editor) above PONTIANAK (a coordinator, four members), KALTIM (one member);
    dashboard accounts: two editors, a viewer, and an editor linked to the KALBAR editor."""
    with worker.database.transaction() as session:
        membership.create_group(session, "KALBAR", "Bakohumas Kalbar", timezone="Asia/Pontianak")
        membership.create_group(session, "PONTIANAK", "Kota Pontianak", parent_code="KALBAR")
        membership.create_group(session, "KALTIM", "Bakohumas Kaltim", timezone="Asia/Makassar")
        membership.add_member(session, PROVINCE_EDITOR, "KALBAR", role=Role.EDITOR, name="Eka")
        membership.add_member(session, COORDINATOR, "PONTIANAK", role=Role.COORDINATOR)
        for number in REPORTERS:
            membership.add_member(session, number, "PONTIANAK")
        membership.add_member(session, FAR_AWAY, "KALTIM")
    accounts: list[tuple[str, str, list[str]]] = [("ani", "editor", []), ("budi", "editor", [])]
    accounts.append(("vera", "viewer", []))
    accounts.append(("eka", "editor", ["--phone", PROVINCE_EDITOR]))
    for name, role, extra in accounts:
        made = CliRunner().invoke(
            main,
            ["admin", "create", name, "--role", role, *extra, "--password-stdin"],
            obj=worker,
            input=PASSWORD,
        )
        assert made.exit_code == 0, made.output


def token(client: FlaskClient, path: str = "/admin/login") -> str:
    found = _TOKEN.search(client.get(path).get_data(as_text=True))
    assert found, f"{path} has no CSRF token"
    return found.group(1)


def signed_in(web: Flask, username: str) -> FlaskClient:
    client = web.test_client()
    form = {"username": username, "password": PASSWORD, "csrf_token": token(client)}
    assert client.post("/admin/login", data=form).status_code == 302
    return client


def post(client: FlaskClient, path: str, **form: str) -> tuple[int, str]:
    """POSTs a form with a valid CSRF token; the status and the page it leads back to."""
    answer = client.post(path, data={"csrf_token": token(client, "/admin/reports"), **form})
    shown = client.get(answer.headers["Location"]).get_data(as_text=True) if answer.location else ""
    return answer.status_code, shown


def claim_of(database: Database, text: str) -> int:
    with database.transaction() as session:
        found = session.scalars(select(HoaxReport.claim_id).where(HoaxReport.text == text)).one()
        assert found is not None
        return found


def report_all(chat: SignedClient) -> None:
    chat.say(REPORTERS[0], f"LAPOR {HOAX}")
    chat.say(REPORTERS[1], f"LAPOR {VARIANT}")
    chat.say(FAR_AWAY, f"LAPOR {OTHER_HOAX}")


def test_the_queue_groups_reports_into_claims_with_counts_scoped_and_ordered(
    web: Flask, chat: SignedClient, database: Database
) -> None:
    report_all(chat)
    chat.say(REPORTERS[2], f"LAPOR {HOAX} Benarkah ini?")
    hoax, other = claim_of(database, HOAX), claim_of(database, OTHER_HOAX)
    assert hoax != other
    viewer = signed_in(web, "vera")

    def listed(query: str = "") -> list[tuple[int, int]]:
        page = viewer.get(f"/admin/reports{query}")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        rows = re.findall(r'/admin/reports/(\d+)">#\d+</a>.*?<strong>(\d+)</strong>', html, re.S)
        return [(int(claim), int(count)) for claim, count in rows]

    assert listed() == [(other, 1), (hoax, 3)]  # the latest report first
    assert listed("?order=count") == [(hoax, 3), (other, 1)]
    assert listed("?group=PONTIANAK") == [(hoax, 3)]
    assert listed("?group=KALBAR") == [(hoax, 3)]  # a group and the groups below it
    assert listed("?group=kaltim") == [(other, 1)]
    unknown = viewer.get("/admin/reports?group=NOWHERE").get_data(as_text=True)
    assert "Grup NOWHERE tidak ada" in unknown
    for page in ("-1", "0", "abc", "99999999999999999999"):
        assert viewer.get(f"/admin/reports?page={page}").status_code == 200, page
    assert "Tidak ada klaim terbuka" in viewer.get("/admin/reports?page=2").get_data(as_text=True)
    english = web.test_client()
    form = {"username": "vera", "password": PASSWORD, "csrf_token": token(english)}
    english.post("/admin/login", data=form)
    english.post(
        "/admin/language", data={"language": "en", "csrf_token": token(english, "/admin/")}
    )
    assert "Suspected-hoax reports" in english.get("/admin/reports").get_data(as_text=True)


def test_a_claims_page_masks_the_reporters_and_serves_their_media(
    web: Flask, chat: SignedClient, fake: FakeTwilio, database: Database
) -> None:
    report_all(chat)
    chat.say(REPORTERS[3], "LAPOR")
    picture = fake.add_media("image/png", PICTURE)
    chat.say(REPORTERS[3], "", NumMedia="1", MediaUrl0=picture, MediaContentType0="image/png")
    with database.transaction() as session:
        forwarded = session.scalars(
            select(HoaxReport).join(Member).where(Member.phone == REPORTERS[3])
        ).one()
        claim_id, report_id = forwarded.claim_id, forwarded.id
        medium = session.scalars(
            select(HoaxReportMedia.id).where(HoaxReportMedia.report_id == report_id)
        ).one()
    viewer = signed_in(web, "vera")
    hoax = claim_of(database, HOAX)
    page = viewer.get(f"/admin/reports/{hoax}").get_data(as_text=True)
    assert "0812-****-0001" in page and "0812-****-0002" in page
    for number in REPORTERS[:2]:
        assert number not in page and "0" + number[3:] not in page
    assert HOAX in page and "PONTIANAK" in page
    assert "Catat hasil pemeriksaan" not in page  # a viewer reads only
    shown = viewer.get(f"/admin/reports/{claim_id}").get_data(as_text=True)
    found = re.search(rf"/admin/reports/{claim_id}/media/(\d+)", shown)
    assert found, shown
    media_path = found.group(0)
    assert int(found.group(1)) == medium
    served = viewer.get(media_path)
    assert served.status_code == 200 and served.data == PICTURE
    assert served.mimetype == "image/png"
    assert served.headers["Content-Disposition"].startswith("inline")
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert f"Lampiran laporan #{report_id}" in shown
    elsewhere = viewer.get(f"/admin/reports/{hoax}/media/{found.group(1)}")
    assert elsewhere.status_code == 404  # the medium of another claim
    assert web.test_client().get(media_path).status_code == 302  # anonymous: to the login


def test_a_verdict_from_the_web_is_approved_by_a_second_editor_and_reaches_the_reporters(
    web: Flask, chat: SignedClient, database: Database
) -> None:
    report_all(chat)
    hoax = claim_of(database, HOAX)
    ani, budi = signed_in(web, "ani"), signed_in(web, "budi")
    claim_page = f"/admin/reports/{hoax}"
    assert "Catat hasil pemeriksaan" in ani.get(claim_page).get_data(as_text=True)
    status, shown = post(ani, f"{claim_page}/verdict", verdict="hoax", summary=SUMMARY)
    assert status == 303 and "menunggu persetujuan editor lain" in shown
    with database.transaction() as session:
        proposed = session.scalars(select(Broadcast).where(Broadcast.claim_id == hoax)).one()
        assert (proposed.state, proposed.author) == ("pending", "admin:ani")
        assert proposed.group.code == "PONTIANAK"
        assert "HOAKS" in proposed.body and "14 Februari 2024" in proposed.body
        content = session.get(Content, proposed.content_id)
        assert (
            content is not None and content.source_url == "https://www.kpu.go.id/berita/baca/12345"
        )
        assert content.approved_at is None
        verdict_events = session.scalars(
            select(AuditEvent.actor).where(AuditEvent.action == "verdict")
        ).all()
        assert verdict_events == ["admin:ani"]
        broadcast_id = proposed.id
    assert "Anda yang mengusulkan" in shown  # the author is told another editor approves it
    assert "Setujui dan kirim" not in shown
    status, shown = post(ani, f"{claim_page}/approve")
    assert status == 303 and "sendiri" in shown  # refused, in words
    status, shown = post(ani, f"{claim_page}/verdict", verdict="true", summary="Lain lagi")
    assert status == 303 and "masih menunggu persetujuan" in shown  # one at a time
    with database.transaction() as session:
        assert session.get(Broadcast, broadcast_id).state == "pending"  # type: ignore[union-attr]
        assert session.scalars(select(Broadcast.id).where(Broadcast.claim_id == hoax)).all() == [
            broadcast_id
        ]
    assert "Setujui dan kirim" in budi.get(claim_page).get_data(as_text=True)
    status, shown = post(budi, f"{claim_page}/approve")
    assert status == 303 and f"Klarifikasi (siaran #{broadcast_id}) disetujui" in shown
    with database.transaction() as session:
        approved = session.get(Broadcast, broadcast_id)
        assert approved is not None and approved.approved_by == "admin:budi"
        addressed = session.scalars(
            select(OutboundMessage.address).where(OutboundMessage.broadcast_id == broadcast_id)
        ).all()
    assert sorted(addressed) == sorted(f"whatsapp:{n}" for n in REPORTERS[:2])
    viewer = signed_in(web, "vera")
    listed = viewer.get("/admin/reports").get_data(as_text=True)
    assert f'/admin/reports/{hoax}"' not in listed  # clarified: the claim left the queue
    assert "0 pelapor menerima, 2 dalam antrean" in viewer.get(claim_page).get_data(as_text=True)


def test_an_editor_linked_to_a_phone_cannot_approve_by_chat_what_they_proposed_on_the_web(
    web: Flask, chat: SignedClient, database: Database
) -> None:
    report_all(chat)
    hoax = claim_of(database, HOAX)
    eka = signed_in(web, "eka")
    status, _ = post(eka, f"/admin/reports/{hoax}/verdict", verdict="unproven", summary=SUMMARY)
    assert status == 303
    with database.transaction() as session:
        proposed = session.scalars(select(Broadcast).where(Broadcast.claim_id == hoax)).one()
        broadcast_id = proposed.id
    refused = chat.say(PROVINCE_EDITOR, f"SETUJUI {broadcast_id}")
    assert "sendiri" in refused, refused
    with database.transaction() as session:
        assert session.get(Broadcast, broadcast_id).state == "pending"  # type: ignore[union-attr]
    status, shown = post(signed_in(web, "ani"), f"/admin/reports/{hoax}/approve")
    assert status == 303 and "disetujui" in shown
    listed = signed_in(web, "vera").get("/admin/reports").get_data(as_text=True)
    assert f'/admin/reports/{hoax}"' in listed  # "not proven yet" keeps the claim open


def test_bad_requests_get_a_clear_answer_and_change_nothing(
    web: Flask, chat: SignedClient, database: Database
) -> None:
    report_all(chat)
    hoax = claim_of(database, HOAX)
    ani, vera = signed_in(web, "ani"), signed_in(web, "vera")
    for path in ("/admin/reports/999999", "/admin/reports/99999999999999999999"):
        assert vera.get(path).status_code == 404
    assert vera.get(f"/admin/reports/{hoax}/media/1").status_code == 404
    assert post(ani, "/admin/reports/999999/verdict", verdict="hoax", summary=SUMMARY)[0] == 404
    assert post(ani, "/admin/reports/999999/approve")[0] == 404
    no_csrf = ani.post(f"/admin/reports/{hoax}/verdict", data={"verdict": "hoax", "summary": "x"})
    assert no_csrf.status_code == 400
    forbidden = vera.post(
        f"/admin/reports/{hoax}/verdict",
        data={"verdict": "hoax", "summary": SUMMARY, "csrf_token": token(vera, "/admin/reports")},
    )
    assert forbidden.status_code == 403
    status, shown = post(ani, f"/admin/reports/{hoax}/verdict", verdict="maybe", summary=SUMMARY)
    assert status == 303 and "Pilih hasil pemeriksaan" in shown
    status, shown = post(ani, f"/admin/reports/{hoax}/verdict", verdict="hoax", summary="  ")
    assert status == 303 and "ringkasan" in shown.lower()
    status, shown = post(ani, f"/admin/reports/{hoax}/verdict", verdict="hoax", summary="x" * 1200)
    assert status == 303 and "terlalu panjang" in shown
    other_group = "999"
    status, shown = post(
        ani, f"/admin/reports/{hoax}/verdict", verdict="hoax", summary=SUMMARY, group=other_group
    )
    assert status == 303 and "tidak dilaporkan" in shown
    status, shown = post(ani, f"/admin/reports/{hoax}/approve")
    assert status == 303 and "Tidak ada klarifikasi" in shown
    with database.transaction() as session:
        assert session.scalars(select(Broadcast.id)).all() == []
        assert session.scalars(select(Content.id)).all() == []
        claim = session.get(HoaxClaim, hoax)
        assert claim is not None and claim.report_count == 2
