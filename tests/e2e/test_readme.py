"""The README's first session, run as written: its commands cannot drift from the product.

Each line of the "A first session" block runs in bash, in a fresh directory with no settings,
with `.venv/bin/humasbot` there being this installation's. The one thing a reader supplies —
the join code the first command prints — is supplied the same way.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from config.settings import PROJECT_ROOT
from tests.processes import HUMASBOT, clean_environment


def first_session() -> list[str]:
    readme = (PROJECT_ROOT / "README.md").read_text()
    section = readme.split("## A first session", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block is not None, "the README has no command block under 'A first session'"
    return [line for line in block.group(1).splitlines() if line.strip()]


def run(directory: Path, line: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", f"H=.venv/bin/humasbot\n{line}"],
        cwd=directory,
        env=clean_environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_first_session_runs_as_written(tmp_path: Path) -> None:
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "humasbot").symlink_to(HUMASBOT)
    lines = first_session()
    assert lines[0] == "H=.venv/bin/humasbot"
    outputs: list[str] = []
    join_code = ""
    for line in lines[1:]:
        if "<join code>" in line:
            assert join_code, "the README uses the join code before a command printed one"
            line = line.replace("<join code>", join_code)
        done = run(tmp_path, line)
        assert done.returncode == 0, f"{line}\n{done.stdout}\n{done.stderr}"
        outputs.append(done.stdout)
        if not join_code and "group create" in line:
            join_code = done.stdout.strip().splitlines()[-1]  # "prints the join code last"

    joined, asked, proposed, approved, sent, status = outputs[-6:]
    assert "KALBAR" in joined
    assert "14 Februari 2024" in asked or "2029" in asked  # a date from the calendars
    assert "#1" in proposed
    assert "disetujui" in approved and "3 penerima" in approved
    # The worker sends it on the console transport to the group's three members, once each,
    # and tells its author it was approved.
    assert sent.count("Cek nama Anda di DPT") == 3
    assert sent.count("--- to whatsapp:") == 4
    assert "terkirim: 3" in status
