"""The send-rate cap: no one-second window ever holds more request starts than
`SEND_RATE_PER_SECOND`, and Twilio's "slow down" stretches the schedule for a while."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class RateLimiter:
    """At most `rate` grants in any one-second window, paced evenly, on a schedule of slots.

    Each grant gets a slot: the next one on an even schedule (span/rate apart, span = 1 s +
    margin), never earlier than `span` after the slot `rate` grants before it, and never more
    than `late` (margin / 2) in the past; a thread may take its grant from its slot time until
    `late` after it, and a slot that is older is moved up to now.

    Proof of the cap: slot(k + rate) >= slot(k) + span, grant(k) <= slot(k) + late and
    grant(k + rate) >= slot(k + rate), so grant(k + rate) - grant(k) >= span - late =
    1 s + margin / 2 > 1 s: no one-second window holds rate + 1 grants. What is left of the
    margin absorbs the jitter between a grant and its request reaching Twilio.

    Why slots: a thread that wakes a little late (the OS, the GIL) takes a slot it was owed,
    so lateness up to `late` costs no throughput, where a log of actual grant times would
    carry every late wake into each following window. `slow_down` halves the rate for a
    while and `pause` stops grants; neither can raise it above `rate`.
    """

    def __init__(
        self,
        rate: int,
        *,
        window: float = 1.0,
        margin: float = 0.03,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate < 1:
            raise ValueError("rate must be at least 1")
        self.rate = rate
        self.span = window + margin
        self.late = margin / 2
        self._gap = self.span / rate
        self._monotonic = monotonic
        self._sleep = sleep
        self._slots: deque[float] = deque(maxlen=rate)
        self._next_slot = 0.0
        self._paused_until = 0.0
        self._slow_until = 0.0
        self._lock = threading.Lock()
        self._turnstile = threading.Lock()

    def current_rate(self, now: float | None = None) -> int:
        now = self._monotonic() if now is None else now
        return max(1, self.rate // 2) if now < self._slow_until else self.rate

    def _slot(self, now: float) -> float:
        """The slot the next grant would take."""
        slot = max(self._next_slot, now - self.late, self._paused_until)
        limit = self.current_rate(now)
        if len(self._slots) >= limit:
            slot = max(slot, self._slots[len(self._slots) - limit] + self.span)
        return slot

    def acquire(self) -> float:
        """Blocks until a start is allowed; returns the (monotonic) time granted.

        Callers queue on a turnstile, so one waits for the next slot while the rest wait
        their turn, rather than all waking at once to race for it.
        """
        with self._turnstile:
            while True:
                with self._lock:
                    now = self._monotonic()
                    slot = self._slot(now)
                    if slot <= now:
                        self._slots.append(slot)
                        self._next_slot = slot + self._gap
                        return now
                self._sleep(slot - now)

    def pause(self, seconds: float) -> None:
        with self._lock:
            self._paused_until = max(self._paused_until, self._monotonic() + seconds)

    def slow_down(self, seconds: float = 60.0) -> None:
        with self._lock:
            self._slow_until = max(self._slow_until, self._monotonic() + seconds)
