"""The dashboard's calendar over HTTP, on both databases: entries of every kind made in the
browser's forms, shown in the month and week views on each group's own clock (WITA, WIT), the
election stages beside them, hold periods and quiet hours shown and edited, a series approved
by a second editor — and bad input refused with words, nothing half-saved."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from bot.cli import main
from broadcasts.clock import FixedClock
from broadcasts.db.database import Database
from broadcasts.db.models import Blackout, CalendarEntry, CalendarTarget, Campaign
from broadcasts.runtime import Runtime
from config.settings import Settings

PASSWORD = "kata-sandi-rahasia"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
# The clock (tests/conftest.py) stands at Sunday 4 February 2024, 09:00 WIB.


@pytest.fixture(autouse=True)
def world(settings: Settings, database: Database, clock: FixedClock) -> None:
    """Two editors, an admin and a viewer; a WITA group and a WIT group."""

    def run(*args: str, stdin: str = "") -> None:
        result = CliRunner().invoke(
            main, list(args), obj=Runtime(settings, database, clock), input=stdin
        )
        assert result.exit_code == 0, result.output

    run("group", "create", "KALTIM", "--name", "Diskominfo Kaltim", "--timezone", "Asia/Makassar")
    run("group", "create", "PAPUA", "--name", "Diskominfo Papua", "--timezone", "Asia/Jayapura")
    for name, role in (
        ("budi", "editor"),
        ("ani", "editor"),
        ("siti", "admin"),
        ("vina", "viewer"),
    ):
        run("admin", "create", name, "--role", role, "--password-stdin", stdin=PASSWORD)
    run("calendar", "list")  # loads the bundled election calendars, as `humasbot run` does


def token(client: FlaskClient, path: str = "/admin/login") -> str:
    found = _TOKEN.search(client.get(path).get_data(as_text=True))
    assert found, f"{path} has no CSRF token"
    return found.group(1)


def signed_in(client: FlaskClient, username: str) -> FlaskClient:
    form = {"username": username, "password": PASSWORD, "csrf_token": token(client)}
    assert client.post("/admin/login", data=form).status_code == 302
    return client


def post(client: FlaskClient, path: str, **form: str | list[str]) -> TestResponse:
    return client.post(path, data={"csrf_token": token(client, "/admin/calendar"), **form})


def text(client: FlaskClient, path: str) -> str:
    answer = client.get(path)
    assert answer.status_code == 200, (path, answer.status_code)
    return answer.get_data(as_text=True)


def add(client: FlaskClient, **form: str | list[str]) -> TestResponse:
    return post(client, "/admin/calendar/entries", **form)


def counts(database: Database) -> tuple[int, int]:
    with database.transaction() as session:
        entries = session.scalar(select(func.count(CalendarEntry.id)))
        targets = session.scalar(select(func.count(CalendarTarget.id)))
    return entries or 0, targets or 0


def flashed(page: str) -> list[str]:
    return re.findall(r'<p class="flash error" role="status">([^<]*)</p>', page)


# --- Entries of every kind, on each group's clock --------------------------------------------


def test_a_one_off_entry_shows_in_the_month_and_the_week_at_the_groups_local_time(
    client: FlaskClient, database: Database
) -> None:
    signed_in(client, "budi")
    made = add(client, kind="once", groups="kaltim", title="Cek DPT Anda", body="Cek DPT Anda",
               on="2024-02-20", time="09:00")  # fmt: skip
    assert made.status_code == 303, made.get_data(as_text=True)
    entry_page = text(client, made.headers["Location"])
    assert "Cek DPT Anda" in entry_page and "Selasa, 20 Februari 2024 pukul 09.00" in entry_page
    assert "20 Feb pukul 09.00 WITA" in entry_page  # its coming send, on Balikpapan's clock
    month = text(client, "/admin/calendar?date=2024-02-01&group=KALTIM")
    assert "Februari 2024" in month and "09.00 WITA" in month and "Cek DPT Anda" in month
    assert "perlu persetujuan editor" in month  # not approved ahead: said in words
    every = text(client, "/admin/calendar?date=2024-02-01")
    assert "09.00 WITA" in every and "KALTIM" in every  # all groups: each on its own clock
    week = text(client, "/admin/calendar?view=week&date=2024-02-20&group=KALTIM")
    assert "19 Feb – 25 Feb 2024" in week and "09.00 WITA" in week
    assert "01.00 UTC" not in week and "2024-02-20T" not in week
    other_week = text(client, "/admin/calendar?view=week&date=2024-02-27&group=KALTIM")
    assert "Cek DPT Anda" not in other_week


def test_a_weekly_entry_recurs_across_the_month_boundary_on_a_wit_clock(
    client: FlaskClient,
) -> None:
    signed_in(client, "budi")
    made = add(client, kind="recurring", groups="PAPUA", title="Senin literasi",
               body="Literasi pemilu", frequency="weekly", weekday=["MO"], every="1",
               time="08:30", starts="2024-02-05", until="2024-03-11")  # fmt: skip
    assert made.status_code == 303, flashed(made.get_data(as_text=True))
    entry_page = text(client, made.headers["Location"])
    assert "Setiap minggu pada hari Senin, pukul 08.30, mulai 5 Februari 2024" in entry_page
    february = text(client, "/admin/calendar?date=2024-02-10&group=PAPUA")
    assert february.count("08.30 WIT") == 4  # 5, 12, 19 and 26 February
    assert "4 kiriman terjadwal" in february
    march = text(client, "/admin/calendar?date=2024-03-01&group=PAPUA")
    assert "Maret 2024" in march
    assert march.count("08.30 WIT") == 3  # 26 February (the grid's first row), 4 and 11 March
    april = text(client, "/admin/calendar?date=2024-04-01&group=PAPUA")
    assert "08.30 WIT" not in april  # it ended on 11 March
    nxt = re.search(r'href="([^"]+)" rel="next"', february)
    assert nxt and "date=2024-03-01" in nxt.group(1).replace("&amp;", "&")


def test_an_entry_anchored_to_a_stage_falls_on_its_day_beside_the_election_stages(
    client: FlaskClient,
) -> None:
    signed_in(client, "budi")
    form = text(client, "/admin/calendar/new?kind=anchored")
    assert "Pemungutan suara" in form and "pemilu2024/pemungutan-suara" in form
    made = add(client, kind="anchored", groups="KALTIM", title="Tiga hari lagi",
               body="Tiga hari lagi pemungutan suara", stage="pemilu2024/pemungutan-suara",
               relation="before", days="3", time="10:00")  # fmt: skip
    assert made.status_code == 303, flashed(made.get_data(as_text=True))
    entry_page = text(client, made.headers["Location"])
    assert "3 hari sebelum hari pertama Pemungutan suara (Pemilu 2024), pukul 10.00" in entry_page
    week = text(client, "/admin/calendar?view=week&date=2024-02-11&group=KALTIM")
    assert "10.00 WITA" in week and "Tiga hari lagi" in week  # Sunday 11 February
    assert "Masa tenang · Pemilu 2024" in week
    week = text(client, "/admin/calendar?view=week&date=2024-02-12&group=KALTIM")
    assert "Pemungutan suara · Pemilu 2024" in week and "Tiga hari lagi" not in week
    choice = {"csrf_token": token(client, "/admin/"), "language": "en", "next": "/admin/"}
    english = client.post("/admin/language", data=choice)
    assert english.status_code in (302, 303)
    month = text(client, "/admin/calendar?date=2024-02-01&group=KALTIM")
    assert "February 2024" in month and "Voting day · 2024 General Election" in month
    assert "10:00 WITA" in month and "needs an editor&#39;s approval" in month


# --- Hold periods and quiet hours -------------------------------------------------------------


def test_a_hold_period_holds_the_occurrences_it_covers_and_the_days_are_shaded(
    client: FlaskClient, app: object, database: Database
) -> None:
    admin = signed_in(client, "siti")
    held = post(admin, "/admin/calendar/blackouts", name="Masa tenang Pemilu 2024",
                tags="ajakan", period="stage", stage="pemilu2024/masa-tenang")  # fmt: skip
    assert held.status_code == 303
    settings_page = text(admin, "/admin/calendar/settings")
    assert "Masa tenang Pemilu 2024" in settings_page and "11 Februari 2024" in settings_page
    made = add(admin, kind="recurring", groups="KALTIM", title="Ajakan harian",
               body="Ayo ke TPS", tags="ajakan", frequency="daily", every="1", time="09:00",
               starts="2024-02-09", until="2024-02-15")  # fmt: skip
    assert made.status_code == 303, flashed(made.get_data(as_text=True))
    month = text(admin, "/admin/calendar?date=2024-02-01&group=KALTIM")
    assert month.count("ditahan, tidak dikirim") == 3  # 11, 12 and 13 February
    assert month.count(" held") == 3  # the three days are shaded
    assert "Masa penahanan siaran: Masa tenang Pemilu 2024" in month
    with database.transaction() as session:
        blackout_id = session.scalars(select(Blackout.id)).one()
    removed = post(admin, f"/admin/calendar/blackouts/{blackout_id}/remove")
    assert removed.status_code == 303
    month = text(admin, "/admin/calendar?date=2024-02-01&group=KALTIM")
    assert "ditahan, tidak dikirim" not in month and month.count("09.00 WITA") == 7  # 9–15 Feb
    assert post(admin, "/admin/calendar/blackouts/999999/remove").status_code == 404


def test_admins_set_quiet_hours_and_the_calendar_says_them_on_the_groups_clock(
    app: object, client: FlaskClient, database: Database
) -> None:
    editor = signed_in(client, "budi")
    assert post(editor, "/admin/calendar/quiet-hours", group="KALTIM", start="22:00",
                end="05:00", mode="set").status_code == 403  # fmt: skip
    assert "21.00–06.00 WITA" in text(editor, "/admin/calendar?group=KALTIM")
    admin = signed_in(client.application.test_client(), "siti")
    saved = post(admin, "/admin/calendar/quiet-hours", group="KALTIM", start="22:00",
                 end="05:00", mode="set")  # fmt: skip
    assert saved.status_code == 303
    assert "22.00–05.00 WITA" in text(admin, "/admin/calendar?group=KALTIM")
    made = add(admin, kind="once", groups="KALTIM", body="Larut malam", on="2024-02-20",
               time="23:00")  # fmt: skip
    assert made.status_code == 303
    week = text(admin, "/admin/calendar?view=week&date=2024-02-20&group=KALTIM")
    assert "05.00 WITA" in week and "dipindah" in week and "Jam senyap 22.00–05.00" in week
    bad = post(admin, "/admin/calendar/quiet-hours", group="KALTIM", start="22:00", end="",
               mode="set")  # fmt: skip
    assert bad.status_code == 303
    assert "jam mulai dan jam selesai" in text(admin, bad.headers["Location"])
    unknown = post(admin, "/admin/calendar/quiet-hours", group="NOPE", start="22:00",
                   end="05:00", mode="set")  # fmt: skip
    assert "Grup NOPE tidak ditemukan" in text(admin, unknown.headers["Location"])


# --- Series -----------------------------------------------------------------------------------


def test_a_series_made_in_the_browser_is_approved_by_a_second_editor_not_its_author(
    client: FlaskClient, database: Database
) -> None:
    budi = signed_in(client, "budi")
    created = post(budi, "/admin/campaigns", name="literasi-kaltim", title="Literasi Kaltim")
    assert (created.status_code, created.headers["Location"]) == (
        303,
        "/admin/campaigns/literasi-kaltim",
    )
    for day in ("2024-02-20", "2024-02-27"):
        made = add(budi, kind="once", groups="KALTIM,PAPUA", body=f"Literasi {day}", on=day,
                   time="09:00", campaign="literasi-kaltim")  # fmt: skip
        assert made.status_code == 303, flashed(made.get_data(as_text=True))
    series = text(budi, "/admin/campaigns/literasi-kaltim")
    assert "Jadwal dalam seri ini (2)" in series and "20 Feb pukul 09.00 WIT" in series
    own = post(budi, "/admin/campaigns/literasi-kaltim/approve")
    assert own.status_code == 303
    assert "sendiri" in text(budi, own.headers["Location"])  # told why, in words
    with database.transaction() as session:
        assert session.scalars(select(CalendarEntry.approved_by)).all() == [None, None]
    ani = signed_in(client.application.test_client(), "ani")
    approved = post(ani, "/admin/campaigns/literasi-kaltim/approve")
    assert approved.status_code == 303
    assert "2 jadwal berangkat" in text(ani, approved.headers["Location"])
    with database.transaction() as session:
        assert session.scalars(select(CalendarEntry.approved_by)).all() == ["admin:ani"] * 2
    month = text(ani, "/admin/calendar?date=2024-02-01&group=PAPUA")
    assert "sudah disetujui" in month and "perlu persetujuan editor" not in month
    assert post(ani, "/admin/campaigns/tidak-ada/approve").status_code == 404
    assert client.get("/admin/campaigns/tidak-ada").status_code == 404


def test_an_entry_is_approved_ahead_by_another_editor_and_cancelled(
    client: FlaskClient, database: Database
) -> None:
    budi = signed_in(client, "budi")
    made = add(budi, kind="once", groups="KALTIM", body="Cek TPS", on="2024-02-20", time="09:00")
    entry = made.headers["Location"]
    assert "sendiri" in text(budi, post(budi, f"{entry}/approve").headers["Location"])
    ani = signed_in(client.application.test_client(), "ani")
    assert post(ani, f"{entry}/approve").status_code == 303
    page = text(ani, entry)
    assert "sudah disetujui" in page and "disetujui oleh ani" in page
    assert post(ani, f"{entry}/cancel").status_code == 303
    assert "Dibatalkan" in text(ani, entry)
    assert "Cek TPS" not in text(ani, "/admin/calendar?date=2024-02-01&group=KALTIM")


# --- Bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("form", "said"),
    [
        ({"kind": "once", "on": "31/02", "time": "09:00"}, '"31/02" bukan tanggal'),
        ({"kind": "once", "on": "2024-02-31", "time": "09:00"}, '"2024-02-31" bukan tanggal'),
        ({"kind": "once", "on": "2024-02-20", "time": ""}, "bukan jam"),
        (
            {"kind": "once", "on": "2024-02-20", "time": "09:00", "groups": "NOPE"},
            "Grup NOPE tidak ditemukan",
        ),
        ({"kind": "once", "on": "2024-02-01", "time": "09:00"}, "sudah lewat"),
        (
            {
                "kind": "anchored",
                "stage": "pemilu1999/pemungutan-suara",
                "relation": "before",
                "days": "3",
                "time": "09:00",
            },
            'Pemilu "pemilu1999" tidak ada',
        ),
        (
            {
                "kind": "anchored",
                "stage": "pemilu2024/tidak-ada",
                "relation": "before",
                "days": "3",
                "time": "09:00",
            },
            'tidak punya tahapan "tidak-ada"',
        ),
        (
            {
                "kind": "recurring",
                "frequency": "weekly",
                "weekday": "XX",
                "time": "09:00",
                "starts": "2024-02-05",
            },
            '"XX" bukan nama hari',
        ),
        (
            {
                "kind": "recurring",
                "frequency": "monthly",
                "month_day": "40",
                "time": "09:00",
                "starts": "2024-02-05",
            },
            "harus 1 sampai 31",
        ),
        (
            {
                "kind": "once",
                "on": "2024-02-20",
                "time": "09:00",
                "body": "",
                "campaign": "tidak-ada",
            },
            'Seri siaran "tidak-ada" tidak ditemukan',
        ),
    ],
)
def test_bad_input_is_refused_with_words_and_nothing_half_saved(
    client: FlaskClient, database: Database, form: dict[str, str], said: str
) -> None:
    signed_in(client, "budi")
    answer = add(client, **{"groups": "KALTIM", "body": "Isi siaran", **form})
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert any(said in message.replace("&#34;", '"') for message in flashed(page)), flashed(page)
    assert 'value="KALTIM"' in page  # the form comes back with what was typed
    assert counts(database) == (0, 0)


def test_unknown_ids_a_missing_token_and_a_viewer_are_refused(
    client: FlaskClient, database: Database
) -> None:
    viewer = signed_in(client, "vina")
    assert viewer.get("/admin/calendar?date=2024-02-01").status_code == 200
    assert viewer.get("/admin/calendar/new").status_code == 403
    refused = post(viewer, "/admin/calendar/entries", kind="once", groups="KALTIM",
                   body="x", on="2024-02-20", time="09:00")  # fmt: skip
    assert refused.status_code == 403
    assert post(viewer, "/admin/campaigns", name="seri", title="Seri").status_code == 403
    assert viewer.get("/admin/calendar/entries/4242").status_code == 404
    assert viewer.get("/admin/calendar?group=NOPE").status_code == 404
    editor = signed_in(client.application.test_client(), "budi")
    assert post(editor, "/admin/calendar/entries/4242/approve").status_code == 404
    assert post(editor, "/admin/calendar/entries/4242/cancel").status_code == 404
    assert post(editor, "/admin/calendar/entries/99999999999/cancel").status_code == 404
    tokenless = editor.post("/admin/calendar/entries", data={"kind": "once", "groups": "KALTIM",
                            "body": "x", "on": "2024-02-20", "time": "09:00"})  # fmt: skip
    assert tokenless.status_code == 400
    bad_date = editor.get("/admin/calendar?date=2024-13-01")
    assert bad_date.status_code == 200 and "bukan tanggal" in bad_date.get_data(as_text=True)
    assert counts(database) == (0, 0)
    with database.transaction() as session:
        assert session.scalar(select(func.count(Campaign.id))) == 0
