"""Real `humasbot` processes for end-to-end tests: CLI commands, and `humasbot run` serving HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

HUMASBOT = str(Path(sys.executable).with_name("humasbot"))
# Settings of the machine running the tests must not leak into the processes under test.
SETTINGS = (
    "DATABASE_URL",
    "TWILIO_",
    "PUBLIC_BASE_URL",
    "SECRET_KEY",
    "BOT_",
    "SEND_",
    "WHATSAPP_",
)


def clean_environment(**settings: str) -> dict[str, str]:
    """This process's environment without any Humasbot setting, plus `settings`."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith(SETTINGS)}
    return {**kept, **settings}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def humasbot(
    directory: Path, *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [HUMASBOT, *args],
        cwd=directory,
        env=env or clean_environment(),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def wait_for(predicate: Callable[[], bool], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("timed out")


@contextmanager
def humasbot_run(
    directory: Path,
    env: dict[str, str] | None = None,
    output: int = subprocess.PIPE,
    port: int | None = None,
) -> Iterator[tuple[int, subprocess.Popen[str]]]:
    """`humasbot run` in `directory` on `port` (a free one by default), once it is healthy;
    stopped on the way out. Its output goes to `output`: a pipe (read it, or a long run blocks
    on it), or DEVNULL."""
    port = port or free_port()
    process = subprocess.Popen(
        [HUMASBOT, "run", "--port", str(port)],
        cwd=directory,
        env=env or clean_environment(),
        stdout=output,
        stderr=subprocess.STDOUT,
        text=True,
    )

    def healthy() -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as reply:
                return bool(reply.status == 200)
        except OSError:
            return False

    try:
        wait_for(healthy, 60)
        yield port, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
