"""Records service vs hand-written SQLAlchemy: create throughput and list latency.

    python benchmarks/records.py [--database URL] [--creates N] [--rows N] [--format json]

Both sides do the same work per record: one transaction that writes one row (the
baseline a plain INSERT, the service its validation, defaults, numbering and audit
entry too). Listing filters on an indexed field, sorts and takes a page of 50 from a
table of ``--rows`` records, through the service and as the equivalent raw SQL.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from scratch import package_runtime
from scratch import scratch_database
from sqlalchemy import Engine
from sqlalchemy import create_engine
from sqlalchemy import insert
from sqlalchemy import text

from loom.platform.actor import Actor
from loom.platform.database import normalize_url
from loom.platform.records.query import Condition
from loom.platform.records.query import ListQuery
from loom.platform.records.service import RecordService
from loom.platform.runtime import Runtime

PACKAGE = {
    "app.yaml": "kind: app\nname: bench\nlabel: Bench\nversion: 1.0.0\n",
    "entities/deal.yaml": """\
        kind: entity
        name: deal
        label: Deal
        fields:
          - {name: title, type: string, required: true, max_length: 120}
          - {name: stage, type: select, options: [lead, qualified, proposal, won, lost]}
          - {name: amount, type: money}
          - {name: probability, type: percent}
          - {name: closes_on, type: date}
          - {name: notes, type: text}
        list: {columns: [title, stage, amount], filters: [stage], sort: -amount}
        indexes: [[stage, amount]]
        """,
}
STAGES = ["lead", "qualified", "proposal", "won", "lost"]


def make_runtime(url: str, folder: Path) -> Runtime:
    return package_runtime(PACKAGE, url, folder)


def deal(i: int) -> dict:
    return {
        "title": f"Deal {i}",
        "stage": STAGES[i % 5],
        "amount": Decimal(random.randint(100, 10_000_000)) / 100,
        "probability": Decimal(i % 100),
        "closes_on": dt.date(2026, 1, 1) + dt.timedelta(days=i % 365),
        "notes": "benchmark",
    }


def bench_create(
    runtime: Runtime, plain: Engine, service: RecordService, actor: Actor, count: int
) -> tuple[float, float]:
    table = runtime.schema.of("bench.deal").table
    start = time.perf_counter()
    for i in range(count):
        now = dt.datetime.now(dt.UTC)
        row = {**deal(i), "created_at": now, "updated_at": now, "owner": None, "version": 1}
        with plain.begin() as conn:
            conn.execute(insert(table).returning(table.c.id), row).scalar_one()
    baseline = count / (time.perf_counter() - start)
    start = time.perf_counter()
    for i in range(count):
        service.create("bench.deal", deal(i), actor)
    loom = count / (time.perf_counter() - start)
    return loom, baseline


def fill(runtime: Runtime, rows: int) -> None:
    table = runtime.schema.of("bench.deal").table
    now = dt.datetime.now(dt.UTC)
    batch = 20_000
    for start in range(0, rows, batch):
        values = [
            {**deal(i), "created_at": now, "updated_at": now, "version": 1}
            for i in range(start, min(start + batch, rows))
        ]
        with runtime.engine.begin() as conn:
            conn.execute(insert(table), values)
        print(f"\r  filling: {min(start + batch, rows):>9,} / {rows:,} rows", end="", file=sys.stderr)
    print(file=sys.stderr)
    with runtime.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")


def bench_list(
    runtime: Runtime, plain: Engine, service: RecordService, actor: Actor, runs: int
) -> tuple[float, float]:
    query = ListQuery(filters=(Condition("stage", "eq", "won"),), sort=("-amount",), page=3, page_size=50)
    table = runtime.schema.of("bench.deal").table
    # The same SQL, typed by the same columns, so both sides return Decimals and aware datetimes.
    raw = text(
        "SELECT * FROM bench_deal WHERE stage = :stage ORDER BY amount DESC, id DESC LIMIT 51 OFFSET 100"
    ).columns(*table.c)
    count = text("SELECT count(*) FROM (SELECT id FROM bench_deal WHERE stage = :stage LIMIT 10001) AS s")
    loom, baseline = [], []
    for _ in range(runs):
        start = time.perf_counter()
        with plain.connect() as conn:
            [dict(row) for row in conn.execute(raw, {"stage": "won"}).mappings()]
            conn.execute(count, {"stage": "won"}).scalar_one()
        baseline.append(time.perf_counter() - start)
        start = time.perf_counter()
        service.list("bench.deal", query, actor)
        loom.append(time.perf_counter() - start)
    return statistics.median(loom) * 1000, statistics.median(baseline) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="SQLAlchemy URL (default: a SQLite file in a temp folder)")
    parser.add_argument("--creates", type=int, default=2000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--format", choices=["text", "json"], default="text")
    args = parser.parse_args()
    random.seed(7)
    with tempfile.TemporaryDirectory() as folder, scratch_database(args.database, folder) as url:
        runtime = make_runtime(url, Path(folder))
        service = RecordService(runtime)
        actor = Actor(None, "bench", frozenset({"admin"}))
        # The hand-written side: a plain engine, as a minimal Flask + SQLAlchemy app would use.
        plain = create_engine(normalize_url(url))
        create_loom, create_base = bench_create(runtime, plain, service, actor, args.creates)
        fill(runtime, args.rows)
        list_loom, list_base = bench_list(runtime, plain, service, actor, args.runs)
        runtime.engine.dispose()
        plain.dispose()
    result = {
        "database": runtime.engine.dialect.name,
        "create_per_s": {"loom": round(create_loom), "baseline": round(create_base)},
        "create_overhead_ratio": round(create_base / create_loom, 2),
        "list_median_ms": {"loom": round(list_loom, 2), "baseline": round(list_base, 2)},
        "list_ratio": round(list_loom / list_base, 2),
        "rows": args.rows,
    }
    if args.format == "json":
        print(json.dumps(result))
        return
    print(f"records benchmark on {result['database']} ({args.rows:,} rows listed)")
    print(f"  {'':28}{'loom':>12}{'baseline':>12}{'ratio':>8}  target")
    print(
        f"  {'create (records/s)':28}{create_loom:>12,.0f}{create_base:>12,.0f}"
        f"{result['create_overhead_ratio']:>8.2f}  ≤ 2.0 (baseline/loom)"
    )
    print(
        f"  {'list page of 50 (median ms)':28}{list_loom:>12.2f}{list_base:>12.2f}"
        f"{result['list_ratio']:>8.2f}  ≤ 1.5, and < 30 ms"
    )


if __name__ == "__main__":
    main()
