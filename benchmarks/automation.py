"""What automations and rollups cost: per record write, and per scheduled rule over many records.

    python benchmarks/automation.py [--database URL] [--writes N] [--rows N] [--format json]

Writes: creating a receivable through the records service, for three entities of one
package that differ only in what follows the write: nothing (the baseline), a typical
automation (on create, update the contract it belongs to), and a rollup (the contract's
received total). The three take turns, round after round; each ratio is the median of
the per-round ratios, with the smallest and largest; beside the automation's, the same two
writes by hand (a receivable, then its contract read, updated and audited), against the
receivable alone: what the automation's work costs, whoever writes it. Scheduled rule: the public-pool rule
over ``--rows`` customers (a tenth of them stale), against the hand-written SQL that does
the same (one UPDATE and one INSERT … SELECT); then the same rule without its log entry, a
plain ``set`` that runs set-based, against the one UPDATE.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

from profiles import breakdown
from profiles import said
from scratch import package_runtime
from scratch import scratch_database
from sqlalchemy import event
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy import update

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
WRITES = {
    "entities/receivable_auto.yaml": """\
        kind: entity
        name: receivable_auto
        label: Receivable with an automation
        fields:
          - {name: contract, type: link, entity: contract}
          - {name: amount, type: money, required: true}
        """,
    "automations/paid.yaml": """\
        kind: automation
        name: paid
        label: A receivable updates its contract
        on: {created: receivable_auto}
        run_as: system
        do:
          - update:
              entity: contract
              where: "id == record.contract"
              set: {last_paid_at: now, payments: "payments + 1"}
        """,
    "entities/contract_rolled.yaml": ENTITIES["entities/contract.yaml"]
    .replace("name: contract\n", "name: contract_rolled\n")
    .rstrip(" ")
    + """\
          - name: received
            type: rollup
            rollup: {of: receivable_rolled, via: contract, aggregate: sum, field: amount}
        """,
    "entities/receivable_rolled.yaml": """\
        kind: entity
        name: receivable_rolled
        label: Receivable with a rollup
        fields:
          - {name: contract, type: link, entity: contract_rolled}
          - {name: amount, type: money, required: true}
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


# The same rule without the log entry: a plain ``set``, which runs set-based (one UPDATE a batch).
POOL_SET = {
    "automations/pool_set.yaml": POOL["automations/pool.yaml"]
    .replace("name: pool\n", "name: pool_set\n")
    .split("        do:\n")[0]
    + """\
        do:
          - set: {in_pool: "true", owner_user: "null"}
        """,
}


def services_for(files: dict[str, str], url: str, folder: Path) -> Services:
    """Services over the entities plus ``files``, each package in a folder of its own."""
    own = folder / f"package{len(list(folder.glob('package*')))}"
    return Services.build(package_runtime({**ENTITIES, **files}, url, own))


def bench_writes(
    services: Services, writes: int, rounds: int, profile: bool = False
) -> dict[str, dict[str, Any]]:
    """Ms per receivable created (each in its own transaction) of each kind, in turns; with
    ``profile``, where the writes that fire the automation spend their time."""
    kinds = {"plain": "contract", "automation": "contract", "rollup": "contract_rolled"}
    entities = {"plain": "receivable", "automation": "receivable_auto", "rollup": "receivable_rolled"}
    contracts = {
        kind: [
            services.records.create(f"bench.{target}", {"title": f"C{i}", "amount": "100000"}, SYSTEM)["id"]
            for i in range(20)
        ]
        for kind, target in kinds.items()
    }
    per_round = max(writes // rounds, 1)

    def write(kind: str) -> None:
        for i in range(per_round):
            values = {"contract": contracts[kind][i % 20], "amount": "100.00"}
            services.records.create(f"bench.{entities[kind]}", values, SYSTEM)

    times: dict[str, list[float]] = {kind: [] for kind in kinds}
    for r in range(rounds + 1):  # the first round warms up
        order = list(kinds) if r % 2 == 0 else list(kinds)[::-1]
        for kind in order:
            started = time.perf_counter()
            write(kind)
            if r:
                times[kind].append((time.perf_counter() - started) / per_round)
    result = {}
    for kind in kinds:
        ratios = [a / b for a, b in zip(times[kind], times["plain"], strict=True)]
        values = {"contract": contracts[kind][0], "amount": "100.00"}
        with counting(services) as statements:
            services.records.create(f"bench.{entities[kind]}", values, SYSTEM)
        result[kind] = {
            "ms": round(statistics.median(times[kind]) * 1000, 3),
            "ratio": round(statistics.median(ratios), 2),
            "spread": [round(min(ratios), 2), round(max(ratios), 2)],
            "statements": len(statements),
        }
    if profile:
        result["automation"]["profile"] = breakdown(lambda: write("automation"))
    return result


def bench_by_hand(services: Services, writes: int, rounds: int) -> dict[str, Any]:
    """The same two writes by hand, in turns: a receivable created (its contract checked to
    exist, its audit entry), and the same with the automation's work (the contract read,
    updated with its version and audited). Their ratio is what the automation's own work
    costs, whoever writes it: the floor under the service's ratio."""
    runtime = services.runtime
    receivables, contracts = (
        runtime.schema.of("bench.receivable").table,
        runtime.schema.of("bench.contract").table,
    )
    audit = runtime.schema.metadata.tables["loom_audit"]
    contract = services.records.create("bench.contract", {"title": "C", "amount": "100000"}, SYSTEM)["id"]
    per_round = max(writes // rounds, 1)

    def entry(conn: Any, entity: str, record: int, action: str, changes: dict[str, Any]) -> None:
        at = dt.datetime.now(dt.UTC)
        values = {"at": at, "user_id": None, "entity": entity, "record_id": record, "action": action}
        conn.execute(insert(audit).values(**values, changes=changes))

    def create(conn: Any) -> None:
        if conn.execute(select(contracts.c.id).where(contracts.c.id.in_([contract]))).first() is None:
            raise ValueError("no such contract")
        now = dt.datetime.now(dt.UTC)
        values = {"contract": contract, "amount": Decimal("100.00"), "created_at": now, "updated_at": now}
        record = conn.execute(
            insert(receivables).returning(receivables.c.id), {**values, "version": 1}
        ).scalar_one()
        entry(
            conn,
            "bench.receivable",
            record,
            "create",
            {"contract": [None, contract], "amount": [None, "100.00"]},
        )

    def follow(conn: Any) -> None:
        row = conn.execute(select(contracts).where(contracts.c.id == contract)).mappings().one()
        now = dt.datetime.now(dt.UTC)
        changed = {"last_paid_at": now, "payments": (row["payments"] or 0) + 1}
        conn.execute(
            update(contracts)
            .where(contracts.c.id == contract, contracts.c.version == row["version"])
            .values(**changed, version=row["version"] + 1, updated_at=now)
        )
        old = {"last_paid_at": str(row["last_paid_at"]), "payments": row["payments"]}
        entry(conn, "bench.contract", contract, "update", {k: [old[k], str(v)] for k, v in changed.items()})

    def plain() -> None:
        for _ in range(per_round):
            with runtime.engine.begin() as conn:
                create(conn)

    def automated() -> None:
        for _ in range(per_round):
            with runtime.engine.begin() as conn:
                create(conn)
                follow(conn)

    times: dict[str, list[float]] = {"plain": [], "automation": []}
    sides = {"plain": plain, "automation": automated}
    for r in range(rounds + 1):  # the first round warms up
        for kind in list(sides) if r % 2 == 0 else list(sides)[::-1]:
            started = time.perf_counter()
            sides[kind]()
            if r:
                times[kind].append(time.perf_counter() - started)
    ratios = [a / b for a, b in zip(times["automation"], times["plain"], strict=True)]
    return {
        "ratio": round(statistics.median(ratios), 2),
        "spread": [round(min(ratios), 2), round(max(ratios), 2)],
    }


@contextmanager
def counting(services: Services) -> Iterator[list[str]]:
    """The SQL statements run inside: a figure that, unlike time, a busy machine does not blur."""
    statements: list[str] = []

    def keep(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    engine = services.runtime.engine
    event.listen(engine, "before_cursor_execute", keep)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", keep)


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


def bench_schedule(services: Services, rows: int, rule: str = "bench.pool") -> tuple[float, int]:
    now = dt.datetime.now(dt.UTC)
    fill_customers(services, rows, now)
    started = time.perf_counter()
    result = services.automations.run_schedule(rule, now=now)
    return time.perf_counter() - started, result.changed


def bench_schedule_sql(services: Services, rows: int, log: bool = True) -> float:
    """The same rule as two hand-written statements (one without ``log``): the lower bound of
    any implementation."""
    now = dt.datetime.now(dt.UTC)
    fill_customers(services, rows, now)
    cutoff = now - dt.timedelta(days=30)
    started = time.perf_counter()
    with services.runtime.engine.begin() as conn:
        stale = "NOT in_pool AND last_follow_up_at < :cutoff"
        if log:
            conn.execute(
                text(
                    "INSERT INTO bench_owner_log"
                    " (customer, from_user, reason, created_at, updated_at, version) "
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
    parser.add_argument("--rows", type=int, default=100_000, help="customers for the rule (0: skip it)")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--format", choices=["text", "json"], default="text")
    parser.add_argument("--profile", action="store_true", help="where the automated writes spend their time")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, scratch_database(args.database, folder) as url:
        root = Path(folder)
        writes = bench_writes(services_for(WRITES, url, root), args.writes, args.rounds, args.profile)
        writes["automation"]["by_hand"] = bench_by_hand(
            services_for(WRITES, url, root), args.writes, args.rounds
        )
        scheduled = baseline = plain = plain_sql = 0.0
        changed = 0
        if args.rows:
            print("  scheduled rule over the customers …", file=sys.stderr)
            scheduled, changed = bench_schedule(services_for({**WRITES, **POOL}, url, root), args.rows)
            baseline = bench_schedule_sql(services_for({**WRITES, **POOL}, url, root), args.rows)
            rule = {**WRITES, **POOL_SET}
            plain, _ = bench_schedule(services_for(rule, url, root), args.rows, "bench.pool_set")
            plain_sql = bench_schedule_sql(services_for(rule, url, root), args.rows, log=False)
    result = {
        "database": url.split(":", 1)[0],
        "writes": writes,
        "schedule_rows": args.rows,
        "schedule_changed": changed,
        "schedule_seconds": round(scheduled, 2),
        "schedule_rows_per_second": round(args.rows / scheduled) if scheduled else None,
        "schedule_sql_seconds": round(baseline, 3),
        "schedule_ratio": round(scheduled / baseline, 1) if baseline else None,
        "set_schedule_seconds": round(plain, 2),
        "set_schedule_sql_seconds": round(plain_sql, 3),
        "set_schedule_ratio": round(plain / plain_sql, 1) if plain_sql else None,
    }
    if args.format == "json":
        print(json.dumps(result))
        return
    r = result
    print(f"automation benchmark on {r['database']}")
    print(f"  {'':42}{'ms/write':>10}{'ratio':>8}{'min-max':>12}{'statements':>12}")
    names = {
        "plain": "receivable create, nothing after it",
        "automation": "… with an automation",
        "rollup": "… with a rollup on its contract",
    }
    for kind, name in names.items():
        w = r["writes"][kind]
        spread = f"{w['spread'][0]}-{w['spread'][1]}"
        print(f"  {name:42}{w['ms']:>10}{w['ratio']:>8}{spread:>12}{w['statements']:>12}")
        if "by_hand" in w:
            hand = w["by_hand"]
            spread = f"{hand['spread'][0]}-{hand['spread'][1]}"
            print(f"  {'  the same two writes by hand':42}{'':>10}{hand['ratio']:>8}{spread:>12}")
        if "profile" in w:
            print(f"  {'':42}Loom's time: {said(w['profile'])}")
    if args.rows:
        print(f"  scheduled rule over {args.rows:,} customers ({changed:,} changed):")
        print(f"    {r['schedule_seconds']} s, {r['schedule_rows_per_second']:,} rows/s")
        print(f"    hand-written SQL: {r['schedule_sql_seconds']} s (loom x{r['schedule_ratio']})")
        print("  the same rule without the log entry (a plain set, run set-based):")
        print(f"    {r['set_schedule_seconds']} s; hand-written UPDATE: {r['set_schedule_sql_seconds']} s")
        print(f"    (loom x{r['set_schedule_ratio']})")


if __name__ == "__main__":
    main()
