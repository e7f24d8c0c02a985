"""``loom worker``: run scheduled work outside the web processes (RQ on Redis, or in-process)."""

from __future__ import annotations

import json
import time

import click

from .base import FORMAT
from .base import SITE_OPTION
from .base import cli
from .base import fail
from .base import open_services


@cli.command()
@SITE_OPTION
@click.option("--once", is_flag=True, help="Claim and run what is due now, then exit (for cron).")
@click.option("--interval", default=30.0, show_default=True, help="Seconds between schedule checks.")
@click.option("--status", is_flag=True, help="List recent runs, stuck ones and failures, then exit.")
@click.option("--format", "output", type=FORMAT, default="text", show_default=True)
def worker(site_dir: str, once: bool, interval: float, status: bool, output: str) -> None:
    """Run scheduled automations and flow timeouts, each period exactly once across processes.

    With LOOM_REDIS_URL set, claimed runs go to an RQ queue and this process also works
    that queue; any number of workers (and `loom serve` processes) may run side by side.
    A run whose process died is run again once its lease ends; `--status` shows them.
    """
    from loom.platform.jobs.queue import queue_name
    from loom.platform.jobs.queue import redis_url
    from loom.platform.jobs.queue import rq_dispatch
    from loom.platform.jobs.runner import Scheduler
    from loom.platform.jobs.runner import start_background

    services = open_services(site_dir)
    if status:
        _print_status(services, output)
        return
    folder = str(services.runtime.site.folder)
    url = redis_url()
    queue = queue_name(services.runtime.site.settings.database_url)
    scheduler = Scheduler(services, rq_dispatch(url, folder, queue) if url else None)
    if once:
        try:
            claimed = scheduler.tick()
        except Exception as exc:  # the queue is unreachable: the claim was given back
            fail(f"could not hand the due jobs to the queue at {url}: {exc}; nothing was left claimed")
        if url:
            _work_queue(url, queue, burst=True)
        text = json.dumps({"claimed": claimed}) if output == "json" else f"ran: {', '.join(claimed) or '-'}"
        click.echo(text)
        return
    if url:
        start_background(scheduler, interval)
        click.echo(f"worker for {folder}: queue '{queue}' on {url}")
        _work_queue(url, queue, burst=False)
        return
    click.echo(f"worker for {folder}: checking schedules every {interval:g}s (Ctrl+C stops it)")
    while True:
        scheduler.tick()
        time.sleep(interval)


def _work_queue(url: str, queue: str, *, burst: bool) -> None:
    from redis import Redis
    from rq import Queue
    from rq import SimpleWorker

    connection = Redis.from_url(url)
    SimpleWorker([Queue(queue, connection=connection)], connection=connection).work(burst=burst)


def _print_status(services, output: str) -> None:
    from loom.platform.jobs.runner import runs_report

    report = runs_report(services)
    if output == "json":
        click.echo(json.dumps(report, default=str, ensure_ascii=False))
        return
    last = report["last_claim"]
    when = last.isoformat(timespec="seconds") if last else "never"
    warning = "  ✗ no job runner has claimed a run for a while" if report["quiet"] else ""
    click.echo(f"last claim: {when}{warning}")
    for title, rows in (("stuck (lease expired)", report["stuck"]), ("failed", report["failed"])):
        click.echo(f"{title}: {len(rows)}")
        for row in rows:
            click.echo(f"  {row['job']}  {row['period']}  {row['worker']}  {row.get('error') or ''}".rstrip())
    click.echo("recent:")
    for row in report["recent"]:
        started = row["started_at"].isoformat(timespec="seconds")
        click.echo(f"  {started}  {row['status']:8} {row['job']}  {row['worker']}")
