"""Running due jobs: claim a (job, period) row, run it here or hand it to RQ, log the outcome.

Any number of processes may tick at once: the unique (job, period) row is the claim, so
each period runs exactly once. A process that was down misses no period for good: the
first tick after it comes back claims the latest period, so missed runs are caught up
once, not once per missed period.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import delete
from sqlalchemy import insert
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from ..services import Services
from .catalog import Job
from .catalog import jobs_of

log = logging.getLogger("loom.jobs")
KEEP_RUNS = dt.timedelta(days=14)
WORKER = f"{socket.gethostname()}:{os.getpid()}"


class Scheduler:
    def __init__(
        self, services: Services, dispatch: Callable[[Job, dt.datetime], None] | None = None
    ) -> None:
        self.services = services
        self.jobs = {job.name: job for job in jobs_of(services)}
        self.table = services.runtime.schema.metadata.tables["loom_job_runs"]
        # Where claimed runs go: this process by default, an RQ queue when one is configured.
        self.dispatch = dispatch or self.execute

    def tick(self, now: dt.datetime | None = None, only: set[str] | None = None) -> list[str]:
        """Claim and dispatch every job due at ``now``; returns the names claimed here."""
        now = now or dt.datetime.now(dt.UTC)
        claimed = []
        for job in self.jobs.values():
            if only is not None and job.name not in only:
                continue
            period = job.period(now)
            if self._claim(job, period, now):
                claimed.append(job.name)
                self.dispatch(job, period)
        self._forget(now)
        return claimed

    def execute(self, job: Job, period: dt.datetime, now: dt.datetime | None = None) -> dict[str, Any]:
        """Run a claimed job and record how it went; a failure is logged, never raised."""
        started = now or dt.datetime.now(dt.UTC)
        try:
            counts, status, error = job.run(started), "done", None
        except Exception as exc:
            log.exception("job %s for %s failed", job.name, period.isoformat())
            counts, status, error = {}, "failed", f"{type(exc).__name__}: {exc}"
        with self.services.runtime.engine.begin() as conn:
            conn.execute(
                update(self.table)
                .where(self.table.c.job == job.name, self.table.c.period == period.isoformat())
                .values(finished_at=dt.datetime.now(dt.UTC), status=status, counts=counts, error=error)
            )
        return {"job": job.name, "period": period.isoformat(), "status": status, **counts}

    def _claim(self, job: Job, period: dt.datetime, now: dt.datetime) -> bool:
        row = {"job": job.name, "period": period.isoformat(), "worker": WORKER, "started_at": now}
        try:
            with self.services.runtime.engine.begin() as conn:
                conn.execute(insert(self.table).values(status="running", **row))
            return True
        except IntegrityError:
            return False  # another process has this period

    def _forget(self, now: dt.datetime) -> None:
        with self.services.runtime.engine.begin() as conn:
            conn.execute(delete(self.table).where(self.table.c.started_at < now - KEEP_RUNS))


def start_background(scheduler: Scheduler, interval: float = 30.0) -> threading.Thread:
    """Tick every ``interval`` seconds in a daemon thread (the embedded default of ``loom serve``)."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(interval):
            try:
                scheduler.tick()
            except Exception:
                log.exception("scheduled jobs could not be checked")

    thread = threading.Thread(target=loop, name="loom-jobs", daemon=True)
    thread.start()
    return thread
