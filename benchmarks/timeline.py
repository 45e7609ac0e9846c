"""The election timeline picture: drawing one, and serving one already drawn.

    .venv/bin/python -m benchmarks.timeline [--draws 30] [--requests 2000]
                                            [--databases sqlite postgresql]

- Drawing: `draw()` for the bundled calendars (Pemilu 2024, Pilkada 2024, Pemilu 2029), in
  Indonesian and English, on as many different days as `--draws` needs, so that no picture is
  drawn twice; matplotlib is imported and warmed by one drawing first, as a web process does
  once. Target: median under 300 ms.
- Serving: `GET /media/timeline/pemilu2024.png?v=…` through the Flask test client (the whole
  app: routing, the calendars' snapshot from the database, the picture cache, the ETag and
  cache headers) once the picture is drawn, for each database; and the same with If-None-Match,
  which answers 304. Target: median under 5 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from urllib.parse import urlsplit

from benchmarks.webhook import fresh_database
from bot.web.app import create_app
from bot.web.media import timeline_media
from broadcasts.clock import FixedClock
from broadcasts.elections import stored as calendars
from broadcasts.elections.stored import bundled_files, read_calendar_file
from broadcasts.elections.timeline_picture import draw
from config.settings import Settings

DRAW_TARGET_MS, SERVE_TARGET_MS = 300.0, 5.0
NOW = datetime(2024, 2, 4, 2, 0, tzinfo=UTC)  # Pemilu 2024's campaign, in WIB the morning


def milliseconds(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return (time.perf_counter() - started) * 1000


def summary(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return (
        f"median {statistics.median(ordered):.2f} ms, p95 {p95:.2f} ms, max {ordered[-1]:.2f} ms"
        f" over {len(ordered)}"
    )


def drawing(draws: int) -> float:
    elections = [read_calendar_file(path) for path in bundled_files()]
    chosen = [e for e in elections if e.code in ("pemilu2024", "pilkada2024", "pemilu2029")]
    draw(chosen[0], NOW.date(), "id", "WIB")  # imports matplotlib and loads the fonts
    times, cpu = [], []
    for n in range(draws):
        election = chosen[n % len(chosen)]
        language = ("id", "en")[n // len(chosen) % 2]
        day = NOW.date() + timedelta(days=n)  # another day: another picture, never a cached one
        started = time.process_time()
        times.append(milliseconds(partial(draw, election, day, language, "WIB")))
        cpu.append((time.process_time() - started) * 1000)
    # The CPU time too: on a machine shared with other work, the wall time is mostly waiting.
    print(f"  draw: {summary(times)}; CPU time median {statistics.median(cpu):.1f} ms", flush=True)
    return statistics.median(times)


def serving(kind: str, requests: int) -> float:
    with fresh_database(kind) as database:
        settings = Settings(database_url=database.url.render_as_string(hide_password=False))
        clock = FixedClock(NOW)
        client = create_app(settings, database=database, clock=clock).test_client()
        with database.transaction() as session:
            snapshot = calendars.snapshot(session)
        url = urlsplit(timeline_media(settings, snapshot, "pemilu2024", NOW)("id"))
        first = client.get(url.path, query_string=url.query)  # drawn here, once
        assert first.status_code == 200 and first.mimetype == "image/png", first.status
        etag = first.headers["ETag"]

        def fetch(headers: dict[str, str], status: int) -> None:
            response = client.get(url.path, query_string=url.query, headers=headers)
            assert response.status_code == status, response.status

        full = [milliseconds(lambda: fetch({}, 200)) for _ in range(requests)]
        revalidated = [
            milliseconds(lambda: fetch({"If-None-Match": etag}, 304)) for _ in range(requests)
        ]
    print(f"  {kind}, served from the cache (200, {len(first.data):,} bytes): {summary(full)}")
    print(f"  {kind}, revalidated (304): {summary(revalidated)}", flush=True)
    return statistics.median(full)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=30, help="pictures drawn, each different")
    parser.add_argument("--requests", type=int, default=2000, help="requests per measurement")
    parser.add_argument(
        "--databases", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"]
    )
    arguments = parser.parse_args()
    if not 1 <= arguments.draws <= 1000 or not 1 <= arguments.requests <= 100_000:
        parser.error("--draws must be 1-1000 and --requests 1-100000")
    load = " ".join(f"{figure:.2f}" for figure in os.getloadavg())
    print(f"timeline benchmark: {os.cpu_count()} CPUs, load average before: {load}", flush=True)
    drawn = drawing(arguments.draws)
    served = {kind: serving(kind, arguments.requests) for kind in arguments.databases}
    met = drawn < DRAW_TARGET_MS and all(ms < SERVE_TARGET_MS for ms in served.values())
    figures = ", ".join(f"{kind} {ms:.2f} ms" for kind, ms in served.items())
    print(
        f"draw median {drawn:.1f} ms (target < {DRAW_TARGET_MS:g}); cached serve median "
        f"{figures} (target < {SERVE_TARGET_MS:g}): {'met' if met else 'MISSED'}"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
