"""`humasbot faq load|list`: an admin loads answers and the bot's FAQ changes, with no code
change; a broken file is refused with exit code 1 and the database unchanged; the bundled FAQ
fills in only what the database lacks."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from bot.cli import main
from broadcasts.clock import FixedClock
from broadcasts.db.database import Database
from broadcasts.db.models import FaqEntryRow
from broadcasts.elections import documents as stored_documents
from broadcasts.elections import faq
from broadcasts.runtime import Runtime
from config.settings import Settings

FAQ = """\
entries:
  - id: cek-dpt
    topics:
      id: [cek dpt, apakah saya terdaftar]
      en: [am i registered]
    title: {id: Cara mengecek DPT, en: How to check the voter list}
    answer:
      id: Buka cekdptonline.kpu.go.id dan masukkan NIK Anda.
      en: Open cekdptonline.kpu.go.id and enter your NIK.
    source: KPU — cekdptonline.kpu.go.id
  - id: pindah-memilih
    topics:
      id: [pindah memilih, dptb]
    title: {id: Pindah tempat memilih, en: Voting somewhere else}
    answer: {id: Urus formulir A di PPS asal Anda., en: Ask your PPS for form A.}
    source: PKPU 7/2023
"""

UPDATE = """\
entries:
  - id: cek-dpt
    topics:
      id: [cek dpt]
    title: {id: Cek DPT, en: Check the voter list}
    answer: {id: Kirim NIK ke 0811-xxxx., en: Send your NIK to 0811-xxxx.}
    source: KPU RI
  - id: surat-suara
    topics:
      id: [surat suara, warna surat suara]
      en: [ballot colours]
    title: {id: Warna surat suara, en: Ballot colours}
    answer: {id: Ada lima surat suara., en: There are five ballots.}
    source: KPU RI
"""


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    """The database was emptied behind this process's back, as another process could."""
    faq.forget_cached()
    yield
    faq.forget_cached()


@pytest.fixture
def cli() -> CliRunner:
    return CliRunner()


def run(
    runner: CliRunner, settings: Settings, database: Database, clock: FixedClock, *args: str
) -> Result:
    """The CLI as an operator runs it, on the test's database and clock."""
    context = Runtime(settings, database, clock)
    return runner.invoke(main, list(args), obj=context)


def write(path: Path, content: str | bytes) -> Path:
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def stored(database: Database) -> dict[str, object]:
    with database.transaction() as session:
        rows = session.execute(
            select(FaqEntryRow.entry_id, FaqEntryRow.document, FaqEntryRow.loaded_at)
        )
        return {entry_id: (document, loaded_at) for entry_id, document, loaded_at in rows}


def loaded_times(database: Database) -> dict[str, datetime]:
    with database.transaction() as session:
        rows = session.execute(select(FaqEntryRow.entry_id, FaqEntryRow.loaded_at))
        return {entry_id: loaded_at for entry_id, loaded_at in rows}


def answers(database: Database) -> dict[str, str]:
    with database.transaction() as session:
        return {e.id: e.answer.id for e in faq.snapshot(session).entries}


def test_load_then_list(
    tmp_path: Path, cli: CliRunner, settings: Settings, database: Database, clock: FixedClock
) -> None:
    empty = run(cli, settings, database, clock, "faq", "list")
    assert empty.exit_code == 0, empty.output
    assert empty.output == "no FAQ entries loaded (humasbot run loads the bundled ones)\n"

    path = write(tmp_path / "pemilu.yaml", FAQ)
    result = run(cli, settings, database, clock, "faq", "load", str(path))
    assert result.exit_code == 0, result.output
    assert result.output == "loaded 2, replaced 0 FAQ entries from pemilu.yaml\n"

    listed = run(cli, settings, database, clock, "faq", "list")
    assert listed.exit_code == 0, listed.output
    assert listed.output.splitlines() == [
        "cek-dpt         Cara mengecek DPT | KPU — cekdptonline.kpu.go.id | "
        "loaded Sun 2024-02-04 09:00 WIB",
        "pindah-memilih  Pindah tempat memilih | PKPU 7/2023 | loaded Sun 2024-02-04 09:00 WIB",
    ]
    assert answers(database) == {
        "cek-dpt": "Buka cekdptonline.kpu.go.id dan masukkan NIK Anda.",
        "pindah-memilih": "Urus formulir A di PPS asal Anda.",
    }


def test_a_second_load_replaces_the_same_ids_and_keeps_the_others(
    tmp_path: Path, cli: CliRunner, settings: Settings, database: Database, clock: FixedClock
) -> None:
    first = run(cli, settings, database, clock, "faq", "load", str(write(tmp_path / "a.yaml", FAQ)))
    assert first.exit_code == 0, first.output
    assert answers(database)["cek-dpt"].startswith("Buka")  # now cached in this process
    before = stored(database)

    clock.advance(timedelta(days=1))
    path = write(tmp_path / "update.yaml", UPDATE)
    result = run(cli, settings, database, clock, "faq", "load", str(path))
    assert result.exit_code == 0, result.output
    assert result.output == "loaded 1, replaced 1 FAQ entries from update.yaml\n"

    after = stored(database)
    assert set(after) == {"cek-dpt", "pindah-memilih", "surat-suara"}
    assert after["pindah-memilih"] == before["pindah-memilih"]  # not in the file: untouched
    assert after["cek-dpt"] != before["cek-dpt"]
    assert answers(database) == {
        "cek-dpt": "Kirim NIK ke 0811-xxxx.",
        "pindah-memilih": "Urus formulir A di PPS asal Anda.",
        "surat-suara": "Ada lima surat suara.",
    }
    listed = run(cli, settings, database, clock, "faq", "list").output.splitlines()
    assert [line.split()[0] for line in listed] == ["cek-dpt", "pindah-memilih", "surat-suara"]
    assert listed[0].endswith("Cek DPT | KPU RI | loaded Mon 2024-02-05 09:00 WIB")


def test_loading_the_same_file_again_at_the_same_moment_replaces_it_all(
    tmp_path: Path, cli: CliRunner, settings: Settings, database: Database, clock: FixedClock
) -> None:
    path = write(tmp_path / "pemilu.yaml", FAQ)
    assert run(cli, settings, database, clock, "faq", "load", str(path)).exit_code == 0
    first = loaded_times(database)
    again = run(cli, settings, database, clock, "faq", "load", str(path))
    assert again.output == "loaded 0, replaced 2 FAQ entries from pemilu.yaml\n"
    # The clock stood still, yet the load moved the version other processes compare.
    second = loaded_times(database)
    assert set(second) == set(first) and all(second[i] > first[i] for i in first)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("entries: [broken", "broken.yaml: not valid YAML at line 1"),
        (FAQ.replace("    source: PKPU", "    sumber: PKPU"), "entry 2 (pindah-memilih): unknown"),
        (FAQ.replace("id: [pindah memilih, dptb]", "id: []"), "pindah-memilih): topics needs"),
        (FAQ.replace("Urus formulir", "x" * 1001), "pindah-memilih): answer.id is 1021"),
        (FAQ.replace("id: pindah-memilih", "id: cek-dpt"), "entry 2 (cek-dpt): id 'cek-dpt' is"),
        (FAQ.replace("id: pindah-memilih", "id: Pindah"), "entry 2: id 'Pindah' must be"),
        (FAQ.encode() + b"\xff", "broken.yaml: is not UTF-8 text"),
    ],
)
def test_a_broken_file_loads_nothing_and_exits_1(
    tmp_path: Path,
    cli: CliRunner,
    settings: Settings,
    database: Database,
    clock: FixedClock,
    content: str | bytes,
    message: str,
) -> None:
    loaded = run(
        cli, settings, database, clock, "faq", "load", str(write(tmp_path / "u.yaml", UPDATE))
    )
    assert loaded.exit_code == 0, loaded.output
    before = stored(database)
    clock.advance(timedelta(hours=1))
    result = run(
        cli, settings, database, clock, "faq", "load", str(write(tmp_path / "broken.yaml", content))
    )
    assert result.exit_code == 1
    assert message in result.output and "broken.yaml" in result.output
    assert "Nothing was loaded" in result.output and "Traceback" not in result.output
    assert stored(database) == before  # not even the valid first entry


def test_a_missing_file_or_a_directory_is_refused(
    tmp_path: Path, cli: CliRunner, settings: Settings, database: Database, clock: FixedClock
) -> None:
    missing = run(cli, settings, database, clock, "faq", "load", str(tmp_path / "nope.yaml"))
    assert missing.exit_code == 1 and "nope.yaml: no such file" in missing.output
    directory = run(cli, settings, database, clock, "faq", "load", str(tmp_path))
    assert directory.exit_code == 1 and "is a directory" in directory.output
    assert stored(database) == {}


def test_bundled_loading_does_not_overwrite_an_admins_load(
    tmp_path: Path, cli: CliRunner, settings: Settings, database: Database, clock: FixedClock
) -> None:
    bundled = tmp_path / "bundled"
    bundled.mkdir()
    write(bundled / "pemilu.yaml", FAQ)
    admin = run(
        cli, settings, database, clock, "faq", "load", str(write(tmp_path / "u.yaml", UPDATE))
    )
    assert admin.exit_code == 0, admin.output
    before = stored(database)

    clock.advance(timedelta(hours=1))
    with database.transaction() as session:
        assert faq.load_bundled(session, clock.now(), bundled) == ["pindah-memilih"]
    after = stored(database)
    assert after["cek-dpt"] == before["cek-dpt"]  # the admin's answer stands
    assert after["surat-suara"] == before["surat-suara"]
    assert answers(database)["cek-dpt"] == "Kirim NIK ke 0811-xxxx."
    assert answers(database)["pindah-memilih"] == "Urus formulir A di PPS asal Anda."

    with database.transaction() as session:  # every start loads the bundled FAQ again
        assert faq.load_bundled(session, clock.now(), bundled) == []
    assert stored(database) == after


def test_bundled_files_fill_an_empty_database_and_a_missing_directory_is_no_faq(
    tmp_path: Path, database: Database, clock: FixedClock
) -> None:
    bundled = tmp_path / "bundled"
    bundled.mkdir()
    write(bundled / "a.yaml", FAQ)
    write(bundled / "b.yaml", UPDATE.replace("id: cek-dpt", "id: cek-tps"))
    with database.transaction() as session:
        assert faq.load_bundled(session, clock.now(), tmp_path / "absent") == []
        loaded = faq.load_bundled(session, clock.now(), bundled)
    assert loaded == ["cek-dpt", "cek-tps", "pindah-memilih", "surat-suara"]
    assert sorted(answers(database)) == loaded


def test_an_id_in_two_bundled_files_is_refused_and_nothing_is_loaded(
    tmp_path: Path, database: Database, clock: FixedClock
) -> None:
    write(tmp_path / "a.yaml", FAQ)
    write(tmp_path / "b.yaml", UPDATE)
    with database.transaction() as session, pytest.raises(faq.FaqError) as raised:
        faq.load_bundled(session, clock.now(), tmp_path)
    assert str(raised.value).startswith("b.yaml: entry cek-dpt is also in a.yaml")
    assert stored(database) == {}


def test_a_damaged_stored_row_is_skipped_not_fatal(
    tmp_path: Path,
    cli: CliRunner,
    settings: Settings,
    database: Database,
    clock: FixedClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    loaded = run(
        cli, settings, database, clock, "faq", "load", str(write(tmp_path / "a.yaml", FAQ))
    )
    assert loaded.exit_code == 0, loaded.output
    with database.transaction() as session:  # edited by hand, behind the process's back
        row = session.scalars(select(FaqEntryRow).where(FaqEntryRow.entry_id == "cek-dpt")).one()
        valid = row.document
        row.document = {**valid, "answer": {"id": "hanya satu bahasa"}}
        session.add(FaqEntryRow(entry_id="salah-id", document=valid, loaded_at=clock.now()))
    assert list(answers(database)) == ["pindah-memilih"]
    assert "skipping the stored FAQ entry cek-dpt" in caplog.text
    assert "skipping the stored FAQ entry salah-id: its document is cek-dpt" in caplog.text
    listed = run(cli, settings, database, clock, "faq", "list")
    assert listed.exit_code == 0, listed.output
    assert "cek-dpt         DAMAGED: stored FAQ entry (cek-dpt): answer: en is missing" in (
        listed.output
    )


def test_snapshot_sees_a_load_from_another_session_within_the_recheck_time(
    tmp_path: Path,
    settings: Settings,
    database: Database,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A process caches parsed entries; a load by another process (its own engine, and no way to
    clear this process's cache) reaches it once `RECHECK_SECONDS` have passed."""
    monotonic = [1000.0]
    clock_of_cache = SimpleNamespace(monotonic=lambda: monotonic[0])
    monkeypatch.setattr(stored_documents, "time", clock_of_cache)
    with database.transaction() as session:
        faq.load_faq(session, faq.read_faq_file(write(tmp_path / "a.yaml", FAQ)), clock.now())
    with database.transaction() as session:
        first = faq.snapshot(session)
    assert [e.id for e in first.entries] == ["cek-dpt", "pindah-memilih"]

    other = Database(settings.database_url)
    try:
        with monkeypatch.context() as elsewhere:
            elsewhere.setattr(faq, "forget_cached", lambda: None)  # it cannot reach this cache
            with other.transaction() as session:
                entries = faq.read_faq_file(write(tmp_path / "u.yaml", UPDATE))
                assert faq.load_faq(session, entries, clock.now()) == (
                    ["surat-suara"],
                    ["cek-dpt"],
                )
    finally:
        other.dispose()

    monotonic[0] += faq.RECHECK_SECONDS / 2
    with database.transaction() as session:
        assert faq.snapshot(session) is first  # trusted without asking
    monotonic[0] += faq.RECHECK_SECONDS
    with database.transaction() as session:
        second = faq.snapshot(session)
    assert [e.id for e in second.entries] == ["cek-dpt", "pindah-memilih", "surat-suara"]
    check = second.find("cek-dpt")
    assert check is not None and check.answer.id == "Kirim NIK ke 0811-xxxx."
    assert second.generation != first.generation
    monotonic[0] += faq.RECHECK_SECONDS * 2
    with database.transaction() as session:
        assert faq.snapshot(session) is second  # asked, and nothing changed: not parsed again


def test_a_load_by_the_humasbot_command_reaches_a_running_process(
    tmp_path: Path, settings: Settings, database: Database, clock: FixedClock
) -> None:
    with database.transaction() as session:
        faq.load_faq(session, faq.read_faq_file(write(tmp_path / "a.yaml", FAQ)), clock.now())
    assert "surat-suara" not in answers(database)  # now cached
    humasbot = Path(sys.executable).with_name("humasbot")
    completed = subprocess.run(
        [str(humasbot), "faq", "load", str(write(tmp_path / "u.yaml", UPDATE))],
        cwd=tmp_path,  # no .env from the project directory
        env={**os.environ, "DATABASE_URL": settings.database_url},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout == "loaded 1, replaced 1 FAQ entries from u.yaml\n"
    deadline = time.monotonic() + faq.RECHECK_SECONDS + 5
    while "surat-suara" not in (found := answers(database)):
        assert time.monotonic() < deadline, "the load never reached this process"
        time.sleep(0.2)
    assert found["cek-dpt"] == "Kirim NIK ke 0811-xxxx."
