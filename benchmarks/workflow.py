"""Approval engine speed: approve operations per second, and the inbox with 100,000 open tasks.

    python benchmarks/workflow.py [--database URL] [--approvals N] [--open-tasks N] [--format json]
    python benchmarks/workflow.py --database URL --gunicorn 4 [--clients 8] [--approvals N]

Approvals go through the flow service exactly as the API calls it (one transaction each:
lock, check, close the task, advance the flow, finish it, update the record, notify).
With ``--gunicorn W`` they go over HTTP instead: a site on the database served by gunicorn with
W sync workers, and ``--clients`` threads on loopback posting ``/flow/approve`` with the
approver's bearer token, each request on a new connection (what the goal of 300 a second is
about); the first tenth is a warm-up and not counted.
The inbox is measured for the user who holds all the open tasks: their first page of 50
with titles, and their counts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import soak
from profiles import breakdown
from profiles import said
from scratch import package_runtime
from scratch import scratch_database
from sqlalchemy import insert

from loom.platform.flows.inbox import Inbox
from loom.platform.runtime import Runtime
from loom.platform.services import Services
from loom.platform.site import open_site

PACKAGE = {
    "app.yaml": "kind: app\nname: bench\nlabel: Bench\nversion: 1.0.0\n",
    "entities/leave.yaml": """\
        kind: entity
        name: leave
        label: Leave
        title_field: title
        fields:
          - {name: title, type: string, required: true}
          - {name: days, type: decimal}
        permissions:
          - {role: employee, create: true, read: own, write: own, submit: own}
        """,
    "flows/leave.yaml": """\
        kind: flow
        name: leave_approval
        label: Leave approval
        entity: leave
        nodes:
          - {name: manager, approve: {manager: 1}}
          - name: long
            branch:
              - {when: "days > 3.0", nodes: [{name: director, approve: {manager: 2}}]}
              - {else: []}
        """,
}


def build(url: str, folder: Path) -> tuple[Services, dict[str, int]]:
    runtime = package_runtime(PACKAGE, url, folder)
    services = Services.build(runtime)
    identity = services.identity
    with runtime.engine.begin() as conn:
        team = identity.create_department(conn, "一组")
        boss = identity.create_user(conn, "boss", "boss", department_id=team)
        identity.set_head(conn, team, boss)
        staff = identity.create_user(conn, "staff", "staff", department_id=team)
    return services, {"boss": boss, "staff": staff}


def bench_approvals(
    services: Services, users: dict[str, int], count: int, profile: bool = False
) -> tuple[float, list[dict[str, Any]]]:
    """Approvals per second, one process; with ``profile``, where a tenth as many more spend
    their time."""
    with services.runtime.engine.connect() as conn:
        staff = services.identity.actor(conn, users["staff"])
        boss = services.identity.actor(conn, users["boss"])

    def submitted(n: int) -> list[int]:
        ids = []
        for i in range(n):
            record = services.records.create("bench.leave", {"title": f"请假 {i}", "days": "1"}, staff)
            services.flows.submit("bench.leave", record["id"], staff)
            ids.append(record["id"])
        return ids

    def approve(ids: list[int]) -> None:
        for record_id in ids:
            services.flows.act("bench.leave", record_id, boss, "approve", {})

    ids = submitted(count)
    start = time.perf_counter()
    approve(ids)
    rate = count / (time.perf_counter() - start)
    if not profile:
        return rate, []
    more = submitted(max(count // 10, 1))
    return rate, breakdown(lambda: approve(more))


def bench_over_gunicorn(database: str, folder: Path, workers: int, clients: int, count: int) -> float:
    """Approvals per second over HTTP, ``clients`` threads against gunicorn's ``workers``."""
    site = soak.write_site(folder, database, PACKAGE, "bench")
    env = soak.env_for(site, None)
    soak.loom(site, env, "migrate", "--apply")
    services = Services.build(Runtime.for_site(open_site(site, create=False)))
    identity = services.identity
    with services.runtime.engine.begin() as conn:
        team = identity.create_department(conn, "一组")
        boss = identity.create_user(conn, "boss", "boss", department_id=team)
        identity.set_head(conn, team, boss)
        staff = identity.actor(conn, identity.create_user(conn, "staff", "staff", department_id=team))
        token = identity.create_token(conn, boss, "bench", None).token
    ids = []
    for i in range(count):
        record = services.records.create("bench.leave", {"title": f"请假 {i}", "days": "1"}, staff)
        services.flows.submit("bench.leave", record["id"], staff)
        ids.append(record["id"])
    services.runtime.engine.dispose()
    port = soak.free_port()
    web, _ = soak.start_processes(site, env, port, workers, folder / "logs", runner=False)
    try:
        soak.wait_for(port)
        warm = max(count // 10, workers * 4)
        approve_all(port, token, ids[:warm], clients)
        start = time.perf_counter()
        approve_all(port, token, ids[warm:], clients)
        return (count - warm) / (time.perf_counter() - start)
    finally:
        web.terminate()
        web.wait(timeout=60)


def approve_all(port: int, token: str, ids: list[int], clients: int) -> None:
    """Approve every record of ``ids`` over HTTP from ``clients`` threads; any other answer than
    200 stops the benchmark."""
    todo = iter(ids)
    lock = threading.Lock()
    failures: list[str] = []
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def work() -> None:
        while not failures:
            with lock:
                record = next(todo, None)
            if record is None:
                return
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conn.request("POST", f"/api/v1/bench/leave/{record}/flow/approve", b"{}", headers)
            answer = conn.getresponse()
            body = answer.read()
            conn.close()
            if answer.status != 200:
                failures.append(f"{answer.status} {body[:300]!r}")

    threads = [threading.Thread(target=work) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise SystemExit(f"an approval failed: {failures[0]}")


def fill_open_tasks(services: Services, users: dict[str, int], count: int) -> None:
    """Open tasks written in bulk (the engine's own path is what bench_approvals measures)."""
    runtime = services.runtime
    tables = runtime.schema.metadata.tables
    leave = runtime.schema.of("bench.leave").table
    instances, tasks = tables["loom_flow_instances"], tables["loom_flow_tasks"]
    now = dt.datetime.now(dt.UTC)
    batch = 10_000
    for start in range(0, count, batch):
        size = min(batch, count - start)
        with runtime.engine.begin() as conn:
            first = (
                conn.execute(
                    insert(leave).returning(leave.c.id),
                    [
                        {
                            "title": f"请假 {start + i}",
                            "created_at": now,
                            "updated_at": now,
                            "version": 1,
                            "flow_status": "in_approval",
                            "owner": users["staff"],
                        }
                        for i in range(size)
                    ],
                )
                .scalars()
                .all()
            )
            inst_ids = (
                conn.execute(
                    insert(instances).returning(instances.c.id),
                    [
                        {
                            "flow": "bench.leave_approval",
                            "entity": "bench.leave",
                            "record_id": rid,
                            "initiator_id": users["staff"],
                            "status": "running",
                            "definition": {},
                            "state": {},
                            "started_at": now,
                        }
                        for rid in first
                    ],
                )
                .scalars()
                .all()
            )
            conn.execute(
                insert(tasks),
                [
                    {
                        "instance_id": iid,
                        "node": "manager",
                        "kind": "approve",
                        "stage": 10,
                        "stage_mode": "all",
                        "assignee_id": users["boss"],
                        "status": "pending",
                        "created_at": now,
                    }
                    for iid in inst_ids
                ],
            )
    with runtime.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")


def bench_inbox(services: Services, users: dict[str, int], runs: int) -> tuple[float, float]:
    inbox = Inbox(services.runtime)
    with services.runtime.engine.connect() as conn:
        boss = services.identity.actor(conn, users["boss"])
    pages, counts = [], []
    for _ in range(runs):
        start = time.perf_counter()
        inbox.items(boss, "todo", page_size=50)
        pages.append(time.perf_counter() - start)
        start = time.perf_counter()
        inbox.counts(boss)
        counts.append(time.perf_counter() - start)
    return statistics.median(pages) * 1000, statistics.median(counts) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="SQLAlchemy URL (default: a SQLite file in a temp folder)")
    parser.add_argument("--approvals", type=int, default=1000)
    parser.add_argument("--open-tasks", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--format", choices=["text", "json"], default="text")
    parser.add_argument("--gunicorn", type=int, metavar="W", help="approve over HTTP, W gunicorn workers")
    parser.add_argument("--clients", type=int, default=8, help="HTTP client threads (with --gunicorn)")
    parser.add_argument("--profile", action="store_true", help="where the approvals spend their time")
    args = parser.parse_args()
    if args.gunicorn:
        over_gunicorn(args)
        return
    with tempfile.TemporaryDirectory() as folder, scratch_database(args.database, folder) as url:
        services, users = build(url, Path(folder))
        rate, profile = bench_approvals(services, users, args.approvals, args.profile)
        fill_open_tasks(services, users, args.open_tasks)
        page_ms, count_ms = bench_inbox(services, users, args.runs)
        dialect = services.runtime.engine.dialect.name
        services.runtime.engine.dispose()
    result = {
        "database": dialect,
        "approvals_per_s": round(rate),
        "inbox_page_ms": round(page_ms, 2),
        "inbox_counts_ms": round(count_ms, 2),
        "open_tasks": args.open_tasks,
        **({"approvals_profile": profile} if profile else {}),
    }
    if args.format == "json":
        print(json.dumps(result))
        return
    print(f"workflow benchmark on {dialect}")
    status = "PASS" if rate >= 300 else "UNDER"
    print(f"  {'approve operations per second':40}{rate:>10,.0f}   goal ≥ 300   {status}")
    if profile:
        print(f"  {'':40}Loom's time: {said(profile)}")
    print(f"  {f'inbox first page, {args.open_tasks:,} open tasks':40}{page_ms:>10.2f} ms (median)")
    print(f"  {'inbox counts':40}{count_ms:>10.2f} ms (median)")


def over_gunicorn(args: argparse.Namespace) -> None:
    if args.database is None:
        raise SystemExit("--gunicorn needs --database (a PostgreSQL URL)")
    with tempfile.TemporaryDirectory() as folder, scratch_database(args.database, folder) as url:
        rate = bench_over_gunicorn(url, Path(folder), args.gunicorn, args.clients, args.approvals)
    result = {"database": "postgresql", "gunicorn_workers": args.gunicorn, "clients": args.clients}
    result["approvals_per_s"] = round(rate)
    if args.format == "json":
        print(json.dumps(result))
        return
    status = "PASS" if rate >= 300 else "UNDER"
    label = f"approvals/s over gunicorn ({args.gunicorn} workers, {args.clients} clients)"
    print(f"  {label:55}{rate:>8,.0f}   goal ≥ 300   {status}")


if __name__ == "__main__":
    main()
