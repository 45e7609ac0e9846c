"""The worker: APScheduler wakes the jobs; the database decides what is due.

One scheduler process only (APScheduler cannot share a job store between processes): the
`worker` process in production, a background thread of `humasbot run` on one machine.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from broadcasts.delivery import dispatch, notices, planning, reconcile
from broadcasts.editorial_calendar import scan
from broadcasts.hoaxes import digests
from broadcasts.people import retention
from broadcasts.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    id: str
    seconds: float
    run: Callable[[Runtime], None]


# Every job of the worker, in one list: each runs every `seconds`, never twice at once.
JOBS = (
    Job("plan_due_broadcasts", 2, planning.plan_due_job),
    Job("dispatch", 1, dispatch.dispatch_job),
    Job("reconcile", 2, reconcile.reconcile_job),
    Job("release_waiting_notices", notices.RELEASE_SECONDS, notices.release_job),
    Job("calendar_scan", 15, scan.calendar_scan_job),
    Job("calendar_reminders", 60, scan.calendar_reminders_job),
    Job("hoax_digests", digests.RUN_SECONDS, digests.digest_job),
    Job("privacy_retention", retention.RUN_SECONDS, retention.retention_job),
)


class _ExpectedOverlap(logging.Filter):
    """The dispatch job works in slices longer than its 1-s interval, so the scheduler skips
    ticks while it runs: expected, and not worth a warning every second."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "maximum number of running instances reached" not in record.getMessage()


_OVERLAP = _ExpectedOverlap()


def _guarded(job: Job, services: Runtime) -> None:
    try:
        job.run(services)
    except Exception:
        # One failed tick must not stop the scheduler; the next tick retries from the database.
        log.exception("job %s failed", job.id)


def build_scheduler(services: Runtime, *, blocking: bool) -> BaseScheduler:
    scheduler: BaseScheduler = (
        BlockingScheduler(timezone="UTC") if blocking else BackgroundScheduler(timezone="UTC")
    )
    logging.getLogger("apscheduler.scheduler").addFilter(_OVERLAP)
    for job in JOBS:
        scheduler.add_job(
            _guarded,
            "interval",
            seconds=job.seconds,
            args=(job, services),
            id=job.id,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            # A tick that could not start on time still runs: the database knows what is due.
            misfire_grace_time=None,
        )
    return scheduler
