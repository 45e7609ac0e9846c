"""The content pages over HTTP, on SQLite and PostgreSQL: an editor writes, submits, another
editor approves (never the author, nor an account linked to the phone that wrote it), rejects
with a reason, edits approved content into a new version; images are checked by their bytes,
kept whole or not at all, and served without login for Twilio — and the ugly cases."""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import TestResponse, encode_multipart

from bot.cli import main
from broadcasts.clock import FixedClock
from broadcasts.db.database import Database
from broadcasts.db.models import Content, Member
from broadcasts.editorial import library
from broadcasts.editorial.audit import events_for
from broadcasts.editorial.workflow import member_actor
from broadcasts.runtime import Runtime
from config.settings import Settings
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL

PASSWORD = "kata-sandi-rahasia"
PHONE = "+6281200000007"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
TEXT = "Cek nama Anda di DPT: *cekdptonline.kpu.go.id* 🗳️"


@pytest.fixture
def settings(database: Database, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database.url.render_as_string(hide_password=False),
        twilio_auth_token=AUTH_TOKEN,
        public_base_url=PUBLIC_BASE_URL,
        secret_key="test-secret",
        upload_dir=str(tmp_path / "uploads"),
    )


@pytest.fixture(autouse=True)
def world(settings: Settings, database: Database, clock: FixedClock) -> None:
    """Two editors (ani, budi), a viewer, an editor linked to a phone (rina), and a group."""

    def run(*args: str, stdin: str = "") -> None:
        context = Runtime(settings, database, clock)
        result = CliRunner().invoke(main, list(args), obj=context, input=stdin)
        assert result.exit_code == 0, result.output

    run("group", "create", "JATIM", "--name", "Bakohumas Jawa Timur")
    run("member", "add", PHONE, "--group", "JATIM", "--role", "editor", "--name", "Rina")
    for name, role in (("ani", "editor"), ("budi", "editor"), ("dewi", "viewer")):
        run("admin", "create", name, "--role", role, "--password-stdin", stdin=PASSWORD)
    run("admin", "create", "rina", "--role", "editor", "--phone", PHONE, "--password-stdin",
        stdin=PASSWORD)  # fmt: skip


def token(client: FlaskClient, path: str = "/admin/login") -> str:
    found = _TOKEN.search(client.get(path).get_data(as_text=True))
    assert found, f"{path} has no CSRF token"
    return found.group(1)


def signed_in(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    form = {"username": username, "password": PASSWORD, "csrf_token": token(client)}
    assert client.post("/admin/login", data=form).status_code == 302
    return client


def write(
    client: FlaskClient,
    *,
    title: str = "Cek DPT",
    body: str = TEXT,
    action: str = "submit",
    path: str = "/admin/content/new",
    **extra: object,
) -> TestResponse:
    form: dict[str, object] = {
        "title": title,
        "body": body,
        "tags": "dpt, Pemilu",
        "language": "id",
        "kind": "literacy",
        "action": action,
        "csrf_token": token(client, path if path.endswith("/edit") else "/admin/content/new"),
        **extra,
    }
    # Encoded here in memory: the test client would spool a large body to a file it never closes.
    values = {
        key: FileStorage(io.BytesIO(value[0]), value[1]) if isinstance(value, tuple) else value
        for key, value in form.items()
    }
    boundary, data = encode_multipart(values)
    return client.post(path, data=data, content_type=f"multipart/form-data; boundary={boundary}")


def post(client: FlaskClient, path: str, **form: str) -> TestResponse:
    page = path.rsplit("/", 1)[0]
    return client.post(path, data={"csrf_token": token(client, page), **form})


def number(answer: TestResponse) -> int:
    assert answer.status_code == 303, answer.get_data(as_text=True)
    return int(answer.headers["Location"].rsplit("/", 1)[1])


def stored(database: Database, content_id: int) -> Content:
    with database.transaction() as session:
        found = session.get(Content, content_id)
        assert found is not None
        session.expunge(found)
        return found


def count(database: Database) -> int:
    with database.transaction() as session:
        return session.scalar(select(func.count()).select_from(Content)) or 0


def png(size: tuple[int, int] = (64, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (20, 120, 60)).save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (30, 30), (200, 30, 30)).save(buffer, format="JPEG")
    return buffer.getvalue()


# --- The workflow -----------------------------------------------------------------------------


def test_written_as_draft_submitted_and_approved_by_a_second_editor(
    app: Flask, database: Database
) -> None:
    ani, budi = signed_in(app, "ani"), signed_in(app, "budi")
    content_id = number(write(ani, action="save"))
    shown = ani.get(f"/admin/content/{content_id}").get_data(as_text=True)
    assert "draf" in shown and "Ajukan untuk disetujui" in shown
    # Before it is submitted, nobody can approve it.
    post(budi, f"/admin/content/{content_id}/approve")
    assert "masih draf" in budi.get(f"/admin/content/{content_id}").get_data(as_text=True)

    assert post(ani, f"/admin/content/{content_id}/submit").status_code == 303
    assert stored(database, content_id).submitted_by == "admin:ani"
    listed = budi.get("/admin/content?state=waiting").get_data(as_text=True)
    assert "Cek DPT" in listed and "menunggu persetujuan" in listed

    assert post(budi, f"/admin/content/{content_id}/approve").status_code == 303
    page = budi.get(f"/admin/content/{content_id}").get_data(as_text=True)
    assert "disetujui" in page and f"/admin/broadcasts/new?content={content_id}" in page
    item = stored(database, content_id)
    assert (item.approved_by, item.tags) == ("admin:budi", ["dpt", "pemilu"])
    with database.transaction() as session:
        actions = [(e.action, e.actor) for e in events_for(session, "content", content_id)]
    assert actions == [
        ("created", "admin:ani"),
        ("submitted", "admin:ani"),
        ("approved", "admin:budi"),
    ]


def test_nobody_approves_or_rejects_their_own_content(app: Flask, database: Database) -> None:
    ani = signed_in(app, "ani")
    content_id = number(write(ani))
    assert post(ani, f"/admin/content/{content_id}/approve").status_code == 303
    assert "editor lain" in ani.get(f"/admin/content/{content_id}").get_data(as_text=True)
    post(ani, f"/admin/content/{content_id}/reject", reason="keliru")
    item = stored(database, content_id)
    assert item.approved_at is None and item.rejected_at is None


def test_an_account_linked_to_the_phone_that_wrote_it_cannot_approve_it(
    app: Flask, database: Database, clock: FixedClock
) -> None:
    with database.transaction() as session:
        rina = session.scalars(select(Member).where(Member.phone == PHONE)).one()
        written = library.add_content(
            session, title="Klarifikasi", body="Hoaks.", created_by=member_actor(rina),
            now=clock.now(),
        )  # fmt: skip
        content_id = written.id
    linked = signed_in(app, "rina")
    post(linked, f"/admin/content/{content_id}/approve")
    page = linked.get(f"/admin/content/{content_id}").get_data(as_text=True)
    assert "editor lain" in page and "+6281200000007" not in page  # the writer shown masked
    assert stored(database, content_id).approved_at is None
    post(signed_in(app, "budi"), f"/admin/content/{content_id}/approve")
    assert stored(database, content_id).approved_by == "admin:budi"


def test_rejected_with_a_reason_then_fixed_and_submitted_again(
    app: Flask, database: Database
) -> None:
    ani, budi = signed_in(app, "ani"), signed_in(app, "budi")
    content_id = number(write(ani))
    post(budi, f"/admin/content/{content_id}/reject", reason="  ")
    assert "alasan" in budi.get(f"/admin/content/{content_id}").get_data(as_text=True).lower()
    assert stored(database, content_id).rejected_at is None
    post(budi, f"/admin/content/{content_id}/reject", reason="Tanggalnya keliru")
    page = ani.get(f"/admin/content/{content_id}").get_data(as_text=True)
    assert "Tanggalnya keliru" in page and "ditolak" in page

    path = f"/admin/content/{content_id}/edit"
    assert number(write(ani, body="Pemungutan suara 14 Februari.", path=path)) == content_id
    item = stored(database, content_id)
    assert item.rejected_at is None and item.submitted_by == "admin:ani"
    post(budi, f"/admin/content/{content_id}/approve")
    assert stored(database, content_id).approved_by == "admin:budi"


def test_editing_approved_content_makes_a_new_version_that_waits(
    app: Flask, database: Database
) -> None:
    ani, budi = signed_in(app, "ani"), signed_in(app, "budi")
    first = number(write(ani))
    post(budi, f"/admin/content/{first}/approve")
    form = budi.get(f"/admin/content/{first}/edit").get_data(as_text=True)
    assert "versi 2" in form

    second = number(write(budi, body="Teks baru", path=f"/admin/content/{first}/edit"))
    assert second != first
    old, new = stored(database, first), stored(database, second)
    assert (old.body, old.approved_by) == (TEXT, "admin:budi")  # unchanged, still usable
    assert (new.version, new.replaces_id, new.created_by) == (2, first, "admin:budi")
    assert new.submitted_at is not None and new.approved_at is None
    page = ani.get(f"/admin/content/{first}").get_data(as_text=True)
    assert f"#{second}" in page and f"/admin/broadcasts/new?content={first}" in page

    # One new version at a time: editing the old one again is refused, nothing is added.
    again = write(ani, body="Lagi", path=f"/admin/content/{first}/edit")
    assert again.status_code == 422 and f"#{second}" in again.get_data(as_text=True)
    assert count(database) == 2
    post(budi, f"/admin/content/{second}/approve")  # its author: refused
    assert stored(database, second).approved_at is None
    post(ani, f"/admin/content/{second}/approve")
    assert stored(database, second).approved_by == "admin:ani"


# --- Images -----------------------------------------------------------------------------------


def test_an_uploaded_png_is_kept_and_served_without_login(
    app: Flask, database: Database, settings: Settings
) -> None:
    ani = signed_in(app, "ani")
    picture = png()
    content_id = number(write(ani, image=(picture, "poster.PNG")))
    item = stored(database, content_id)
    name = f"{hashlib.sha256(picture).hexdigest()}.png"
    assert item.media_url == f"{PUBLIC_BASE_URL}/media/uploads/{name}"
    assert (item.image_type, item.image_size) == ("image/png", len(picture))
    assert (Path(settings.upload_dir) / name).read_bytes() == picture

    twilio = app.test_client()  # no login, as Twilio fetches MediaUrl
    with twilio.get(f"/media/uploads/{name}") as served:
        assert served.status_code == 200 and served.mimetype == "image/png"
        assert served.data == picture and served.headers["X-Content-Type-Options"] == "nosniff"
        assert "immutable" in served.headers["Cache-Control"]
    assert twilio.get("/media/uploads/" + "0" * 64 + ".png").status_code == 404
    assert twilio.get("/media/uploads/..%2F..%2Fhumasbot.db").status_code == 404
    assert f"/media/uploads/{name}" in ani.get(f"/admin/content/{content_id}").get_data(
        as_text=True
    )


def test_a_jpeg_named_png_is_kept_as_the_jpeg_it_is(app: Flask, database: Database) -> None:
    ani = signed_in(app, "ani")
    content_id = number(write(ani, image=(jpeg(), "foto.png")))
    item = stored(database, content_id)
    assert item.image_type == "image/jpeg" and (item.media_url or "").endswith(".jpg")
    with app.test_client().get((item.media_url or "").removeprefix(PUBLIC_BASE_URL)) as served:
        assert served.status_code == 200 and served.mimetype == "image/jpeg"


def test_a_20_mb_upload_is_refused_with_413_and_nothing_is_saved(
    app: Flask, database: Database, settings: Settings
) -> None:
    ani = signed_in(app, "ani")
    huge = b"\x89PNG\r\n\x1a\n" + bytes(20 * 1024 * 1024)
    answer = write(ani, image=(huge, "besar.png"))
    assert answer.status_code == 413
    assert "melebihi batas ukuran" in answer.get_data(as_text=True)
    assert count(database) == 0 and not Path(settings.upload_dir).exists()


def test_a_picture_just_over_5_mb_is_refused_in_words(
    app: Flask, database: Database, settings: Settings
) -> None:
    ani = signed_in(app, "ani")
    over = b"\x89PNG\r\n\x1a\n" + bytes(5 * 1024 * 1024)
    answer = write(ani, image=(over, "poster.png"))
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert "Gambar terlalu besar" in page and "Batasnya 5 MB" in page
    assert "Cek DPT" in page  # the form keeps what was typed
    assert count(database) == 0 and not Path(settings.upload_dir).exists()


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"Ini bukan gambar, hanya teks.\n", "bukan gambar PNG atau JPEG"),
        (b"GIF89a" + bytes(100), "bukan gambar PNG atau JPEG"),
        (png()[:60], "rusak"),  # a PNG cut short
    ],
)
def test_a_file_that_is_not_a_png_or_jpeg_is_refused_clearly(
    app: Flask, database: Database, settings: Settings, data: bytes, words: str
) -> None:
    ani = signed_in(app, "ani")
    answer = write(ani, image=(data, "gambar.png"))
    assert answer.status_code == 422 and words in answer.get_data(as_text=True)
    assert count(database) == 0 and not Path(settings.upload_dir).exists()


def test_a_refused_form_leaves_no_image_behind(
    app: Flask, database: Database, settings: Settings
) -> None:
    ani = signed_in(app, "ani")
    answer = write(ani, title="  ", image=(png(), "poster.png"))
    assert answer.status_code == 422 and "Judul konten kosong" in answer.get_data(as_text=True)
    assert count(database) == 0 and not Path(settings.upload_dir).exists()


# --- Text, preview and bad requests ------------------------------------------------------------


def test_emoji_are_kept_and_counted_as_characters(app: Flask, database: Database) -> None:
    ani = signed_in(app, "ani")
    body = "Ayo ke TPS 🗳️🇮🇩 " * 3
    content_id = number(write(ani, title="Ayo memilih 🗳️", body=body))
    item = stored(database, content_id)
    assert (item.title, item.body) == ("Ayo memilih 🗳️", body.strip())
    page = ani.get(f"/admin/content/{content_id}").get_data(as_text=True)
    assert f"{len(body.strip())} dari 1.500 karakter" in page and "🇮🇩" in page


def test_a_5000_character_body_is_refused_and_kept_in_the_form(
    app: Flask, database: Database
) -> None:
    ani = signed_in(app, "ani")
    body = ("Pemungutan suara 14 Februari. " * 200)[:5000]
    answer = write(ani, body=body)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422 and "1.500" in page and "terlalu panjang" in page
    assert body.strip() in page and count(database) == 0


def test_the_preview_is_a_whatsapp_bubble_with_the_broadcast_frame(app: Flask) -> None:
    ani = signed_in(app, "ani")
    content_id = number(write(ani, body="Datang ke *TPS* <script>alert(1)</script>"))
    page = ani.get(f"/admin/content/{content_id}").get_data(as_text=True)
    assert 'class="wa-bubble"' in page
    assert "<strong>Bakohumas Jawa Timur</strong>" in page  # the group's name, bold, first
    assert "<em>Ketik BERHENTI untuk berhenti menerima siaran.</em>" in page
    assert "<strong>TPS</strong>" in page and "<script>alert" not in page
    assert "&lt;script&gt;" in page
    english = ani.get(f"/admin/content/{content_id}/edit")
    assert english.status_code == 200 and "content.js" in english.get_data(as_text=True)
    assert "<script>" not in english.get_data(as_text=True).replace(
        '<script src="/static/content.js" defer></script>', ""
    )  # no inline script: the policy forbids it


def test_a_form_without_its_csrf_token_changes_nothing(app: Flask, database: Database) -> None:
    ani = signed_in(app, "ani")
    form = {"title": "T", "body": "Isi", "action": "submit"}
    assert ani.post("/admin/content/new", data=form).status_code == 400
    assert count(database) == 0
    content_id = number(write(ani))
    assert ani.post(f"/admin/content/{content_id}/submit").status_code == 400
    budi = signed_in(app, "budi")
    assert budi.post(f"/admin/content/{content_id}/approve").status_code == 400
    assert stored(database, content_id).approved_at is None


@pytest.mark.parametrize(
    "path", ["/admin/content/404", "/admin/content/404/edit", "/admin/content/99999999999"]
)
def test_an_unknown_item_is_404(app: Flask, path: str) -> None:
    assert signed_in(app, "dewi" if "edit" not in path else "ani").get(path).status_code == 404


def test_deciding_on_an_unknown_item_is_404(app: Flask) -> None:
    budi = signed_in(app, "budi")
    for action in ("submit", "approve", "reject", "edit"):
        answer = budi.post(
            f"/admin/content/404/{action}", data={"csrf_token": token(budi, "/admin/content")}
        )
        assert answer.status_code == 404, action


def test_a_viewer_reads_but_does_not_write(app: Flask, database: Database) -> None:
    content_id = number(write(signed_in(app, "ani")))
    dewi = signed_in(app, "dewi")
    page = dewi.get(f"/admin/content/{content_id}").get_data(as_text=True)
    assert "Cek DPT" in page and "Setujui konten" not in page
    assert "Tulis konten baru" not in dewi.get("/admin/content").get_data(as_text=True)
    refused = dewi.post(
        f"/admin/content/{content_id}/approve", data={"csrf_token": token(dewi, "/admin/content")}
    )
    assert refused.status_code == 403 and stored(database, content_id).approved_at is None


def test_the_pages_speak_english_too(app: Flask) -> None:
    ani = signed_in(app, "ani")
    content_id = number(write(ani))
    ani.post("/admin/language", data={"language": "en", "csrf_token": token(ani, "/admin/")})
    page = ani.get(f"/admin/content/{content_id}").get_data(as_text=True)
    assert "waiting for approval" in page and "Preview on WhatsApp" in page
    assert "Ketik BERHENTI" in page  # the frame in the item's own language (Indonesian)
