"""Scheduled rules: the public-pool scenario, dry runs, and the job runner's once-per-period claims."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
import sys
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from loom.platform.jobs.catalog import TIMEOUTS
from loom.platform.jobs.queue import perform
from loom.platform.jobs.queue import queue_name
from loom.platform.jobs.runner import LEASE
from loom.platform.jobs.runner import Scheduler
from loom.platform.jobs.runner import runs_report
from loom.platform.services import Services

SHANGHAI = ZoneInfo("Asia/Shanghai")
MORNING = dt.datetime(2026, 11, 27, 2, 0, 30, tzinfo=SHANGHAI)


def stale_customers(sales, days: int, count: int, **values) -> list[dict]:
    touched = (MORNING - dt.timedelta(days=days)).isoformat()
    values = {"last_follow_up_at": touched, "owner_user": sales.users["anna"].id, **values}
    return [sales.create("customer", title=f"客户{days}-{i}", **values) for i in range(count)]


def test_customers_untouched_for_31_days_go_back_to_the_pool_with_a_log_entry(sales) -> None:
    stale = stale_customers(sales, 31, 5)
    fresh = stale_customers(sales, 10, 1)
    dealt = stale_customers(sales, 40, 1, deal_status="deal")

    result = sales.services.automations.run_schedule("pool_reclaim", now=MORNING)

    assert (result.matched, result.changed, result.failed) == (5, 5, 0)
    for customer in stale:
        after = sales.get("customer", customer["id"])
        assert (after["in_pool"], after["owner_user"]) == (True, None)
    for customer in fresh + dealt:
        assert sales.get("customer", customer["id"])["in_pool"] is False
    logs = sales.all("owner_log")
    assert sorted(log["customer"] for log in logs) == sorted(c["id"] for c in stale)
    assert {(log["from_user"], log["reason"]) for log in logs} == {
        (sales.users["anna"].id, "no follow-up for 30 days")
    }
    # The next morning nothing is left to do.
    assert sales.services.automations.run_schedule("pool_reclaim", now=MORNING).matched == 0


def test_a_dry_run_reports_the_changes_and_keeps_nothing(sales) -> None:
    [customer] = stale_customers(sales, 31, 1)
    result = sales.services.automations.run_schedule("pool_reclaim", now=MORNING, dry_run=True)
    assert (result.matched, result.changed) == (1, 1)
    assert result.changes == [
        {
            "id": customer["id"],
            "changes": {
                "in_pool": {"before": False, "after": True},
                "owner_user": {"before": sales.users["anna"].id, "after": None},
            },
        }
    ]
    assert sales.get("customer", customer["id"])["in_pool"] is False
    assert sales.all("owner_log") == []


def runs(services: Services, job: str) -> list[dict]:
    table = services.runtime.schema.metadata.tables["loom_job_runs"]
    with services.runtime.engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(table).where(table.c.job == job)).mappings()]


def test_a_period_runs_once_and_missed_periods_are_caught_up_once(sales) -> None:
    stale_customers(sales, 31, 2)
    scheduler = Scheduler(sales.services)
    only = {"sales.pool_reclaim"}
    assert scheduler.tick(MORNING, only) == ["sales.pool_reclaim"]
    assert scheduler.tick(MORNING + dt.timedelta(minutes=5), only) == []  # same period: already claimed
    assert scheduler.tick(MORNING + dt.timedelta(hours=23), only) == []  # 01:00 next day: same period
    [run] = runs(sales.services, "sales.pool_reclaim")
    assert (run["status"], run["counts"]["changed"]) == ("done", 2)
    assert run["period"] == "2026-11-26T18:00:00+00:00"

    # Down for three days: the first tick back runs the rule once, for the latest period.
    stale_customers(sales, 45, 1)
    later = MORNING + dt.timedelta(days=4, hours=6)
    assert scheduler.tick(later, only) == ["sales.pool_reclaim"]
    assert scheduler.tick(later + dt.timedelta(minutes=1), only) == []
    periods = sorted(r["period"] for r in runs(sales.services, "sales.pool_reclaim"))
    assert periods == ["2026-11-26T18:00:00+00:00", "2026-11-30T18:00:00+00:00"]
    assert len(sales.all("owner_log")) == 3


def test_a_failing_job_is_logged_and_does_not_stop_the_others(sales, monkeypatch) -> None:
    scheduler = Scheduler(sales.services)
    job = scheduler.jobs["sales.pool_reclaim"]
    broken = type(job)(job.name, job.cron, job.zone, lambda now: 1 / 0)
    scheduler.jobs["sales.pool_reclaim"] = broken
    claimed = scheduler.tick(MORNING)
    assert set(claimed) >= {"sales.pool_reclaim", TIMEOUTS}
    [run] = runs(sales.services, "sales.pool_reclaim")
    assert run["status"] == "failed" and "ZeroDivisionError" in run["error"]
    assert runs(sales.services, TIMEOUTS)[0]["status"] == "done"


def worker(folder, env: dict) -> subprocess.Popen:
    command = [sys.executable, "-m", "loom.platform", "worker", "--once", "--site", str(folder)]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_worker_processes_run_a_due_schedule_exactly_once(sales_site) -> None:
    services, folder = sales_site
    identity = services.identity
    with services.runtime.engine.begin() as conn:
        owner = identity.create_user(conn, "anna", "anna", password="pw", roles=["sales"])
    table = services.runtime.schema.of("sales.customer").table
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=40)
    stamps = {"last_follow_up_at": long_ago, "created_at": long_ago, "updated_at": long_ago}
    with services.runtime.engine.begin() as conn:
        for i in range(6):
            values = {"title": f"客户{i}", "in_pool": False, "deal_status": "none", "owner_user": owner}
            conn.execute(table.insert().values(owner=owner, version=1, **values, **stamps))
    env = {k: v for k, v in os.environ.items() if k != "LOOM_REDIS_URL"}
    first, second = worker(folder, env), worker(folder, env)
    outputs = [p.communicate(timeout=120) for p in (first, second)]
    assert [p.returncode for p in (first, second)] == [0, 0], outputs
    claimed = [out for out, _ in outputs if "sales.pool_reclaim" in out]
    assert len(claimed) == 1, outputs
    [run] = runs(services, "sales.pool_reclaim")
    assert (run["status"], run["counts"]["changed"]) == ("done", 6)
    log = services.runtime.schema.of("sales.owner_log").table
    with services.runtime.engine.connect() as conn:
        assert len(conn.execute(select(log)).all()) == 6


def redis_available() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
        return True
    except OSError:
        return False


@pytest.mark.skipif(
    not redis_available(), reason="Redis not running on 127.0.0.1:6379: the RQ runner is not tested"
)
def test_with_redis_claimed_runs_go_through_an_rq_worker(sales_site) -> None:
    """…on the site's own queue: a run of another site on the same Redis server (one whose
    folder is gone) stays on that site's queue, untouched."""
    from redis import Redis
    from rq import Queue

    services, folder = sales_site
    env = {**os.environ, "LOOM_REDIS_URL": "redis://127.0.0.1:6379/15"}
    elsewhere = Queue(queue_name("sqlite:////gone/loom.db"), connection=Redis.from_url(env["LOOM_REDIS_URL"]))
    assert elsewhere.name != queue_name(services.runtime.site.settings.database_url)
    elsewhere.empty()
    elsewhere.enqueue(perform, "/gone/site", TIMEOUTS, MORNING.isoformat())
    process = worker(folder, env)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert "Traceback" not in err
    assert elsewhere.count == 1
    elsewhere.empty()
    assert "sales.pool_reclaim" in out
    [run] = runs(services, "sales.pool_reclaim")
    assert run["status"] == "done" and run["counts"] == {
        "matched": 0,
        "changed": 0,
        "failed": 0,
        "errors": [],
    }


def test_a_run_whose_process_died_is_run_again_once_its_lease_ends(sales) -> None:
    """A worker killed while running the 02:00 pool rule left its row `running`: within the lease
    nobody touches it; after it, the next tick of any process runs that period again."""
    stale_customers(sales, 31, 2)
    table = sales.services.runtime.schema.metadata.tables["loom_job_runs"]
    period = "2026-11-26T18:00:00+00:00"  # the period MORNING falls in
    with sales.services.runtime.engine.begin() as conn:
        conn.execute(
            table.insert().values(
                job="sales.pool_reclaim",
                period=period,
                worker="gone:4242",
                started_at=MORNING,
                status="running",
            )
        )
    scheduler, only = Scheduler(sales.services), {"sales.pool_reclaim"}
    assert scheduler.tick(MORNING + dt.timedelta(minutes=30), only) == []  # still leased
    assert runs_report(sales.services, MORNING + dt.timedelta(minutes=30))["stuck"] == []
    late = MORNING + LEASE + dt.timedelta(minutes=1)
    assert [r["worker"] for r in runs_report(sales.services, late)["stuck"]] == ["gone:4242"]
    assert scheduler.tick(late, only) == ["sales.pool_reclaim"]
    [run] = runs(sales.services, "sales.pool_reclaim")
    assert (run["period"], run["status"], run["counts"]["changed"]) == (period, "done", 2)
    assert run["worker"] != "gone:4242"
    assert scheduler.tick(late + dt.timedelta(minutes=1), only) == []  # and only once


def test_an_unreachable_queue_leaves_no_run_claimed(sales_site) -> None:
    """`loom worker --once` with Redis down says so and gives its claims back; the next worker
    without Redis runs the same period; `--status` shows the runs."""
    services, folder = sales_site
    env = {**os.environ, "LOOM_REDIS_URL": "redis://127.0.0.1:9/0"}  # nothing listens there
    process = worker(folder, env)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 1 and "could not hand the due jobs to the queue" in err, (out, err)
    assert "Traceback" not in err
    assert runs(services, "sales.pool_reclaim") == [] and runs(services, TIMEOUTS) == []

    process = worker(folder, {k: v for k, v in os.environ.items() if k != "LOOM_REDIS_URL"})
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert [r["status"] for r in runs(services, TIMEOUTS)] == ["done"]

    command = [
        sys.executable,
        "-m",
        "loom.platform",
        "worker",
        "--status",
        "--format",
        "json",
        "--site",
        str(folder),
    ]
    status = json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout)
    assert status["quiet"] is False and status["stuck"] == [] and status["failed"] == []
    assert TIMEOUTS in {r["job"] for r in status["recent"]}
