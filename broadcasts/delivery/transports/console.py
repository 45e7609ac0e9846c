"""The console transport: with no Twilio credentials, messages are printed and kept, not sent.

It keeps the dispatcher's promise as Twilio does: a message it "sent" can be found again after
a crash, so reconciliation (`broadcasts.delivery.reconcile`) never prints a message twice.

- Message ids are "CONSOLE" + 32 random hex digits (39 characters; the sid column holds 64):
  unique across restarts and processes, never colliding with an id already stored.
- What it sends is appended to an outbox, one JSON line per message (sid, to, text, at, pid,
  media), written with O_APPEND in one write and fsynced BEFORE the message is printed. That
  record, not the printout, is what "sent" means: `sent_to` answers from it. A process killed
  between the two leaves a message recorded and not printed; it is then found by reconciliation
  and not printed again (as a message Twilio created but whose answer was lost).
- The outbox lives beside the SQLite database file (instance/console-outbox.jsonl next to
  instance/humasbot.db by default), or in instance/ under the working directory when the
  database is not a SQLite file (PostgreSQL): see `outbox_path`. Every process on this machine
  using that database (web and worker, several workers) shares it: appends are atomic, and
  `sent_to` first reads the lines other processes added since it last looked. Processes on
  other machines do not see it: the console transport is for one machine. Do not delete the
  file while messages are in doubt; it grows by a line per message.
- Memory stays bounded: the last `KEPT` messages are held (read from the end of the file at
  start); a lookup reaching further back than that reads the older part of the file.

`ConsoleTransport()` without a path keeps its record in memory only (tests, one-off use).
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import threading
import uuid
from collections import deque
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO

from sqlalchemy.engine import make_url

from broadcasts.clock import Clock, SystemClock
from broadcasts.delivery.transports.base import (
    Gate,
    Outgoing,
    RemoteTemplate,
    SendResult,
    SentMessage,
    TransportUnavailable,
)
from broadcasts.people.masking import mask_text

log = logging.getLogger(__name__)

# Enough to reconcile recent sends; old ones are forgotten so a long run stays small.
KEPT = 10_000
OUTBOX_NAME = "console-outbox.jsonl"
SID_PREFIX = "CONSOLE"
# Lines of several processes reach the file in nearly, not exactly, time order (a thread stalls
# between reading the clock and writing; a clock steps back): a look into the part of the file
# older than memory goes this much further back than asked, and is needed only when memory does
# not reach that far.
ORDER_SLACK = timedelta(minutes=1)
_BLOCK = 1 << 16
# Every line starts so (JSON escapes quotes inside strings, so no text can contain it): a line
# glued to the torn end of a write that was cut short is found again from here.
_LINE_START = b'{"sid":'
# The time of a line, found without parsing it (the first key after "sid", which holds no quote).
_AT = re.compile(rb'^\{"sid":"[^"]*","at":"([^"]+)"')


def outbox_path(database_url: str, cwd: Path | None = None) -> Path:
    """Where the console transport keeps what it sent: beside a SQLite database file, else
    instance/ under the working directory (`cwd`, default the process's). Absolute."""
    base = Path.cwd() if cwd is None else cwd
    url = make_url(database_url)
    database = url.database or ""
    no_file = database in ("", ":memory:") or database.startswith("file:")
    if url.get_backend_name() == "sqlite" and not no_file:
        return (base / database).resolve().parent / OUTBOX_NAME
    return (base / "instance").resolve() / OUTBOX_NAME


class ConsoleTransport:
    name = "console"

    def __init__(
        self,
        stream: TextIO | None = None,
        clock: Clock | None = None,
        *,
        path: Path | None = None,
        kept: int = KEPT,
    ) -> None:
        self._stream = stream
        self._clock = clock or SystemClock()
        self._lock = threading.Lock()
        # What this process sent, with what it was asked to send (bounded).
        self.sent: deque[tuple[Outgoing, SentMessage]] = deque(maxlen=kept)
        self.outbox = Outbox(path, kept) if path is not None else None

    def send(self, message: Outgoing, gate: Gate | None = None) -> SendResult:
        if gate is not None:
            gate()
        text = message.body or ""
        if message.content_sid:
            variables = ", ".join(f"{k}={v}" for k, v in (message.content_variables or {}).items())
            text = f"[template {message.content_sid}] {variables}"
        stored = SentMessage(
            f"{SID_PREFIX}{uuid.uuid4().hex}", message.to, text, "sent", self._clock.now()
        )
        if self.outbox is not None:
            # Durable before it is shown. If this fails nothing is printed, and the dispatcher
            # treats the outcome as unknown: reconciliation looks here before any resend.
            self.outbox.append(stored, message.media_url)
        with self._lock:
            self.sent.append((message, stored))
            stream = self._stream or sys.stdout
            media = f" (media: {message.media_url})" if message.media_url else ""
            # Numbers masked, as in any log line; the message id tells one message from another.
            shown = f"--- to {message.to} ({stored.sid}){media}\n{text}\n---"
            print(mask_text(shown), file=stream, flush=True)
        return SendResult(stored.sid, "sent")

    def sent_to(self, to: str, since: datetime) -> list[SentMessage]:
        if self.outbox is not None:
            return self.outbox.sent_to(to, since)
        with self._lock:
            found = [
                stored
                for _, stored in self.sent
                if stored.to == to and (stored.created_at is None or stored.created_at >= since)
            ]
        return list(reversed(found))

    def templates(self) -> list[RemoteTemplate]:
        raise TransportUnavailable(
            "templates come from Twilio: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN"
        )

    def close(self) -> None:
        if self.outbox is not None:
            self.outbox.close()


class Outbox:
    """The console's durable record of what it sent: a JSON-lines file shared by processes.

    Appends are single `write`s on an O_APPEND descriptor (atomic between processes on a local
    file system), each fsynced before `append` returns. Reads go by offset (`pread`) and take
    only complete lines; memory holds the last `kept` messages with their offsets.
    """

    def __init__(self, path: Path, kept: int = KEPT) -> None:
        self.path = path
        self._kept = kept
        self._lock = threading.Lock()
        self._writer: int | None = None
        self._reader: int | None = None
        # File descriptors of a file replaced under us: kept open (a sending thread may still
        # be writing through one) until `close`.
        self._retired: list[int] = []
        self._recent: deque[tuple[int, SentMessage]] = deque(maxlen=kept)
        self._read_to = 0  # lines before this offset have been read
        try:
            with self._lock:
                self._refresh()
        except OSError as error:
            # Not fatal here: every send and lookup tries again, and fails (outcome unknown, a
            # lookup error: nothing is printed or resent) until the file can be used.
            log.warning("console outbox %s cannot be read: %s", path, error)

    def append(self, message: SentMessage, media_url: str | None = None) -> None:
        # "at" right after "sid": a look into the older part of the file reads only that.
        entry: dict[str, object] = {
            "sid": message.sid,
            "at": _at(message).isoformat(),
            "to": message.to,
            "text": message.body,
            "pid": os.getpid(),
        }
        if media_url:
            entry["media"] = media_url
        line = (json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        with self._lock:
            descriptor = self._open_for_append()
        written = os.write(descriptor, line)
        if written != len(line):  # disk full: the torn line is skipped by readers
            raise OSError(f"{self.path}: wrote {written} of {len(line)} bytes")
        os.fsync(descriptor)

    def sent_to(self, to: str, since: datetime) -> list[SentMessage]:
        """Messages to `to` recorded at or after `since` by any process, newest first."""
        with self._lock:
            self._refresh()
            found = [m for _, m in self._recent if m.to == to and _at(m) >= since]
            oldest = self._recent[0] if self._recent else None
            horizon = oldest[0] if oldest is not None else self._read_to
            if horizon > 0 and (oldest is None or _at(oldest[1]) >= since - ORDER_SLACK):
                found = self._older(to, since, horizon) + found
        return list(reversed(found))

    def close(self) -> None:
        with self._lock:
            for descriptor in (self._writer, self._reader, *self._retired):
                if descriptor is not None:
                    os.close(descriptor)
            self._writer = self._reader = None
            self._retired = []

    # --- under the lock ------------------------------------------------------------------------

    def _open_for_append(self) -> int:
        if self._writer is not None and _same_file(self._writer, self.path):
            return self._writer
        if self._writer is not None:
            self._retired.append(self._writer)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = os.open(
            self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o666
        )
        # The file's name must survive a power cut as well as its lines.
        directory = os.open(self.path.parent, os.O_RDONLY | os.O_CLOEXEC)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
        return self._writer

    def _refresh(self) -> None:
        """Reads the complete lines added to the file since the last look (by any process)."""
        try:
            status = os.stat(self.path)
        except FileNotFoundError:
            return
        if (
            self._reader is None
            or not _same_file(self._reader, self.path)
            or status.st_size < self._read_to
        ):
            if self._reader is not None:
                self._retired.append(self._reader)
            self._reader = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
            self._recent.clear()
            self._read_to = self._tail_start(status.st_size)
        pending = b""
        while True:
            chunk = os.pread(self._reader, 1 << 20, self._read_to + len(pending))
            if not chunk:
                return
            data = pending + chunk
            end = data.rfind(b"\n") + 1
            start = 0
            while start < end:
                stop = data.index(b"\n", start) + 1
                message = _parse(data[start:stop])
                if message is not None:
                    self._recent.append((self._read_to + start, message))
                start = stop
            self._read_to += end
            pending = data[end:]  # a line still being written: read again next time

    def _tail_start(self, size: int) -> int:
        """The offset of the `kept`-th line from the end (0 for a shorter file)."""
        assert self._reader is not None
        start = 0
        for count, (offset, _) in enumerate(_lines_backward(self._reader, size), 1):
            start = offset
            if count >= self._kept:
                break
        return start

    def _older(self, to: str, since: datetime, horizon: int) -> list[SentMessage]:
        """Messages to `to` since `since` in the part of the file before `horizon`, oldest first.

        Reads back until a line older than `since` by `ORDER_SLACK`; only lines to `to` are
        parsed whole.
        """
        assert self._reader is not None
        needle = b'"to":' + json.dumps(to, ensure_ascii=False).encode()
        floor = since - ORDER_SLACK
        found = []
        for _, line in _lines_backward(self._reader, horizon):
            at = _time_of(line)
            if at is None:
                continue
            if at < floor:
                break
            if at >= since and needle in line:
                message = _parse(line)
                if message is not None and message.to == to:
                    found.append(message)
        return list(reversed(found))


def _same_file(descriptor: int, path: Path) -> bool:
    try:
        current = os.stat(path)
    except FileNotFoundError:
        return False
    opened = os.fstat(descriptor)
    return (opened.st_dev, opened.st_ino) == (current.st_dev, current.st_ino)


def _lines_backward(descriptor: int, end: int) -> Iterator[tuple[int, bytes]]:
    """The lines of the file before offset `end`, last first, with their offsets."""
    position, buffer = end, b""
    while True:
        cut = buffer.rfind(b"\n", 0, max(len(buffer) - 1, 0))
        if cut >= 0:
            yield position + cut + 1, buffer[cut + 1 :]
            buffer = buffer[: cut + 1]
            continue
        if position == 0:
            if buffer:
                yield 0, buffer
            return
        size = min(_BLOCK, position)
        position -= size
        buffer = os.pread(descriptor, size, position) + buffer


def _record(line: bytes) -> bytes | None:
    """The record in a line: from its start, past any torn write it was glued to."""
    start = line.rfind(_LINE_START)
    return line[start:].strip() if start >= 0 else None


def _time_of(line: bytes) -> datetime | None:
    record = _record(line)
    found = _AT.search(record) if record is not None else None
    return _aware(found.group(1).decode()) if found is not None else None


def _parse(line: bytes) -> SentMessage | None:
    record = _record(line)
    if record is None:
        if line.strip():
            log.debug("console outbox: skipping an unreadable line")
        return None
    try:
        entry = json.loads(record)
        at = _aware(str(entry["at"]))
        if at is None:
            raise ValueError("no time")
        return SentMessage(str(entry["sid"]), str(entry["to"]), str(entry["text"]), "sent", at)
    except (ValueError, KeyError, TypeError):
        log.debug("console outbox: skipping an unreadable line")
        return None


def _aware(text: str) -> datetime | None:
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        return None
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _at(message: SentMessage) -> datetime:
    return message.created_at or datetime.now(UTC)
