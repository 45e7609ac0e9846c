"""Groups and members in the dashboard, over HTTP with the real database: the tree, creating a
group, a new invitation code (the old one joins nobody, by a signed webhook), zones, members
masked and paginated, roles, removal, CSV import (a report first, then one confirmed step; bad
rows, encodings, sizes) and export (audited, and read back by the import)."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select
from werkzeug.test import TestResponse

from bot.cli import main
from broadcasts.clock import FixedClock
from broadcasts.db.database import Database
from broadcasts.db.models import AuditEvent, Consent, Group, Member, Membership
from broadcasts.people import member_import, membership
from broadcasts.runtime import Runtime
from config.settings import Settings
from tests.signing import SignedClient

PASSWORD = "kata-sandi-rahasia"
EDITOR = "+6281200000002"  # Ani, editor of JATIM
COORDINATOR = "+6281200000001"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
_CONFIRM = re.compile(r'name="rows" value="([^"]*)"')


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
    """Two provinces with their regencies and cities, one in WIT; an account of each role."""

    def run(*args: str, stdin: str = "") -> None:
        cli(settings, database, clock, *args, stdin=stdin)

    run(
        "group",
        "create",
        "KALBAR",
        "--name",
        "Bakohumas Kalimantan Barat",
        "--timezone",
        "Asia/Pontianak",
    )
    run(
        "group",
        "create",
        "SINGKAWANG",
        "--name",
        "Diskominfo Kota Singkawang",
        "--parent",
        "KALBAR",
    )
    run("group", "create", "PONTIANAK", "--name", "Diskominfo Kota Pontianak", "--parent", "KALBAR")
    run("group", "create", "JATIM", "--name", "Bakohumas Jawa Timur")
    run("group", "create", "SURABAYA", "--name", "Diskominfo Kota Surabaya", "--parent", "JATIM")
    run("group", "create", "PAPUA", "--name", "Bakohumas Papua", "--timezone", "Asia/Jayapura")
    run("member", "add", COORDINATOR, "--group", "JATIM", "--role", "coordinator")
    run("member", "add", EDITOR, "--group", "JATIM", "--role", "editor", "--name", "Ani")
    for role in ("viewer", "editor", "admin"):
        run("admin", "create", role, "--role", role, "--password-stdin", stdin=PASSWORD)


def token(client: FlaskClient, path: str = "/admin/login") -> str:
    found = _TOKEN.search(client.get(path).get_data(as_text=True))
    assert found, f"{path} has no CSRF token"
    return found.group(1)


def logged_in(app: Flask, username: str = "admin") -> FlaskClient:
    client = app.test_client()
    form = {"username": username, "password": PASSWORD, "csrf_token": token(client)}
    assert client.post("/admin/login", data=form).status_code == 302
    return client


def post(client: FlaskClient, path: str, **form: object) -> TestResponse:
    return client.post(path, data={"csrf_token": token(client, "/admin/groups"), **form})


def text(answer: TestResponse) -> str:
    return answer.get_data(as_text=True)


def upload(
    client: FlaskClient, data: bytes, group: str = "JATIM", filename: str = "anggota.csv"
) -> TestResponse:
    form = {"csrf_token": token(client, "/admin/groups"), "file": (_bytes_io(data), filename)}
    return client.post(
        f"/admin/groups/{group}/import", data=form, content_type="multipart/form-data"
    )


def _bytes_io(data: bytes) -> io.BytesIO:
    return io.BytesIO(data)


def confirm(client: FlaskClient, report: TestResponse, group: str = "JATIM") -> TestResponse:
    found = _CONFIRM.search(text(report))
    assert found, "the report has no confirm form"
    rows = found.group(1).replace("&#34;", '"').replace("&quot;", '"').replace("&amp;", "&")
    form = {"csrf_token": token(client, "/admin/groups"), "rows": rows}
    return client.post(
        f"/admin/groups/{group}/import/confirm", data=form, content_type="multipart/form-data"
    )


def members_of(database: Database, code: str) -> dict[str, str]:
    """Phone → role of the group's members."""
    with database.transaction() as db:
        rows = db.execute(
            select(Member.phone, Membership.role)
            .join(Membership, Membership.member_id == Member.id)
            .join(Group, Group.id == Membership.group_id)
            .where(Group.code == code)
        )
        return {str(phone): role for phone, role in rows}


def actions(database: Database) -> list[str]:
    with database.transaction() as db:
        return list(db.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def join_code(database: Database, code: str) -> str:
    with database.transaction() as db:
        return db.scalars(select(Group.join_code).where(Group.code == code)).one()


@contextmanager
def statements(database: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(database.engine, "before_cursor_execute", count)


# --- The tree ----------------------------------------------------------------------------------


def test_the_tree_shows_each_province_before_its_regencies_and_cities_with_zones_and_codes(
    app: Flask, database: Database
) -> None:
    with database.transaction() as db:
        membership.add_member(db, "081311112222", "SURABAYA")
    page = text(logged_in(app, "viewer").get("/admin/groups"))
    order = [
        "Bakohumas Jawa Timur",
        "Diskominfo Kota Surabaya",
        "Bakohumas Kalimantan Barat",
        "Diskominfo Kota Pontianak",
        "Diskominfo Kota Singkawang",
        "Bakohumas Papua",
    ]
    places = [page.index(name) for name in order]
    assert places == sorted(places), places
    assert 'class="depth-1"' in page and 'class="depth-0"' in page
    assert ">WIT</abbr>" in page and ">WIB</abbr>" in page
    for code in ("KALBAR", "PAPUA", "JATIM"):
        assert join_code(database, code) in page  # the invitation code, for viewers too
    assert re.search(r"Kota Surabaya</a>.*?<td class=\"number\"[^>]*>1</td>", page, re.S)
    assert "belum ada editor" in page  # KALBAR: nobody could approve its broadcasts
    assert 'action="/admin/groups"' not in page  # a viewer is not offered the form


def test_the_tree_and_a_group_page_take_the_same_number_of_queries_for_many_groups_and_members(
    app: Flask, database: Database, clock: FixedClock
) -> None:
    client = logged_in(app)
    with statements(database) as few:
        assert client.get("/admin/groups").status_code == 200
        assert client.get("/admin/groups/JATIM").status_code == 200
    with database.transaction() as db:
        for n in range(30):
            db.add(
                Group(
                    code=f"KAB{n}",
                    name=f"Kabupaten {n}",
                    parent_id=db.scalars(select(Group.id).where(Group.code == "JATIM")).one(),
                    timezone="Asia/Jakarta",
                    join_code=f"J{n:05d}",
                )
            )
        group = db.scalars(select(Group).where(Group.code == "JATIM")).one()
        rows = [member_import.FileRow(n, f"+62813{n:08d}", f"Orang {n}", "") for n in range(250)]
        member_import.apply(db, group, rows, actor="admin:admin", now=clock.now())
    with statements(database) as many:
        assert client.get("/admin/groups").status_code == 200
        page = text(client.get("/admin/groups/JATIM"))
    assert len(many) == len(few), (len(few), len(many))
    assert page.count("<tr>") == 1 + 100  # the header and one page of members
    assert "Halaman 1 dari 3" in page
    last = text(client.get("/admin/groups/JATIM?page=3"))
    assert last.count("<tr>") == 1 + 52 and "Halaman 3 dari 3" in last
    assert "Halaman 3 dari 3" in text(client.get("/admin/groups/JATIM?page=99"))


def test_an_admin_creates_a_group_below_a_parent_and_bad_input_creates_nothing(
    app: Flask, database: Database
) -> None:
    client = logged_in(app)
    made = post(
        client, "/admin/groups", code="sambas", name="Diskominfo Kab. Sambas", parent="KALBAR"
    )
    assert (made.status_code, made.headers["Location"]) == (303, "/admin/groups/SAMBAS")
    page = text(client.get("/admin/groups/SAMBAS"))
    assert "Diskominfo Kab. Sambas" in page and "Asia/Pontianak" in page  # the parent's zone
    assert join_code(database, "SAMBAS") in page
    assert "group_created" in actions(database)
    for form, words in (
        ({"code": "SAMBAS", "name": "Lagi"}, "sudah ada"),
        ({"code": "ada spasi", "name": "X"}, "tidak bisa dipakai"),
        ({"code": "BARU", "name": "   "}, "tidak boleh kosong"),
        ({"code": "BARU", "name": "Baru", "parent": "ENTAH"}, "tidak ditemukan"),
        ({"code": "BARU", "name": "Baru", "timezone": "Mars/Olympus"}, "tidak dikenal"),
    ):
        refused = post(client, "/admin/groups", **form)
        assert (refused.status_code, refused.headers["Location"]) == (303, "/admin/groups")
        assert words in text(client.get("/admin/groups")), form
    with database.transaction() as db:
        assert db.scalar(select(func.count()).select_from(Group)) == 7


def test_a_new_invitation_code_ends_the_old_one_by_chat(
    app: Flask, twilio: SignedClient, database: Database
) -> None:
    old = join_code(database, "PAPUA")
    client = logged_in(app)
    rotated = post(client, "/admin/groups/papua/invitation")
    assert (rotated.status_code, rotated.headers["Location"]) == (303, "/admin/groups/PAPUA")
    new = join_code(database, "PAPUA")
    assert new != old and f"Kode undangan baru: {new}" in text(client.get("/admin/groups/PAPUA"))
    refused = twilio.say("+6281311112222", f"DAFTAR {old}")
    assert "tidak ditemukan" in refused
    assert members_of(database, "PAPUA") == {}
    twilio.say("+6281311112222", f"DAFTAR {new}")
    assert members_of(database, "PAPUA") == {"+6281311112222": "member"}
    assert actions(database)[-1] == "join_code_rotated"
    logged = text(client.get("/admin/audit?action=join_code_rotated"))
    assert "membuat kode undangan baru" in logged and 'href="/admin/groups/PAPUA"' in logged


def test_an_admin_moves_a_group_to_another_zone(app: Flask, database: Database) -> None:
    client = logged_in(app)
    moved = post(client, "/admin/groups/PAPUA/timezone", timezone="Asia/Makassar")
    assert moved.status_code == 303
    page = text(client.get("/admin/groups/PAPUA"))
    assert "sekarang WITA" in page and "Asia/Makassar" in page
    assert "timezone_set" in actions(database)


# --- A group's members --------------------------------------------------------------------------


def test_a_group_page_shows_names_masked_numbers_roles_in_words_and_who_stopped(
    app: Flask, twilio: SignedClient
) -> None:
    twilio.say(COORDINATOR, "BERHENTI")
    page = text(logged_in(app, "viewer").get("/admin/groups/JATIM"))
    assert "Ani" in page and "0812-****-0002" in page and "0812-****-0001" in page
    assert "6281200000002" not in page and "081200000002" not in page
    assert "koordinator" in page and "coordinator" not in page
    assert "berhenti menerima siaran sejak 4 Feb pukul 09.00 WIB" in page
    assert "Keluarkan" not in page and "members.csv" not in page  # a viewer changes nothing


def test_an_admin_adds_a_member_with_consent_from_the_dashboard(
    app: Flask, database: Database
) -> None:
    client = logged_in(app)
    added = post(
        client,
        "/admin/groups/JATIM/members",
        phone="0813 2222 3333",
        name="Rina",
        role="coordinator",
    )
    assert added.headers["Location"] == "/admin/groups/JATIM"
    assert "0813-****-3333 ditambahkan sebagai koordinator" in text(
        client.get("/admin/groups/JATIM")
    )
    assert members_of(database, "JATIM")["+6281322223333"] == "coordinator"
    with database.transaction() as db:
        given = db.scalars(select(Consent).order_by(Consent.id.desc())).first()
        assert given is not None and (given.source, given.given_by) == ("dashboard", "admin:admin")
    post(client, "/admin/groups/JATIM/members", phone="12345", role="member")
    assert "bukan nomor WhatsApp" in text(client.get("/admin/groups/JATIM"))
    post(client, "/admin/groups/JATIM/members", phone="+6281322223333", role="editor")
    assert "sudah anggota" in text(client.get("/admin/groups/JATIM"))
    assert members_of(database, "JATIM")["+6281322223333"] == "coordinator"  # unchanged


def member_id(database: Database, phone: str) -> int:
    with database.transaction() as db:
        return db.scalars(select(Member.id).where(Member.phone == phone)).one()


def test_roles_change_members_leave_and_the_last_editor_stays(
    app: Flask, database: Database
) -> None:
    client = logged_in(app)
    editor, coordinator = member_id(database, EDITOR), member_id(database, COORDINATOR)
    refused = post(client, f"/admin/groups/JATIM/members/{editor}/remove")
    assert refused.status_code == 303
    assert "editor terakhir" in text(client.get("/admin/groups/JATIM"))
    assert EDITOR in members_of(database, "JATIM")
    post(client, f"/admin/groups/JATIM/members/{coordinator}/role", role="editor")
    assert "0812-****-0001 sekarang editor" in text(client.get("/admin/groups/JATIM"))
    post(client, f"/admin/groups/JATIM/members/{editor}/remove")
    assert members_of(database, "JATIM") == {COORDINATOR: "editor"}
    assert actions(database)[-2:] == ["role_changed", "member_removed"]
    post(client, f"/admin/groups/JATIM/members/{coordinator}/role", role="ketua")
    assert "Pilih peran" in text(client.get("/admin/groups/JATIM"))


def test_another_groups_member_or_an_unknown_group_in_the_url_is_404(
    app: Flask, database: Database
) -> None:
    client = logged_in(app)
    stranger = member_id(database, EDITOR)  # in JATIM, not in PAPUA
    for path in (
        f"/admin/groups/PAPUA/members/{stranger}/remove",
        f"/admin/groups/PAPUA/members/{stranger}/role",
        "/admin/groups/PAPUA/members/999999/remove",
        "/admin/groups/ENTAH/invitation",
        "/admin/groups/ENTAH/members",
    ):
        assert post(client, path, role="member", phone="081311112222").status_code == 404, path
    assert client.get("/admin/groups/ENTAH").status_code == 404
    assert client.get("/admin/groups/ENTAH/members.csv").status_code == 404
    assert EDITOR in members_of(database, "JATIM") and members_of(database, "PAPUA") == {}


# --- CSV import ---------------------------------------------------------------------------------

MESSY = (
    "\ufeffNo. HP;Nama Lengkap;Peran\r\n"  # a BOM, Excel's semicolons, header words as written
    "0813-1111-0001;Rina;editor\r\n"  # line 2: good
    "12345;Salah;anggota\r\n"  # 3: not a phone number
    "+62 813 1111 0001;Rina lagi;\r\n"  # 4: the number of line 2 again
    "0813 1111 0003;Dodi;ketua\r\n"  # 5: no such role
    "081200000001;Koordinator;anggota\r\n"  # 6: already in JATIM
    ";;\r\n"  # 7: blank, skipped
    '"0813-1111-0004";"Sari; Humas";Koordinator\r\n'  # 8: good, quoted, role in capitals
    "0813-1111-0005;;\r\n"  # 9: good, no name, role empty: member
)


def test_a_messy_file_is_reported_row_by_row_and_nothing_is_saved_before_the_confirm(
    app: Flask, database: Database
) -> None:
    client = logged_in(app)
    before = members_of(database, "JATIM")
    report = upload(client, MESSY.encode())
    page = text(report)
    assert report.status_code == 200, page
    assert "3 baris siap ditambahkan" in page and "4 baris ditolak" in page
    assert "Bukan nomor WhatsApp yang bisa dihubungi: 12345" in page
    assert "Nomor yang sama sudah ada di baris 2" in page
    assert (
        "Peran &#34;ketua&#34; tidak dikenal" in page
        or "Peran &quot;ketua&quot; tidak dikenal" in page
    )
    assert "Sudah anggota grup ini, sebagai koordinator" in page
    assert "Sari; Humas" in page and "Tambahkan 3 anggota" in page
    assert "08131111" not in page.replace("0813-****", "")  # numbers masked in the report
    assert members_of(database, "JATIM") == before  # nothing half-saved
    done = confirm(client, report)
    assert (done.status_code, done.headers["Location"]) == (303, "/admin/groups/JATIM")
    assert "3 anggota ditambahkan" in text(client.get("/admin/groups/JATIM"))
    after = members_of(database, "JATIM")
    assert {p: r for p, r in after.items() if p not in before} == {
        "+6281311110001": "editor",
        "+6281311110004": "coordinator",
        "+6281311110005": "member",
    }
    with database.transaction() as db:
        consents = db.execute(select(Consent.source, Consent.given_by).order_by(Consent.id)).all()
        names = {phone: name for phone, name in db.execute(select(Member.phone, Member.name))}
    assert consents[-3:] == [("import", "admin:admin")] * 3
    assert names["+6281311110004"] == "Sari; Humas" and names["+6281311110005"] is None
    assert actions(database)[-1] == "members_imported"
    again = upload(client, MESSY.encode())  # the same file again adds nothing twice
    assert "0 baris siap ditambahkan" in text(again) and "Tambahkan 0" not in text(again)


def test_a_comma_file_without_a_header_and_a_person_who_stopped_broadcasts(
    app: Flask, twilio: SignedClient, database: Database
) -> None:
    twilio.say("+6281399990000", "BERHENTI")
    client = logged_in(app)
    report = upload(client, b"081399990000,Tono\n+6281399990001,Tini,koordinator\n", "PAPUA")
    page = text(report)
    assert "2 baris siap ditambahkan" in page and "MULAI" in page
    confirm(client, report, "PAPUA")
    assert members_of(database, "PAPUA") == {
        "+6281399990000": "member",
        "+6281399990001": "coordinator",
    }


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (
            "nomor,nama\n081311112222,Andr\xe9\n".encode("latin-1"),
            "tidak berformat UTF-8 (terbaca sampai baris 2)",
        ),
        (b"", "Pilih berkas CSV"),
        (b"\xef\xbb\xbf\r\n  \r\n", "tidak berisi satu baris"),
        (b"nomor;nama\n", "tidak berisi satu baris"),
        (b"nama,kota\nRina,Pontianak\n", "Kolom nomor tidak ditemukan"),
    ],
    ids=["latin-1", "no-file", "empty", "header-only", "no-phone-column"],
)
def test_a_file_that_cannot_be_read_is_refused_clearly_and_saves_nothing(
    app: Flask, database: Database, data: bytes, words: str
) -> None:
    client = logged_in(app)
    answer = upload(client, data, "PAPUA", filename="anggota.csv" if data else "")
    assert answer.status_code == 422
    assert words in text(answer) and "Tambahkan" not in text(answer)
    assert members_of(database, "PAPUA") == {}


def test_a_20_mb_upload_gets_a_clean_413_page(app: Flask, database: Database) -> None:
    client = logged_in(app)
    big = b"nomor,nama\n" + b"081311112222,Rina\n" * (20 * 1024 * 1024 // 18)
    boundary = "humasbot-boundary"
    body = b"".join(  # built here: werkzeug's encoder spools 20 MB to a file it never closes
        [
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'.encode(),
            token(client, "/admin/groups").encode(),
            f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            'filename="anggota.csv"\r\nContent-Type: text/csv\r\n\r\n'.encode(),
            big,
            f"\r\n--{boundary}--\r\n".encode(),
        ]
    )
    answer = client.post(
        "/admin/groups/PAPUA/import",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert answer.status_code == 413 and answer.mimetype == "text/html"
    assert "Berkas terlalu besar" in text(answer)
    assert members_of(database, "PAPUA") == {}


def test_only_an_admin_with_a_csrf_token_imports_and_a_forged_confirm_is_400(
    app: Flask, database: Database
) -> None:
    viewer, editor = logged_in(app, "viewer"), logged_in(app, "editor")
    for client in (viewer, editor):
        assert upload(client, b"081311112222\n", "PAPUA").status_code == 403
        assert client.get("/admin/groups/PAPUA/import").status_code == 403
    admin = logged_in(app)
    form = {"file": (_bytes_io(b"081311112222\n"), "a.csv")}
    no_token = admin.post(
        "/admin/groups/PAPUA/import", data=form, content_type="multipart/form-data"
    )
    assert no_token.status_code == 400
    forged = post(admin, "/admin/groups/PAPUA/import/confirm", rows="not json")
    assert forged.status_code == 400
    assert members_of(database, "PAPUA") == {}


# --- CSV export ---------------------------------------------------------------------------------


def test_the_export_is_for_admins_audited_and_reads_back_into_an_import(
    app: Flask, twilio: SignedClient, database: Database
) -> None:
    twilio.say(COORDINATOR, "BERHENTI")
    assert logged_in(app, "viewer").get("/admin/groups/JATIM/members.csv").status_code == 403
    assert logged_in(app, "editor").get("/admin/groups/JATIM/members.csv").status_code == 403
    client = logged_in(app)
    exported = client.get("/admin/groups/JATIM/members.csv")
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    assert "attachment" in exported.headers["Content-Disposition"]
    assert "anggota-JATIM-2024-02-04.csv" in exported.headers["Content-Disposition"]
    body = exported.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    lines = body.decode("utf-8-sig").splitlines()
    assert lines[0] == "nomor;nama;peran;bergabung;berhenti menerima siaran"
    assert lines[1].startswith("0812-0000-0002;Ani;editor;") and lines[1].endswith(" WIB;")
    assert lines[2].startswith("0812-0000-0001;;koordinator;")
    assert lines[2].endswith(" WIB;Minggu, 4 Februari 2024 pukul 09.00 WIB")  # when they stopped
    assert actions(database)[-1] == "members_exported"
    report = upload(client, body, "PAPUA")
    assert "2 baris siap ditambahkan" in text(report) and "0 baris ditolak" in text(report)
    confirm(client, report, "PAPUA")
    assert members_of(database, "PAPUA") == members_of(database, "JATIM")


def test_a_name_that_looks_like_a_formula_is_exported_as_text_and_imported_back_as_written(
    app: Flask, database: Database
) -> None:
    client = logged_in(app)
    post(
        client,
        "/admin/groups/PAPUA/members",
        phone="081311112222",
        name="=HYPERLINK(1)",
        role="member",
    )
    body = client.get("/admin/groups/PAPUA/members.csv").get_data().decode("utf-8-sig")
    assert ";'=HYPERLINK(1);" in body
    with database.transaction() as db:
        group = db.scalars(select(Group).where(Group.code == "KALBAR")).one()
        rows = member_import.read(body.encode())
        checked = member_import.check(db, group, rows)
    assert [(c.row.name, c.good) for c in checked] == [("=HYPERLINK(1)", True)]


def test_the_pages_speak_english_when_asked(app: Flask) -> None:
    client = logged_in(app)
    client.post(
        "/admin/language", data={"language": "en", "csrf_token": token(client, "/admin/groups")}
    )
    tree = text(client.get("/admin/groups"))
    assert "Invitation code" in tree and "New group" in tree and "Kode undangan" not in tree
    group = text(client.get("/admin/groups/JATIM"))
    assert "coordinator" in group and "Export members (CSV)" in group
    exported = client.get("/admin/groups/JATIM/members.csv").get_data().decode("utf-8-sig")
    assert exported.startswith("phone;name;role;joined;stopped broadcasts")
    assert "Sunday, 4 February 2024 at 09:00 WIB" in exported
