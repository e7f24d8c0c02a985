"""Handing claimed runs to RQ workers when ``LOOM_REDIS_URL`` names a Redis server.

The claim still happens in the database, in whichever process ticks; Redis only
carries the run to a ``loom worker`` process, which opens the site and executes it.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from functools import cache
from typing import Any

from .catalog import Job
from .runner import JOB_TIMEOUT
from .runner import Scheduler

QUEUE = "loom"


def redis_url() -> str | None:
    return os.environ.get("LOOM_REDIS_URL") or None


def rq_dispatch(url: str, site_folder: str) -> Callable[[Job, dt.datetime], None]:
    """A dispatcher that enqueues each claimed run for the workers of ``url``."""
    from redis import Redis
    from rq import Queue

    queue = Queue(QUEUE, connection=Redis.from_url(url))

    def dispatch(job: Job, period: dt.datetime) -> None:
        queue.enqueue(perform, site_folder, job.name, period.isoformat(), job_timeout=JOB_TIMEOUT)

    return dispatch


def perform(site_folder: str, job: str, period: str) -> dict[str, Any]:
    """The RQ task: run one claimed job of the site in ``site_folder``."""
    scheduler = _scheduler(site_folder)
    return scheduler.execute(scheduler.jobs[job], dt.datetime.fromisoformat(period))


@cache
def _scheduler(site_folder: str) -> Scheduler:
    """One scheduler (and one set of services) per site and worker process."""
    from ..runtime import Runtime
    from ..services import Services
    from ..site import open_site

    return Scheduler(Services.build(Runtime.for_site(open_site(site_folder))))
