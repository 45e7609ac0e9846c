"""GET /privasi and /privacy: the privacy notice in Indonesian and English, naming the operator
and their contact from the settings."""

from __future__ import annotations

from bot.web.app import create_app
from broadcasts.clock import FixedClock
from broadcasts.db.database import Database
from config.settings import Settings


def test_the_notice_in_both_languages_names_the_operator(
    settings: Settings, database: Database, clock: FixedClock
) -> None:
    configured = settings.replace(
        operator_name="Diskominfo Provinsi Kalimantan Barat",
        operator_contact="ppid@kalbarprov.go.id",
        inbound_retention_days=60,
    )
    client = create_app(configured, database=database, clock=clock).test_client()
    indonesian = client.get("/privasi")
    assert indonesian.status_code == 200 and indonesian.mimetype == "text/html"
    page = indonesian.get_data(as_text=True)
    for words in (
        "Diskominfo Provinsi Kalimantan Barat",
        "ppid@kalbarprov.go.id",
        "60 hari",
        "180 hari",
        "DATA SAYA",
        "HAPUS DATA",
        "YA HAPUS</strong> dalam 10 menit",
        'href="/privacy"',
        "Nomor 27 Tahun 2022",
    ):
        assert words in page, words
    english = client.get("/privacy").get_data(as_text=True)
    for words in ("Diskominfo Provinsi Kalimantan Barat", "MY DATA", "DELETE MY DATA", "60 days"):
        assert words in english, words
    assert 'href="/privasi"' in english and 'lang="en"' in english


def test_without_settings_the_notice_still_says_who_runs_it(
    settings: Settings, database: Database, clock: FixedClock
) -> None:
    client = create_app(settings, database=database, clock=clock).test_client()
    page = client.get("/privasi").get_data(as_text=True)
    assert "kantor humas pemerintah yang mengelola nomor WhatsApp ini" in page
    assert "None" not in page and "90 hari" in page
    assert client.post("/privasi").status_code == 405
