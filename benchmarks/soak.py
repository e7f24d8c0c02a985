"""Soak test: a site served the production way under steady mixed traffic for a while.

    python benchmarks/soak.py --database URL [--duration 600] [--workers 4] [--clients 8]
                              [--rate 40] [--redis redis://127.0.0.1:6379/7] [--format json]

On a scratch schema of the PostgreSQL database it migrates a site whose app has an expense
claim with lines, a one-step manager approval, a report and a job that archives approved
claims every minute; then it starts gunicorn (``--workers`` sync workers, as docs/deploy.md §4
does) and ``loom worker`` on RQ/Redis (the runner ticking twice a second), and a bounded load
generator on loopback: ``--clients`` threads, together at most ``--rate`` steps a second (a
create and its submit are one step), each request on a new connection, mixing lists, creates
with two lines (then their submit), approvals by the department head, reports and the head's inbox.

It prints per operation the count, p50 and p99 in milliseconds and the errors (any answer but
the expected one, or a broken connection: there must be none), the resident memory of each
gunicorn worker and of the runner after the warm-up and at the end, and whether the runner kept
up: every job period of the run claimed and finished, the largest delay from a period's tick to
its claim, and the approved claims left unarchived more than two minutes before the end.
Exit status 1 when a request failed, a worker restarted, a process logged a traceback or the
runner fell behind. ``--smoke`` is a short run (tests/platform/test_soak.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections import defaultdict
from collections import deque
from pathlib import Path
from typing import Any

from scratch import scratch_database

PASSWORD = "soak-Pass-2026"
PACKAGE = {
    "app.yaml": "kind: app\nname: soak\nlabel: Soak\nversion: 1.0.0\n",
    "entities/category.yaml": """\
        kind: entity
        name: category
        label: Category
        title_field: title
        fields:
          - {name: title, type: string, required: true}
        permissions:
          - {role: employee, read: all}
        """,
    "entities/line.yaml": """\
        kind: entity
        name: line
        label: Line
        child: true
        fields:
          - {name: category, type: link, entity: category, required: true}
          - {name: amount, type: money, required: true}
          - {name: note, type: string}
        rules:
          - {check: "amount > 0.0", field: amount, message: Positive}
        """,
    "entities/claim.yaml": """\
        kind: entity
        name: claim
        label: Claim
        title_field: title
        fields:
          - {name: number, type: autonumber, pattern: "EX-{#####}"}
          - {name: title, type: string, required: true, max_length: 120}
          - {name: lines, type: table, entity: line, min_rows: 1}
          - {name: total, type: computed, result: money, compute: "sum(lines.map(l, l.amount))"}
          - {name: archived, type: boolean, default: false}
        rules:
          - {check: "total > 0.0", field: total, message: Positive}
        list: {columns: [number, title, total], sort: -id}
        permissions:
          - {role: employee, create: true, read: own, write: own, submit: own}
          - {role: soak_head, read: all}
        """,
    "flows/claim.yaml": """\
        kind: flow
        name: claim_approval
        label: Claim approval
        entity: claim
        nodes:
          - {name: manager, approve: {manager: 1}}
        """,
    "reports/claims.yaml": """\
        kind: report
        name: claims
        label: Claims by status
        entity: claim
        dimensions:
          - {field: flow_status}
        measures:
          - {name: claims, label: Claims, aggregate: count}
          - {name: total, label: Total, aggregate: sum, field: total}
        roles: [employee]
        """,
    "automations/archive.yaml": """\
        kind: automation
        name: archive
        label: Archive approved claims
        on:
          schedule: {cron: "* * * * *", entity: claim, where: '!archived && flow_status == "approved"'}
        run_as: system
        do:
          - set: {archived: "true"}
        """,
    "roles/head.yaml": "kind: role\nname: soak_head\nlabel: Head\n",
}
# Operation weights of the mix; a create is followed by its submit, an approval needs a submitted
# claim (without one the approver lists their inbox instead).
MIX = {"list": 35, "create": 25, "approve": 25, "report": 10, "inbox": 5}
STAFF = 6
HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent


def write_site(folder: Path, database: str, package: dict[str, str] = PACKAGE, app: str = "soak") -> Path:
    """A site folder with ``package`` as its one app ``app``."""
    site = folder / "site"
    for relative, body in package.items():
        path = site / "apps" / app / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(body), encoding="utf-8")
    (site / "site.yaml").write_text(
        f"database: '{database}'\napps: [{app}]\nsecret_key: soak-secret\nlocale: zh_CN\n", encoding="utf-8"
    )
    return site


def env_for(site: Path, redis: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("LOOM_REDIS_URL", "LOOM_DATABASE_URL")}
    env.update({"LOOM_SITE": str(site), "PYTHONPATH": str(PROJECT)})
    if redis:
        env["LOOM_REDIS_URL"] = redis
    return env


def loom(site: Path, env: dict[str, str], *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "loom.platform", *args, "--site", str(site)],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"loom {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")


def seed(site: Path, claims: int) -> dict[str, Any]:
    """Users (a head and their staff, each with a bearer token), categories and some claims,
    written through the services in this process."""
    from loom.platform.actor import SYSTEM
    from loom.platform.runtime import Runtime
    from loom.platform.services import Services
    from loom.platform.site import open_site

    services = Services.build(Runtime.for_site(open_site(site, create=False)))
    identity, records = services.identity, services.records
    with services.runtime.engine.begin() as conn:
        team = identity.create_department(conn, "报销组")
        head = identity.create_user(conn, "head", "部门经理", password=PASSWORD, department_id=team,
                                    roles=["soak_head"])  # fmt: skip
        identity.set_head(conn, team, head)
        staff = [
            identity.create_user(conn, f"staff{i}", f"员工{i}", password=PASSWORD, department_id=team)
            for i in range(STAFF)
        ]
        tokens = {
            "head": identity.create_token(conn, head, "soak", None).token,
            "staff": [identity.create_token(conn, s, "soak", None).token for s in staff],
        }
    categories = [
        records.create("soak.category", {"title": t}, SYSTEM)["id"] for t in ("差旅", "餐饮", "办公")
    ]
    with services.runtime.engine.connect() as conn:
        actors = [identity.actor(conn, s) for s in staff]
    for i in range(claims):
        records.create("soak.claim", claim_body(i, categories), actors[i % STAFF])
    services.runtime.engine.dispose()
    return {"tokens": tokens, "categories": categories}


def claim_body(i: int, categories: list[int]) -> dict[str, Any]:
    return {
        "title": f"报销单 {i}",
        "lines": [
            {"category": categories[i % len(categories)], "amount": f"{10 + i % 90}.50", "note": "出租车"},
            {"category": categories[(i + 1) % len(categories)], "amount": "32.00"},
        ],
    }


def start_processes(
    site: Path, env: dict[str, str], port: int, workers: int, logs: Path, runner: bool = True
):
    """gunicorn with ``workers`` sync workers on the site, with Loom's settings (docs/deploy.md
    §4: workers forked from a master that built the app), and (unless told not to) ``loom worker``."""
    gunicorn = Path(sys.prefix, "bin", "gunicorn")
    logs.mkdir(parents=True, exist_ok=True)
    with (logs / "gunicorn.err").open("w") as web_log, (logs / "runner.err").open("w") as job_log:
        web = subprocess.Popen(
            [
                str(gunicorn), "-c", "python:loom.platform.gunicorn_conf", "-w", str(workers),
                "-b", f"127.0.0.1:{port}", "loom.platform.wsgi:app",
            ],
            env=env, stdout=subprocess.DEVNULL, stderr=web_log,
        )  # fmt: skip
        if not runner:
            return web, None
        jobs = subprocess.Popen(
            [sys.executable, "-m", "loom.platform", "worker", "--interval", "0.5", "--site", str(site)],
            env=env, stdout=subprocess.DEVNULL, stderr=job_log,
        )  # fmt: skip
    return web, jobs


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(master: int) -> list[int]:
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        if re.search(rf"^PPid:\s+{master}$", text, re.M) and not re.search(r"^State:\s+Z", text, re.M):
            found.append(int(status.parent.name))
    return sorted(found)


def rss_mb(pid: int) -> float | None:
    try:
        match = re.search(r"^VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text(), re.M)
    except OSError:
        return None
    return int(match.group(1)) / 1024 if match else None


class Load:
    """The load generator: threads issuing the mix, each request on a new loopback connection."""

    def __init__(self, port: int, seeded: dict[str, Any], clients: int, rate: float) -> None:
        self.port = port
        self.tokens = seeded["tokens"]
        self.categories = seeded["categories"]
        self.clients = clients
        self.interval = clients / rate  # per thread, so that all together make at most `rate`
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.samples: list[str] = []
        self.submitted: deque[int] = deque()
        self.lock = threading.Lock()
        self.counter = 0

    def request(
        self, op: str, method: str, path: str, token: str, body: Any = None, expect: int = 200
    ) -> Any:
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            conn.request(method, "/api/v1" + path, data, headers)
            answer = conn.getresponse()
            status, text = answer.status, answer.read()
            conn.close()
        except OSError as exc:
            status, text = 0, str(exc).encode()
        elapsed = time.perf_counter() - started
        with self.lock:
            self.times[op].append(elapsed)
            if status != expect:
                self.errors[op] += 1
                if len(self.samples) < 10:
                    self.samples.append(f"{op} {method} {path}: {status} {text[:300]!r}")
        return json.loads(text) if status == expect and text else None

    def one(self, rng: random.Random, thread: int) -> None:
        op = rng.choices(list(MIX), weights=list(MIX.values()))[0]
        staff = self.tokens["staff"][thread % len(self.tokens["staff"])]
        head = self.tokens["head"]
        if op == "approve":
            with self.lock:
                record = self.submitted.popleft() if self.submitted else None
            if record is None:
                op = "inbox"
            else:
                self.request(
                    "approve", "POST", f"/soak/claim/{record}/flow/approve", head, {"comment": "同意"}
                )
                return
        if op == "list":
            self.request("list", "GET", "/soak/claim?page_size=50", staff)
        elif op == "report":
            self.request("report", "GET", "/reports/soak/claims", staff)
        elif op == "inbox":
            self.request("inbox", "GET", "/tasks?box=todo", head)
        else:
            with self.lock:
                self.counter += 1
                i = self.counter
            created = self.request(
                "create", "POST", "/soak/claim", staff, claim_body(i, self.categories), 201
            )
            if created is not None:
                summary = self.request(
                    "submit", "POST", f"/soak/claim/{created['id']}/flow/submit", staff, {}
                )
                if summary is not None:
                    with self.lock:
                        self.submitted.append(created["id"])

    def run(self, seconds: float) -> float:
        """Issue the mix for ``seconds``; returns the wall time it took."""
        stop_at = time.monotonic() + seconds

        def loop(thread: int) -> None:
            rng = random.Random(thread)
            next_at = time.monotonic() + rng.random() * self.interval
            while True:
                now = time.monotonic()
                if now >= stop_at:
                    return
                if next_at > now:
                    time.sleep(next_at - now)
                next_at += self.interval
                self.one(rng, thread)

        started = time.monotonic()
        threads = [threading.Thread(target=loop, args=(i,)) for i in range(self.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return time.monotonic() - started


def wait_for(port: int, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/openapi.json")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not answer")


def jobs_report(site: Path, started: dt.datetime, ended: dt.datetime) -> dict[str, Any]:
    """Did the runner keep up: the runs of the soak's periods, their delay, the backlog left."""
    from sqlalchemy import func
    from sqlalchemy import select

    from loom.platform.runtime import Runtime
    from loom.platform.site import open_site

    runtime = Runtime.for_site(open_site(site, create=False))
    runs = runtime.schema.metadata.tables["loom_job_runs"]
    claim = runtime.schema.of("soak.claim").table
    with runtime.engine.connect() as conn:
        rows = conn.execute(
            select(runs.c.job, runs.c.period, runs.c.started_at, runs.c.status).where(
                runs.c.started_at >= started.replace(second=0, microsecond=0)
            )
        ).all()
        backlog = conn.execute(
            select(func.count()).where(
                claim.c.flow_status == "approved",
                claim.c.archived.is_not(True),
                claim.c.updated_at < ended - dt.timedelta(minutes=2),
            )
        ).scalar_one()
        approved = conn.execute(select(func.count()).where(claim.c.flow_status == "approved")).scalar_one()
        archived = conn.execute(select(func.count()).where(claim.c.archived.is_(True))).scalar_one()
    runtime.engine.dispose()
    minutes = int((ended - started.replace(second=0, microsecond=0)).total_seconds() // 60) + 1
    by_status: dict[str, int] = defaultdict(int)
    for row in rows:
        by_status[row.status] += 1
    delays = [(r.started_at - dt.datetime.fromisoformat(r.period)).total_seconds() for r in rows]
    jobs = sorted({r.job for r in rows})
    return {
        "jobs": jobs,
        "periods": minutes,
        "runs": dict(by_status),
        "max_delay_s": round(max(delays), 2) if delays else None,
        "p50_delay_s": round(statistics.median(delays), 2) if delays else None,
        "approved": approved,
        "archived": archived,
        "backlog": backlog,
        "kept_up": bool(rows)
        and set(by_status) <= {"done"}
        and len(rows) >= len(jobs) * (minutes - 1)
        and backlog == 0,
    }


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True, help="a PostgreSQL URL (a scratch schema is made in it)")
    parser.add_argument("--duration", type=float, default=600, help="seconds of load")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument(
        "--rate", type=float, default=40, help="steps a second at most (a create and its submit: one)"
    )
    parser.add_argument("--seed-claims", type=int, default=2000)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/7")
    parser.add_argument("--smoke", action="store_true", help="a short run: ≤ 10 s, 2 workers, 20 claims")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    args = parser.parse_args()
    if args.smoke:
        args.duration, args.workers, args.seed_claims = min(args.duration, 10), 2, 20
    with tempfile.TemporaryDirectory() as folder, scratch_database(args.database, folder) as database:
        site = write_site(Path(folder), database)
        env = env_for(site, args.redis)
        loom(site, env, "migrate", "--apply")
        seeded = seed(site, args.seed_claims)
        port = free_port()
        web, runner = start_processes(site, env, port, args.workers, Path(folder) / "logs")
        try:
            result = soak(args, site, port, seeded, web, runner)
        finally:
            for process in (web, runner):
                process.terminate()
            for process in (web, runner):
                process.wait(timeout=60)
        logs = {p.name: p.read_text() for p in (Path(folder) / "logs").glob("*.err")}
        result["tracebacks"] = sum(text.count("Traceback") for text in logs.values())
        result["traceback_samples"] = [
            f"{name}: {text[text.index('Traceback') :][:1500]}"
            for name, text in logs.items()
            if "Traceback" in text
        ]
    report(result, args.format)
    failed = (
        result["errors_total"] or result["restarted"] or result["tracebacks"] or not result["jobs"]["kept_up"]
    )
    sys.exit(1 if failed else 0)


def soak(
    args: argparse.Namespace, site: Path, port: int, seeded: dict[str, Any], web, runner
) -> dict[str, Any]:
    boot = time.monotonic()
    wait_for(port)
    load = Load(port, seeded, args.clients, args.rate)
    warm = min(30.0, args.duration / 10)
    started = dt.datetime.now(dt.UTC)
    load.run(warm)  # every worker has imported what requests need and filled its caches
    workers = children(web.pid)
    before = {pid: rss_mb(pid) for pid in [*workers, runner.pid]}
    took = load.run(args.duration - warm)
    after = {pid: rss_mb(pid) for pid in [*workers, runner.pid]}
    ended = dt.datetime.now(dt.UTC)
    deadline = time.monotonic() + 90
    while True:  # a run the runner claimed at the very end may still be on the queue
        time.sleep(2)
        jobs = jobs_report(site, started, ended)
        if "running" not in jobs["runs"] or time.monotonic() > deadline:
            break
    operations = {
        op: {
            "count": len(times),
            "p50_ms": round(statistics.median(times) * 1000, 1),
            "p99_ms": round(percentile(times, 0.99) * 1000, 1),
            "errors": load.errors.get(op, 0),
        }
        for op, times in sorted(load.times.items())
    }
    requests = sum(len(t) for t in load.times.values())
    return {
        "duration_s": round(args.duration),
        "workers": args.workers,
        "clients": args.clients,
        "rate_cap": args.rate,
        "requests_per_s": round(requests / (warm + took), 1),
        "first_answer_s": round(time.monotonic() - boot - warm - took, 1),
        "operations": operations,
        "errors_total": sum(load.errors.values()),
        "error_samples": load.samples,
        "rss_mb": {
            str(pid): {"start": round(before[pid] or 0, 1), "end": round(after.get(pid) or 0, 1)}
            for pid in before
        },
        "runner_pid": runner.pid,
        "restarted": sorted(children(web.pid)) != sorted(workers),
        "jobs": jobs,
        "started": started.isoformat(timespec="seconds"),
        "ended": ended.isoformat(timespec="seconds"),
    }


def report(result: dict[str, Any], fmt: str) -> None:
    if fmt == "json":
        print(json.dumps(result))
        return
    print(f"soak {result['started']} → {result['ended']}: {result['workers']} gunicorn workers, "
          f"{result['clients']} clients, ≤ {result['rate_cap']:g} steps/s, "
          f"achieved {result['requests_per_s']} req/s")  # fmt: skip
    print(f"  {'operation':10}{'count':>8}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}")
    for op, row in result["operations"].items():
        print(f"  {op:10}{row['count']:>8}{row['p50_ms']:>10}{row['p99_ms']:>10}{row['errors']:>8}")
    for sample in result["error_samples"]:
        print(f"  ! {sample}")
    print("  resident memory (MB), after warm-up → end:")
    for pid, row in result["rss_mb"].items():
        name = "runner" if int(pid) == result["runner_pid"] else "worker"
        print(f"    {name} {pid}: {row['start']} → {row['end']} ({row['end'] - row['start']:+.1f})")
    jobs = result["jobs"]
    print(f"  job runner: {jobs['runs']} over {jobs['periods']} periods of {len(jobs['jobs'])} jobs; "
          f"delay p50 {jobs['p50_delay_s']} s, max {jobs['max_delay_s']} s; approved {jobs['approved']}, "
          f"archived {jobs['archived']}, backlog {jobs['backlog']} → kept up: {jobs['kept_up']}")  # fmt: skip
    print(f"  worker restarts: {result['restarted']}, tracebacks in logs: {result['tracebacks']}")


if __name__ == "__main__":
    main()
