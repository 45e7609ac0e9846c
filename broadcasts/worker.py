"""The worker: APScheduler wakes the jobs; the database decides what is due.

One scheduler process only (APScheduler cannot share a job store between processes): the
`worker` process in production, a background thread of `humasbot run` on one machine.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from broadcasts.clock import Clock
from broadcasts.db.database import Database
from config.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class WorkerServices:
    settings: Settings
    database: Database
    clock: Clock


@dataclass(frozen=True)
class Job:
    id: str
    seconds: float
    run: Callable[[WorkerServices], None]


# Jobs add themselves here (see `periodic`); each runs every `seconds`, never twice at once.
JOBS: list[Job] = []

# The modules that declare jobs: imported by the scheduler itself, so no job depends on some
# other import having happened first.
JOB_MODULES = (
    "broadcasts.delivery.planning",
    "broadcasts.delivery.dispatch",
    "broadcasts.delivery.reconcile",
    "broadcasts.editorial_calendar.scan",
    "broadcasts.delivery.notices",
)


def periodic(
    job_id: str, seconds: float
) -> Callable[[Callable[[WorkerServices], None]], Callable[[WorkerServices], None]]:
    def register(run: Callable[[WorkerServices], None]) -> Callable[[WorkerServices], None]:
        JOBS.append(Job(job_id, seconds, run))
        return run

    return register


def _guarded(job: Job, services: WorkerServices) -> None:
    try:
        job.run(services)
    except Exception:
        # One failed tick must not stop the scheduler; the next tick retries from the database.
        log.exception("job %s failed", job.id)


def build_scheduler(services: WorkerServices, *, blocking: bool) -> BaseScheduler:
    scheduler: BaseScheduler = (
        BlockingScheduler(timezone="UTC") if blocking else BackgroundScheduler(timezone="UTC")
    )
    for module in JOB_MODULES:
        importlib.import_module(module)
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
