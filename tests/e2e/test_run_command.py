"""The README's first command on a fresh directory: `humasbot run` with no settings at all.

A real process serves HTTP, migrates SQLite under instance/, and its worker delivers an approved
broadcast through the console transport; `humasbot chat` talks to the same database.
"""

from __future__ import annotations

import json
import signal
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.processes import humasbot, humasbot_run, wait_for


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[Path, int, subprocess.Popen[str]]]:
    with humasbot_run(tmp_path) as (port, process):
        yield tmp_path, port, process


def test_run_serves_answers_and_delivers_with_no_settings(
    running: tuple[Path, int, subprocess.Popen[str]],
) -> None:
    directory, port, process = running
    assert (directory / "instance" / "humasbot.db").is_file()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz") as reply:
        health = json.load(reply)
    assert health["status"] == "ok" and health["transport"] == "console"

    created = humasbot(directory, "group", "create", "KALBAR", "--name", "Bakohumas Kalbar")
    assert created.returncode == 0, created.stderr
    join_code = created.stdout.strip().splitlines()[-1]
    editor = humasbot(
        directory, "member", "add", "0812-1111-1111", "--group", "KALBAR", "--role", "editor"
    )
    assert editor.returncode == 0, editor.stderr
    coordinator = humasbot(
        directory,
        "member",
        "add",
        "+62 812 2222 2222",
        "--group",
        "KALBAR",
        "--role",
        "coordinator",
    )
    assert coordinator.returncode == 0, coordinator.stderr

    joined = humasbot(
        directory, "chat", "--from", "081233334444", "--message", f"DAFTAR {join_code}"
    )
    assert "Selamat bergabung" in joined.stdout
    dates = humasbot(directory, "chat", "--from", "081233334444", "--message", "kapan pencoblosan?")
    assert "Pemungutan suara" in dates.stdout

    proposed = humasbot(
        directory, "chat", "--from", "081222222222", "--message", "SIARKAN KALBAR Cek DPT Anda!"
    )
    assert "#1" in proposed.stdout, proposed.stdout
    approved = humasbot(directory, "chat", "--from", "081211111111", "--message", "SETUJUI 1")
    assert approved.returncode == 0, approved.stderr
    # The editor, the coordinator and the member who joined: three recipients.
    assert "Siaran *#1* (KALBAR) disetujui." in approved.stdout, approved.stdout
    assert "Sedang dikirim ke 3 penerima." in approved.stdout, approved.stdout

    # The worker inside `run` plans and delivers it through the console transport.
    def delivered() -> bool:
        status = humasbot(directory, "broadcast", "status", "1")
        return status.stdout.split()[:3] == ["#1", "done", "KALBAR"]

    wait_for(delivered, 60)
    status = humasbot(directory, "broadcast", "status", "1").stdout
    assert "  sent       3\n" in status and "  queued     0\n" in status, status
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 0
    # The console prints what it sends, the number masked as in any log line.
    assert "--- to whatsapp:+62812****4444" in output and "Cek DPT Anda!" in output
    assert "6281233334444" not in output


def test_cli_errors_are_clear_with_exit_code_1_and_no_traceback(tmp_path: Path) -> None:
    assert humasbot(tmp_path, "group", "create", "KALBAR", "--name", "Kalbar").returncode == 0
    bad_phone = humasbot(tmp_path, "member", "add", "12", "--group", "KALBAR")
    assert bad_phone.returncode == 1 and "not a phone number" in bad_phone.stderr
    unknown_group = humasbot(tmp_path, "member", "add", "081234567890", "--group", "NOWHERE")
    assert unknown_group.returncode == 1 and "NOWHERE" in unknown_group.stderr
    bad_zone = humasbot(tmp_path, "group", "create", "X1", "--name", "X", "--timezone", "Mars/Base")
    assert bad_zone.returncode == 1 and "Unknown time zone Mars/Base" in bad_zone.stderr
    short_password = humasbot(
        tmp_path, "admin", "create", "rina", "--password-stdin", stdin="short\n"
    )
    assert short_password.returncode == 1 and "8 characters" in short_password.stderr
    for result in (bad_phone, unknown_group, bad_zone, short_password):
        assert "Traceback" not in result.stderr
    taken = humasbot(tmp_path, "group", "create", "kalbar", "--name", "Again")
    assert taken.returncode == 1 and "Group KALBAR already exists" in taken.stderr
    assert "Traceback" not in taken.stderr
