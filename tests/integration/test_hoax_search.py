"""CEK's search: approved clarifications found through Indonesian affixes, spelling variants and
typos, ranked the same way on SQLite (FTS5) and PostgreSQL (full-text search) — each query run
on both databases in the same test, side by side."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from broadcasts.db.database import Database
from broadcasts.db.models import ContentKind
from broadcasts.editorial import library
from broadcasts.elections import faq
from broadcasts.elections import stored as calendars
from broadcasts.hoaxes import search
from tests.conftest import _empty

NOW = datetime(2024, 2, 4, 2, 0, tzinfo=UTC)

# (title, body, tags, verdict, language)
LIBRARY = [
    (
        "Pemungutan suara tidak diundur",
        "Kabar bahwa pencoblosan diundur ke Maret adalah hoaks. KPU menetapkan 14 Februari.",
        ["pencoblosan"],
        "hoax",
        "id",
    ),
    (
        "Tinta pemilu halal",
        "Tinta yang dipakai di TPS sudah bersertifikat halal dari MUI.",
        [],
        "hoax",
        "id",
    ),
    (
        "Surat suara tercoblos di Malaysia",
        "Video surat suara sudah dicoblos itu hasil penyuntingan; Bawaslu sudah memeriksa.",
        ["surat suara"],
        "disinformation",
        "id",
    ),
    (
        "Daftar ulang DPT lewat tautan palsu",
        "KPU tidak pernah meminta daftar ulang DPT lewat tautan WhatsApp. Cek di cekdptonline.",
        ["dpt"],
        "hoax",
        "id",
    ),
    (
        "Voting is not postponed",
        "Messages saying the vote is postponed to March are false; voting day is 14 February.",
        [],
        "hoax",
        "en",
    ),
    (
        "Jam buka TPS",
        "TPS buka pukul 07.00 sampai 13.00 waktu setempat pada hari pemungutan suara.",
        [],
        "true",
        "id",
    ),
]
# A query as typed → the titles CEK answers with, best first.
EXPECTED = {
    "pencoblosan diundur": ["Pemungutan suara tidak diundur"],
    # Each holds one of the two words, as rare as the other: the newest first.
    "apakah pemilu DIUNDUR?": ["Tinta pemilu halal", "Pemungutan suara tidak diundur"],
    "dicoblos": ["Surat suara tercoblos di Malaysia", "Pemungutan suara tidak diundur"],
    "pengunduran pemungutan suara": ["Pemungutan suara tidak diundur"],
    "hoax tinta": ["Tinta pemilu halal"],
    "tintaa pemilu halal": ["Tinta pemilu halal"],  # a typo
    "daftar ulang dtp": ["Daftar ulang DPT lewat tautan palsu"],  # a typo
    "disinformasi": ["Surat suara tercoblos di Malaysia"],  # its verdict
    "vote postponed": ["Voting is not postponed"],
    "tinta luntur": ["Tinta pemilu halal"],
    "pemilu luntur bocor": [],  # fewer than half of the words anywhere
    "100% _x_": [],
}


@pytest.fixture
def both(
    sqlite_database: Database, postgresql_database: Database
) -> Iterator[tuple[Database, Database]]:
    for database in (sqlite_database, postgresql_database):
        _empty(database)
    calendars.forget_cached()
    faq.forget_cached()
    yield sqlite_database, postgresql_database


def add(database: Database, items: list[tuple[str, str, list[str], str, str]]) -> None:
    with database.transaction() as session:
        for title, body, tags, verdict, language in items:
            item = library.add_content(
                session,
                title=title,
                body=body,
                tags=tags,
                kind=ContentKind.CLARIFICATION,
                language=language,
                verdict=verdict,
                created_by="admin:ani",
                now=NOW,
            )
            library.approve_content(session, item.id, actor="admin:budi", now=NOW)


def titles(database: Database, query: str, language: str = "id") -> list[str]:
    with database.transaction() as session:
        return [c.title for c in search.clarifications(session, query, language=language)]


def test_cek_reads_affixes_spelling_and_typos_the_same_on_both_databases(
    both: tuple[Database, Database],
) -> None:
    for database in both:
        add(database, LIBRARY)
        with database.transaction() as session:
            # Not findable: waiting for approval, or not a clarification.
            library.add_content(
                session,
                title="Pencoblosan diundur? Belum diperiksa",
                body="draf",
                kind=ContentKind.CLARIFICATION,
                created_by="admin:ani",
                now=NOW,
            )
            literacy = library.add_content(
                session, title="Cara mencoblos", body="Coblos sekali", created_by="a", now=NOW
            )
            library.approve_content(session, literacy.id, actor="admin:budi", now=NOW)
    sqlite, postgresql = both
    for query, expected in EXPECTED.items():
        assert titles(sqlite, query) == expected, query
        assert titles(postgresql, query) == expected, query
    # Among equals, the reader's language first.
    assert titles(sqlite, "postponed march", "en")[0] == "Voting is not postponed"


def test_a_random_library_answers_every_query_the_same_on_both_databases(
    both: tuple[Database, Database], seed: int
) -> None:
    chance = random.Random(seed)
    words = [
        "pemilu", "pencoblosan", "diundur", "tinta", "halal", "surat", "suara", "dicoblos",
        "kotak", "kardus", "petugas", "kpps", "meninggal", "racun", "daftar", "ulang", "dpt",
        "tautan", "hoaks", "bansos", "politik", "uang", "serangan", "fajar", "quick", "count",
        "server", "kpu", "diretas", "bocor", "data", "pemilih", "ganda", "mundur", "ditunda",
    ]  # fmt: skip
    items = [
        (
            " ".join(chance.choices(words, k=4)).capitalize(),
            " ".join(chance.choices(words, k=chance.randint(5, 25))),
            chance.sample(words, k=chance.randint(0, 2)),
            chance.choice(["hoax", "true", "unproven"]),
            chance.choice(["id", "id", "en"]),
        )
        for _ in range(150)
    ]
    for database in both:
        add(database, items)
    sqlite, postgresql = both
    for _ in range(60):
        query = " ".join(chance.choices(words, k=chance.randint(1, 4)))
        language = chance.choice(["id", "en"])
        found = titles(sqlite, query, language)
        assert found == titles(postgresql, query, language), (seed, query)
