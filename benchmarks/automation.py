"""What automations and rollups cost: per record write, and per scheduled rule over many records.

    python benchmarks/automation.py [--database URL] [--writes N] [--rows N] [--format json]

Writes: creating a receivable through the records service, on three packages that differ
only in what follows the write: nothing (the baseline), a typical automation (on create,
update the contract it belongs to and log a follow-up), and a rollup (the contract's
received total). Scheduled rule: the public-pool rule over ``--rows`` customers (a tenth
of them stale), against the hand-written SQL that does the same (one UPDATE and one
INSERT … SELECT).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path

from scratch import package_runtime
from scratch import scratch_database
from sqlalchemy import insert
from sqlalchemy import text

from loom.platform.actor import SYSTEM
from loom.platform.services import Services

ENTITIES = {
    "app.yaml": "kind: app\nname: bench\nlabel: Bench\nversion: 1.0.0\n",
    "entities/customer.yaml": """\
        kind: entity
        name: customer
        label: Customer
        fields:
          - {name: title, type: string, required: true}
          - {name: in_pool, type: boolean, default: false}
          - {name: owner_user, type: integer}
          - {name: last_follow_up_at, type: datetime}
        indexes: [[in_pool, last_follow_up_at]]
        """,
    "entities/owner_log.yaml": """\
        kind: entity
        name: owner_log
        label: Owner change
        fields:
          - {name: customer, type: integer}
          - {name: from_user, type: integer}
          - {name: reason, type: string}
        """,
    "entities/contract.yaml": """\
        kind: entity
        name: contract
        label: Contract
        fields:
          - {name: title, type: string, required: true}
          - {name: amount, type: money}
          - {name: last_paid_at, type: datetime}
          - {name: payments, type: integer, default: 0}
        """,
    "entities/receivable.yaml": """\
        kind: entity
        name: receivable
        label: Receivable
        fields:
          - {name: contract, type: link, entity: contract}
          - {name: amount, type: money, required: true}
        """,
}
AUTOMATION = {
    "automations/paid.yaml": """\
        kind: automation
        name: paid
        label: A receivable updates its contract
        on: {created: receivable}
        run_as: system
        do:
          - update:
              entity: contract
              where: "id == record.contract"
              set: {last_paid_at: now, payments: "payments + 1"}
        """,
}
ROLLUP = {
    "entities/contract.yaml": ENTITIES["entities/contract.yaml"].rstrip(" ")
    + """\
          - name: received
            type: rollup
            rollup: {of: receivable, via: contract, aggregate: sum, field: amount}
        """,
}
POOL = {
    "automations/pool.yaml": """\
        kind: automation
        name: pool
        label: Back to the pool
        on:
          schedule:
            cron: "0 2 * * *"
            entity: customer
            where: "!in_pool && last_follow_up_at < now - duration('720h')"
            batch_size: 1000
        run_as: system
        do:
          - create:
              entity: owner_log
              values: {customer: record.id, from_user: record.owner_user, reason: '"30d"'}
          - set: {in_pool: "true", owner_user: "null"}
        """,
}


def services_for(files: dict[str, str], url: str, folder: Path) -> Services:
    """Services over the entities plus ``files``, each package in a folder of its own."""
    own = folder / f"package{len(list(folder.glob('package*')))}"
    return Services.build(package_runtime({**ENTITIES, **files}, url, own))


def bench_writes(services: Services, writes: int) -> float:
    """Seconds per receivable created (each in its own transaction), spread over 20 contracts."""
    contracts = [
        services.records.create("bench.contract", {"title": f"C{i}", "amount": "100000"}, SYSTEM)["id"]
        for i in range(20)
    ]
    started = time.perf_counter()
    for i in range(writes):
        values = {"contract": contracts[i % 20], "amount": "100.00"}
        services.records.create("bench.receivable", values, SYSTEM)
    return (time.perf_counter() - started) / writes


def fill_customers(services: Services, rows: int, now: dt.datetime) -> None:
    table = services.runtime.schema.of("bench.customer").table
    with services.runtime.engine.begin() as conn:
        for start in range(0, rows, 10_000):
            stamps = {"created_at": now, "updated_at": now, "version": 1, "in_pool": False, "owner_user": 1}
            stale, fresh = now - dt.timedelta(days=40), now - dt.timedelta(days=5)
            batch = [
                {"title": f"customer {i}", "last_follow_up_at": stale if i % 10 == 0 else fresh, **stamps}
                for i in range(start, min(start + 10_000, rows))
            ]
            conn.execute(insert(table), batch)


def bench_schedule(services: Services, rows: int) -> tuple[float, int]:
    now = dt.datetime.now(dt.UTC)
    fill_customers(services, rows, now)
    started = time.perf_counter()
    result = services.automations.run_schedule("bench.pool", now=now)
    return time.perf_counter() - started, result.changed


def bench_schedule_sql(services: Services, rows: int) -> float:
    """The same rule as two hand-written statements: the lower bound of any implementation."""
    now = dt.datetime.now(dt.UTC)
    fill_customers(services, rows, now)
    cutoff = now - dt.timedelta(days=30)
    started = time.perf_counter()
    with services.runtime.engine.begin() as conn:
        stale = "NOT in_pool AND last_follow_up_at < :cutoff"
        conn.execute(
            text(
                "INSERT INTO bench_owner_log (customer, from_user, reason, created_at, updated_at, version) "
                f"SELECT id, owner_user, '30d', :now, :now, 1 FROM bench_customer WHERE {stale}"
            ),
            {"cutoff": cutoff, "now": now},
        )
        conn.execute(
            text(f"UPDATE bench_customer SET in_pool = true, owner_user = NULL WHERE {stale}"),
            {"cutoff": cutoff},
        )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="SQLAlchemy URL (default: a SQLite file in a temp folder)")
    parser.add_argument("--writes", type=int, default=500)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--format", choices=["text", "json"], default="text")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, scratch_database(args.database, folder) as url:
        root = Path(folder)
        plain = bench_writes(services_for({}, url, root), args.writes)
        automated = bench_writes(services_for(AUTOMATION, url, root), args.writes)
        rolled = bench_writes(services_for(ROLLUP, url, root), args.writes)
        print("  scheduled rule over the customers …", file=sys.stderr)
        scheduled, changed = bench_schedule(services_for(POOL, url, root), args.rows)
        baseline = bench_schedule_sql(services_for(POOL, url, root), args.rows)
    result = {
        "database": url.split(":", 1)[0],
        "write_ms": round(plain * 1000, 3),
        "write_with_automation_ms": round(automated * 1000, 3),
        "automation_ratio": round(automated / plain, 2),
        "write_with_rollup_ms": round(rolled * 1000, 3),
        "rollup_ratio": round(rolled / plain, 2),
        "schedule_rows": args.rows,
        "schedule_changed": changed,
        "schedule_seconds": round(scheduled, 2),
        "schedule_rows_per_second": round(args.rows / scheduled),
        "schedule_sql_seconds": round(baseline, 3),
        "schedule_ratio": round(scheduled / baseline, 1),
    }
    if args.format == "json":
        print(json.dumps(result))
        return
    r = result
    print(f"automation benchmark on {r['database']}")
    print(f"  {'':42}{'ms/write':>10}{'ratio':>8}")
    print(f"  {'receivable create, nothing after it':42}{r['write_ms']:>10}{'1.0':>8}")
    print(f"  {'… with an automation':42}{r['write_with_automation_ms']:>10}{r['automation_ratio']:>8}")
    print(f"  {'… with a rollup on its contract':42}{r['write_with_rollup_ms']:>10}{r['rollup_ratio']:>8}")
    print(f"  scheduled rule over {args.rows:,} customers ({changed:,} changed):")
    print(f"    {r['schedule_seconds']} s, {r['schedule_rows_per_second']:,} rows/s")
    print(f"    hand-written SQL: {r['schedule_sql_seconds']} s (loom x{r['schedule_ratio']})")


if __name__ == "__main__":
    main()
