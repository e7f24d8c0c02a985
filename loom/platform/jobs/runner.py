"""Running due jobs: claim a (job, period) row, run it here or hand it to RQ, log the outcome.

Any number of processes may tick at once: the unique (job, period) row is the claim, so
each period runs exactly once. A process that was down misses no period for good: the
first tick after it comes back claims the latest period, so missed runs are caught up
once, not once per missed period.

A claim is a lease. If handing the run over fails (Redis unreachable), the claim is given
back at once, so the next tick tries again. If the process holding it dies (kill -9, a
crash inside the job), the row stays ``running`` only until the lease ends (``LEASE`` after
it was taken): the next tick of any process takes it over and runs that period again, so
a daily job never skips a day silently.
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
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from ..services import Services
from .catalog import Job
from .catalog import jobs_of

log = logging.getLogger("loom.jobs")
KEEP_RUNS = dt.timedelta(days=14)
# Longer than any run may take: RQ stops a job after JOB_TIMEOUT, and the lease outlives it.
JOB_TIMEOUT = 3600
LEASE = dt.timedelta(seconds=JOB_TIMEOUT + 300)
WORKER = f"{socket.gethostname()}:{os.getpid()}"


class Scheduler:
    def __init__(
        self, services: Services, dispatch: Callable[[Job, dt.datetime], None] | None = None
    ) -> None:
        self._use(services)
        # Where claimed runs go: this process by default, an RQ queue when one is configured.
        self.dispatch = dispatch or self.execute

    def _use(self, services: Services) -> None:
        self.services = services
        self.jobs = {job.name: job for job in jobs_of(services)}
        self.table = services.runtime.schema.metadata.tables["loom_job_runs"]

    def tick(self, now: dt.datetime | None = None, only: set[str] | None = None) -> list[str]:
        """Claim and dispatch every job due at ``now``; returns the names claimed here.

        Jobs follow the site's current metadata revision: a schedule published since the last
        tick runs from this one on, with no restart."""
        newer = self.services.at_current_revision()
        if newer is not self.services:
            log.info("jobs now follow metadata revision %s", newer.runtime.revision)
            self._use(newer)
        now = now or dt.datetime.now(dt.UTC)
        claimed = []
        for job, period in self._expired(now, only):
            if self._hand_over(job, period):
                claimed.append(job.name)
        for job in self.jobs.values():
            if only is not None and job.name not in only:
                continue
            period = job.period(now)
            if self._claim(job, period, now) and self._hand_over(job, period):
                claimed.append(job.name)
        self._forget(now)
        return claimed

    def _hand_over(self, job: Job, period: dt.datetime) -> bool:
        """Dispatch a claimed run; if that fails, give the claim back for the next tick and raise."""
        try:
            self.dispatch(job, period)
        except Exception:
            with self.services.runtime.engine.begin() as conn:
                conn.execute(
                    delete(self.table).where(
                        self.table.c.job == job.name,
                        self.table.c.period == period.isoformat(),
                        self.table.c.status == "running",
                    )
                )
            log.error("job %s for %s could not be handed over; claim released", job.name, period.isoformat())
            raise
        return True

    def _expired(self, now: dt.datetime, only: set[str] | None) -> list[tuple[Job, dt.datetime]]:
        """Runs still ``running`` after their lease, taken over here (one process wins each)."""
        table, taken = self.table, []
        with self.services.runtime.engine.begin() as conn:
            stale = conn.execute(
                select(table.c.id, table.c.job, table.c.period, table.c.worker, table.c.started_at).where(
                    table.c.status == "running", table.c.started_at < now - LEASE
                )
            ).all()
            for row in stale:
                job = self.jobs.get(row.job)
                if job is None or (only is not None and job.name not in only):
                    continue
                note = f"lease of {row.worker} (since {row.started_at.isoformat()}) expired; run again"
                took = conn.execute(
                    update(table)
                    .where(table.c.id == row.id, table.c.status == "running", table.c.worker == row.worker)
                    .values(worker=WORKER, started_at=now, error=note)
                ).rowcount
                if took == 1:
                    log.warning("job %s for %s: %s", row.job, row.period, note)
                    taken.append((job, dt.datetime.fromisoformat(row.period)))
        return taken

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


# A runner claims the approval-timeouts job every minute: no claim for this long means none runs.
QUIET_AFTER = dt.timedelta(minutes=10)


def runs_report(services: Services, now: dt.datetime | None = None, limit: int = 20) -> dict[str, Any]:
    """What the job runners did: the latest runs, runs stuck past their lease, recent failures,
    and when a run was last claimed (``quiet`` when no runner has claimed one for a while)."""
    now = now or dt.datetime.now(dt.UTC)
    table = services.runtime.schema.metadata.tables["loom_job_runs"]
    columns = (
        table.c.job,
        table.c.period,
        table.c.worker,
        table.c.started_at,
        table.c.finished_at,
        table.c.status,
    )
    newest = table.c.started_at.desc()
    with services.runtime.engine.connect() as conn:
        recent = conn.execute(select(*columns).order_by(newest).limit(limit)).mappings().all()
        stuck = (
            conn.execute(
                select(*columns)
                .where(table.c.status == "running", table.c.started_at < now - LEASE)
                .order_by(newest)
            )
            .mappings()
            .all()
        )
        failed = (
            conn.execute(
                select(*columns, table.c.error)
                .where(table.c.status == "failed")
                .order_by(newest)
                .limit(limit)
            )
            .mappings()
            .all()
        )
    last = recent[0]["started_at"] if recent else None
    return {
        "last_claim": last,
        "quiet": last is None or now - last > QUIET_AFTER,
        "recent": [dict(r) for r in recent],
        "stuck": [dict(r) for r in stuck],
        "failed": [dict(r) for r in failed],
    }


def watch_runners(
    services: Services, every: float = 300.0, stop: threading.Event | None = None
) -> threading.Thread:
    """Warn in the log, every ``every`` seconds until ``stop`` is set, while no job runner has
    claimed a run for ``QUIET_AFTER``: a site served by gunicorn alone runs no schedule,
    timeout or e-mail."""
    stop = stop or threading.Event()

    def loop() -> None:
        while not stop.wait(every):
            try:
                report = runs_report(services)
            except Exception:
                log.exception("the job runs could not be read")
                continue
            if report["quiet"]:
                last = report["last_claim"].isoformat(timespec="seconds") if report["last_claim"] else "never"
                log.warning(
                    "no job runner has claimed a run since %s: start `loom worker` (docs/deploy.md §4)", last
                )

    thread = threading.Thread(target=loop, name="loom-runner-watch", daemon=True)
    thread.start()
    return thread
