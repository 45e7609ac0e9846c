"""The console transport: with no Twilio credentials, messages are printed and kept, not sent."""

from __future__ import annotations

import itertools
import sys
import threading
from collections import deque
from datetime import datetime
from typing import TextIO

from broadcasts.clock import Clock, SystemClock
from broadcasts.transports.base import (
    Gate,
    Outgoing,
    RemoteTemplate,
    SendResult,
    SentMessage,
    TransportUnavailable,
)

# Enough to reconcile recent sends; old ones are forgotten so a long run stays small.
KEPT = 10_000


class ConsoleTransport:
    name = "console"

    def __init__(self, stream: TextIO | None = None, clock: Clock | None = None) -> None:
        self._stream = stream
        self._clock = clock or SystemClock()
        self._lock = threading.Lock()
        self._numbers = itertools.count(1)
        self.sent: deque[tuple[Outgoing, SentMessage]] = deque(maxlen=KEPT)

    def send(self, message: Outgoing, gate: Gate | None = None) -> SendResult:
        if gate is not None:
            gate()
        text = message.body or ""
        if message.content_sid:
            variables = ", ".join(f"{k}={v}" for k, v in (message.content_variables or {}).items())
            text = f"[template {message.content_sid}] {variables}"
        with self._lock:
            sid = f"CONSOLE{next(self._numbers):026d}"
            stored = SentMessage(sid, message.to, text, "sent", self._clock.now())
            self.sent.append((message, stored))
            stream = self._stream or sys.stdout
            media = f" (media: {message.media_url})" if message.media_url else ""
            print(f"--- to {message.to}{media}\n{text}\n---", file=stream, flush=True)
        return SendResult(sid, "sent")

    def sent_to(self, to: str, since: datetime) -> list[SentMessage]:
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
