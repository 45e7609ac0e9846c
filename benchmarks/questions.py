"""The question reader's own cost per question, over the labelled corpus, and its share of a reply.

    .venv/bin/python -m benchmarks.questions [--rounds 30]

Over every question of tests/questions/corpus.yaml and holdout.yaml (528 questions as members
type them), measured in one run, side by side:

- reading warm: `understand()` alone, as a running process answers (the index built, the
  spellings of words seen before remembered) — median and p99 in µs;
- reading cold: the same, with every cache emptied before each round (a new process, or the
  first time a word is seen);
- building the index (once per change of the calendars or the FAQ);
- the whole reply in-process on a fresh SQLite database (`bot.chat.inbound.answer`: record the
  message, read it, render the reply), for the questions and for `JADWAL` — so the reader's share
  of a reply, and a question's cost against JADWAL's, are ratios from the same run.

Shared machines are noisy: the figures are medians; compare the ratios, not single times.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path

import yaml

from bot.chat.inbound import Inbound, answer
from broadcasts.clock import FixedClock
from broadcasts.db.database import Database
from broadcasts.db.schema import upgrade
from broadcasts.elections import faq
from broadcasts.elections import stored as calendars
from broadcasts.elections.questions import bundled_vocabulary, understand, words
from broadcasts.elections.questions import understanding as reader
from broadcasts.elections.stored import bundled_files, read_calendar_file
from config.settings import FAQ_DIR, PROJECT_ROOT, Settings

QUESTIONS = PROJECT_ROOT / "tests" / "questions"
TODAY = date(2026, 12, 2)
NOW = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)


def corpus() -> list[str]:
    found = []
    for name in ("corpus.yaml", "holdout.yaml"):
        found += [str(i["q"]) for i in yaml.safe_load((QUESTIONS / name).read_text("utf-8"))]
    return found


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def timed(run: Callable[[], object]) -> float:
    begun = time.perf_counter_ns()
    run()
    return (time.perf_counter_ns() - begun) / 1000  # µs


def forget_everything() -> None:
    reader._indexes.clear()
    words.root.cache_clear()
    words.is_indonesian.cache_clear()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30, help="warm rounds over the corpus")
    parser.add_argument("--cold-rounds", type=int, default=5)
    arguments = parser.parse_args()
    questions = corpus()
    elections = tuple(sorted(map(read_calendar_file, bundled_files()), key=lambda e: e.year))
    entries = tuple(e for path in sorted(FAQ_DIR.glob("*.yaml")) for e in faq.read_faq_file(path))
    bundled_vocabulary()
    print(
        f"question reader: {len(questions)} questions, {os.cpu_count()} CPUs, "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
        flush=True,
    )

    def read(text: str) -> Callable[[], object]:
        return lambda: understand(text, elections, TODAY, entries)

    builds = []
    for _ in range(5):
        forget_everything()
        builds.append(timed(read("kapan")))
    cold: list[float] = []
    for _ in range(arguments.cold_rounds):
        forget_everything()
        read("kapan")()  # the index itself is measured above
        cold += [timed(read(q)) for q in questions]
    warm: list[float] = []
    for _ in range(arguments.rounds):
        warm += [timed(read(q)) for q in questions]

    whole, jadwal = replies(questions)
    rows = [
        ("reading, warm", warm),
        ("reading, cold caches", cold),
        ("whole reply to a question (SQLite)", whole),
        ("whole reply to JADWAL (SQLite)", jadwal),
    ]
    print("| measured | median µs | p99 µs | samples |")
    print("|---|---|---|---|")
    for label, values in rows:
        print(
            f"| {label} | {statistics.median(values):.0f} | {percentile(values, 0.99):.0f} | "
            f"{len(values)} |"
        )
    print(f"| building the index (once per change) | {statistics.median(builds):.0f} | | 5 |")
    print(
        f"reading's share of a reply: {statistics.median(warm) / statistics.median(whole):.1%}; "
        f"a question costs {statistics.median(whole) / statistics.median(jadwal):.2f}x JADWAL"
    )
    return 0


def replies(questions: list[str]) -> tuple[list[float], list[float]]:
    """The whole in-process reply, questions and JADWAL interleaved so both see the same noise."""
    with tempfile.TemporaryDirectory() as directory:
        database = Database(f"sqlite:///{Path(directory) / 'bench.db'}")
        upgrade(database)
        with database.transaction() as session:
            calendars.load_bundled(session, NOW)
            faq.load_bundled(session, NOW)
        settings = Settings(database_url=str(database.url))
        clock = FixedClock(NOW)
        whole, jadwal = [], []
        for round_ in range(3):
            for n, text in enumerate(questions):
                sender = f"whatsapp:+62812{n % 500:08d}"
                for body, into in ((text, whole), ("JADWAL", jadwal)):
                    sid = f"SM{round_:02d}{n:06d}{len(into):08d}{'q' if into is whole else 'j'}"
                    message = Inbound(message_sid=sid, sender=sender, body=body)
                    into.append(timed(lambda m=message: answer(database, settings, clock, m)))
        database.dispose()
    return whole, jadwal


if __name__ == "__main__":
    raise SystemExit(main())
