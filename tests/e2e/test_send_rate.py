"""The rate cap as Twilio would see it: a real `humasbot worker` sends a broadcast to the fake
Twilio, which counts the create requests that reach it in each second of the wall clock.

Only the rate limiter's unit tests checked the cap before; a dispatcher built with one more send
per second than `SEND_RATE_PER_SECOND` passed every test. Here the worker reads the setting as
in production and the count is taken where the messages land, so that bug fails this test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from broadcasts.clock import SystemClock
from broadcasts.db.database import Database
from broadcasts.db.models import BroadcastState
from broadcasts.delivery.dispatch import Dispatcher
from config.settings import Settings
from tests.delivery_fixtures import (
    broadcast_state,
    seed_broadcast,
    start_worker,
    stop,
    wait_for_state,
    worker_environment,
)
from tests.fake_twilio import FakeTwilio

pytestmark = pytest.mark.slow

# Small, so one request more per second is a large step (6 instead of 5) and a few seconds of
# sending show it in most seconds; the limiter starts each send more than a second after the
# one five sends before it, so a second of the wall clock holds 5 at most.
CAP = 5
MEMBERS = 8 * CAP


def test_no_second_at_twilio_holds_more_sends_than_send_rate_per_second(
    database: Database, tmp_path: Path
) -> None:
    with FakeTwilio() as fake:
        broadcast_id = seed_broadcast(database, SystemClock().now(), MEMBERS)
        environment = worker_environment(database, fake, SEND_RATE_PER_SECOND=str(CAP))
        worker = start_worker(environment, tmp_path, "worker.log")
        try:
            state = wait_for_state(database, broadcast_id, BroadcastState.DONE.value, 120)
        finally:
            stop(worker)
        log = (tmp_path / "worker.log").read_text(errors="replace")
        assert state == BroadcastState.DONE.value, f"{state}\n{log[-3000:]}"
        assert fake.total() == MEMBERS
        per_second = fake.per_wall_second()
        seconds = [per_second[second] for second in sorted(per_second)]
        # Every send counted, and no second of the wall clock over the cap.
        assert sum(seconds) == MEMBERS
        assert max(seconds) <= CAP, f"sends per wall-clock second at Twilio: {seconds}"


def test_the_dispatcher_in_this_process_keeps_the_cap_at_twilio_too(
    settings: Settings, database: Database
) -> None:
    """The same count for a Dispatcher made here from settings (as the worker makes it), so the
    cap is also checked where `make mutate` can see it (it follows no other process)."""
    cap, members = 4, 24
    with FakeTwilio(auth_token=settings.twilio_auth_token or "") as fake:
        configured = settings.replace(
            twilio_account_sid=fake.account_sid,
            twilio_whatsapp_from="whatsapp:+14155238886",
            twilio_api_base_url=fake.url,
            send_rate_per_second=cap,
        )
        broadcast_id = seed_broadcast(database, SystemClock().now(), members)
        dispatcher = Dispatcher(configured, database, SystemClock())
        try:
            assert dispatcher.drain(seconds=60) == members
        finally:
            dispatcher.close()
        per_second = fake.per_wall_second()
    seconds = [per_second[second] for second in sorted(per_second)]
    assert sum(seconds) == members and broadcast_state(database, broadcast_id) == "done"
    assert max(seconds) <= cap, f"sends per wall-clock second at Twilio: {seconds}"
