"""The rules of delivery that need no database: the rate cap, error classes, state order."""

from __future__ import annotations

import itertools
import os
import subprocess

from hypothesis import given, settings
from hypothesis import strategies as st

from broadcasts.db.models import DeliveryState
from broadcasts.delivery.dispatch import PROCESS_OWNER, template_text
from broadcasts.delivery.outbox import moves_forward
from broadcasts.delivery.rate_limit import RateLimiter
from broadcasts.delivery.reconcile import owner_is_dead
from broadcasts.delivery.transports.base import Failure, classify
from tests.fake_twilio import busiest_second


class FakeTime:
    """Monotonic time that only moves when the limiter sleeps or the test waits."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def limiter(rate: int, time: FakeTime) -> RateLimiter:
    return RateLimiter(rate, monotonic=time.monotonic, sleep=time.sleep)


@settings(max_examples=60, deadline=None)
@given(
    rate=st.integers(min_value=1, max_value=50),
    gaps=st.lists(st.floats(min_value=0, max_value=0.3), min_size=1, max_size=300),
)
def test_no_one_second_window_ever_holds_more_than_the_cap(rate: int, gaps: list[float]) -> None:
    time = FakeTime()
    limited = limiter(rate, time)
    granted = []
    for gap in gaps:
        time.now += gap  # requests arrive whenever they like
        granted.append(limited.acquire())
    assert busiest_second(granted) <= rate


def test_with_requests_always_waiting_the_cap_is_nearly_reached() -> None:
    time = FakeTime()
    limited = limiter(80, time)
    granted = [limited.acquire() for _ in range(800)]
    achieved = (len(granted) - 1) / (granted[-1] - granted[0])
    assert busiest_second(granted) <= 80 and achieved >= 0.95 * 80


def test_slowing_down_halves_the_rate_for_a_while_and_a_pause_stops_grants() -> None:
    time = FakeTime()
    limited = limiter(10, time)
    limited.slow_down(seconds=5)
    first = [limited.acquire() for _ in range(10)]
    assert busiest_second(first) == 5
    time.now += 10
    assert limited.current_rate() == 10
    limited.pause(2.0)
    paused_at = time.now
    assert limited.acquire() >= paused_at + 2.0


def test_errors_are_classified_as_the_platform_reference_says() -> None:
    assert classify(429, 20429, retry_after=3).failure is Failure.RETRY
    assert classify(429, 20429, retry_after=3).retry_after == 3
    assert classify(400, 63018).failure is Failure.SLOW_DOWN
    assert classify(400, 21610).failure is Failure.OPTED_OUT
    for code in (63016, 63024, 63027, 63028, 63032, 63049, 30007):
        assert classify(400, code).failure is Failure.PERMANENT, code
    assert classify(500, 20500).failure is Failure.UNKNOWN
    assert classify(503, None).failure is Failure.UNKNOWN
    assert classify(None, None, "ReadTimeout").failure is Failure.UNKNOWN
    assert classify(401, 20003).failure is Failure.RETRY  # bad credentials fail nobody for good
    assert "not on WhatsApp" in classify(400, 63024).reason


def test_callbacks_only_move_a_delivery_forward() -> None:
    sent, delivered, read = DeliveryState.SENT, DeliveryState.DELIVERED, DeliveryState.READ
    failed = DeliveryState.FAILED
    assert moves_forward(DeliveryState.UNKNOWN, sent) and moves_forward(sent, read)
    assert not moves_forward(read, delivered) and not moves_forward(read, sent)
    assert not moves_forward(delivered, failed) and moves_forward(sent, failed)
    assert not moves_forward(failed, delivered) and not moves_forward(DeliveryState.SKIPPED, sent)


def test_template_text_is_one_bounded_line() -> None:
    assert template_text("Baris\n\tdua   tiga") == "Baris dua tiga"
    long = template_text("kata " * 500)
    assert len(long) == 1000 and long.endswith("…")


def test_evenly_paced_grants_catch_up_a_short_oversleep_but_never_burst_past_the_cap() -> None:
    time = FakeTime()
    limited = limiter(100, time)
    granted = [limited.acquire() for _ in range(50)]
    # Starting from idle, the slots of the last `late` seconds are free to take; then even.
    gaps = {round(b - a, 6) for a, b in itertools.pairwise(granted[2:])}
    assert gaps == {round(limited.span / 100, 6)}  # no bursts: one grant per slot
    time.now += 0.015  # the thread overslept by a slot and a half (no more than `late`)
    caught_up = [limited.acquire() for _ in range(3)]
    slot = limited.span / 100
    assert caught_up[1] - caught_up[0] < slot  # the time lost is made up at once…
    assert round(caught_up[2] - caught_up[1], 6) == round(slot, 6)
    granted += caught_up + [limited.acquire() for _ in range(300)]
    assert busiest_second(granted) <= 100  # …within the cap all the same


def test_only_a_lease_of_a_process_gone_from_this_host_counts_as_dead() -> None:
    host = PROCESS_OWNER.partition(":")[0]
    gone = subprocess.Popen(["true"])
    gone.wait()
    assert owner_is_dead(f"{host}:{gone.pid}:abcdef01")
    assert not owner_is_dead(PROCESS_OWNER)
    assert owner_is_dead(f"{host}:{os.getpid()}:00000000")  # this pid, an earlier process
    assert not owner_is_dead(f"{host}:1:abcdef01")  # alive
    assert not owner_is_dead(f"another-host:{gone.pid}:abcdef01")  # cannot know: the lease runs
    assert not owner_is_dead("test-dispatcher")
