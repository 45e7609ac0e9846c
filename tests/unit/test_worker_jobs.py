"""The worker's scheduler has every job, whatever else was imported first."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
from broadcasts.clock import SystemClock
from broadcasts.db.database import Database
from broadcasts.runtime import Runtime
from broadcasts.worker import build_scheduler
from config.settings import Settings

services = Runtime(Settings(), Database("sqlite://"), SystemClock())
scheduler = build_scheduler(services, blocking=False)
print(" ".join(sorted(job.id for job in scheduler.get_jobs())))
"""


def test_a_fresh_worker_schedules_planning_dispatch_reconciliation_and_the_calendar() -> None:
    # A fresh interpreter: in this test process other tests have imported the job modules.
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.split() == [
        "calendar_reminders",
        "calendar_scan",
        "dispatch",
        "hoax_digests",
        "plan_due_broadcasts",
        "privacy_retention",
        "reconcile",
        "release_waiting_notices",
    ]
