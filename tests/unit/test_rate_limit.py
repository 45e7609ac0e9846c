"""The rate limiter's edges, on a clock the test moves: a slowed-down rate of 1 or 3 still
stays within the cap, a slow-down lasts a minute unless told otherwise, and a rate below 1 is
refused. Written against the mutants of the rate-cap rule that `make mutate` found surviving."""

from __future__ import annotations

import pytest

from broadcasts.delivery.rate_limit import RateLimiter
from tests.fake_twilio import busiest_second


class FakeTime:
    """Monotonic time that only moves when the limiter sleeps or the test says."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.mark.parametrize(("rate", "slowed"), [(1, 1), (2, 1), (3, 1), (10, 5)])
def test_slowed_down_the_rate_halves_but_never_rises_above_the_cap(rate: int, slowed: int) -> None:
    time = FakeTime()
    limited = RateLimiter(rate, monotonic=time.monotonic, sleep=time.sleep)
    limited.slow_down(seconds=600)
    granted = [limited.acquire() for _ in range(4 * rate)]
    assert limited.current_rate() == slowed
    assert busiest_second(granted) == slowed


def test_a_slow_down_lasts_a_minute_unless_told_otherwise() -> None:
    time = FakeTime()
    limited = RateLimiter(10, monotonic=time.monotonic, sleep=time.sleep)
    limited.slow_down()
    time.now += 59.9
    assert limited.current_rate() == 5
    time.now += 0.1
    assert limited.current_rate() == 10


@pytest.mark.parametrize("rate", [0, -1])
def test_a_rate_below_one_is_refused(rate: int) -> None:
    with pytest.raises(ValueError, match=r"^rate must be at least 1$"):
        RateLimiter(rate)
