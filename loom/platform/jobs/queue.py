"""Handing claimed runs to RQ workers when ``LOOM_REDIS_URL`` names a Redis server.

The claim still happens in the database, in whichever process ticks; Redis only
carries the run to a ``loom worker`` process of the same site, which opens the site and
executes it. Each site has its own queue, named after its database: sites sharing a Redis
server never take each other's runs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Callable
from functools import cache
from typing import Any

from sqlalchemy.engine import make_url

from .catalog import Job
from .runner import JOB_TIMEOUT
from .runner import Scheduler


def redis_url() -> str | None:
    return os.environ.get("LOOM_REDIS_URL") or None


def queue_name(database_url: str) -> str:
    """The queue of the site on ``database_url``: the same for all its processes, on every host,
    and another for another site. A run names its site's folder, which a worker of another site
    would open as a site of its own (one that has no tables, for a test's deleted folder)."""
    identity = make_url(database_url).render_as_string(hide_password=True)
    return f"loom.{hashlib.sha256(identity.encode()).hexdigest()[:12]}"


def rq_dispatch(url: str, site_folder: str, queue_name: str) -> Callable[[Job, dt.datetime], None]:
    """A dispatcher that enqueues each claimed run on the site's queue at ``url``."""
    from redis import Redis
    from rq import Queue

    queue = Queue(queue_name, connection=Redis.from_url(url))

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

    return Scheduler(Services.build(Runtime.for_site(open_site(site_folder, create=False))))
