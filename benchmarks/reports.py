"""Report runs vs hand-written SQL GROUP BY of the same result, in interleaved rounds.

    python benchmarks/reports.py [--database URL] [--rows N] [--runs N] [--format json]

A table of ``--rows`` deals (stage, amount, a close time). Two reports: deals and amount by
stage, and by month of the close time in the site's zone (Asia/Shanghai). Each round runs
the report through ``ReportService.run`` as an administrator (rows, grand total, labels,
drill-down conditions) and then the hand-written SQL of the same figures (the GROUP BY and
the total), and the medians are compared: ratio = report / hand-written.
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
from sqlalchemy import insert
from sqlalchemy import text

from loom.platform.actor import SYSTEM
from loom.platform.records.service import RecordService
from loom.platform.reports import ReportService
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
          - {name: closed_at, type: datetime}
        indexes: [[stage, amount]]
        """,
    "reports/by_stage.yaml": """\
        kind: report
        name: by_stage
        label: By stage
        entity: deal
        dimensions: [{field: stage}]
        measures:
          - {name: deals, aggregate: count}
          - {name: amount, aggregate: sum, field: amount}
        """,
    "reports/by_month.yaml": """\
        kind: report
        name: by_month
        label: By month
        entity: deal
        dimensions: [{field: closed_at, granularity: month}]
        measures:
          - {name: deals, aggregate: count}
          - {name: amount, aggregate: sum, field: amount}
        """,
}
STAGES = ["lead", "qualified", "proposal", "won", "lost"]
HAND_WRITTEN = {
    "bench.by_stage": {
        "any": "SELECT stage, count(*), sum(amount) FROM bench_deal GROUP BY stage",
    },
    "bench.by_month": {
        "sqlite": "SELECT strftime('%Y-%m-01', closed_at, '+8 hours') AS m, count(*), sum(amount) "
        "FROM bench_deal GROUP BY m",
        "postgresql": "SELECT to_char(closed_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-01') AS m, count(*), "
        "sum(amount) FROM bench_deal GROUP BY m",
    },
}
TOTAL = "SELECT count(*), sum(amount) FROM bench_deal"


def fill(runtime: Runtime, rows: int) -> None:
    table = runtime.schema.of("bench.deal").table
    now = dt.datetime.now(dt.UTC)
    start_of_year = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    batch = 20_000
    for start in range(0, rows, batch):
        values = [
            {
                "title": f"Deal {i}",
                "stage": STAGES[i % 5],
                "amount": Decimal(random.randint(100, 10_000_000)) / 100,
                "closed_at": start_of_year + dt.timedelta(minutes=random.randint(0, 2 * 365 * 24 * 60)),
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
            for i in range(start, min(start + batch, rows))
        ]
        with runtime.engine.begin() as conn:
            conn.execute(insert(table), values)
        print(f"\r  filling: {min(start + batch, rows):>9,} / {rows:,} rows", end="", file=sys.stderr)
    print(file=sys.stderr)
    with runtime.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")


def bench(runtime: Runtime, reports: ReportService, name: str, runs: int) -> dict[str, float]:
    dialect = runtime.engine.dialect.name
    queries = HAND_WRITTEN[name]
    grouped = text(queries.get(dialect, queries.get("any", "")))
    total = text(TOTAL)
    loom, baseline = [], []
    for _ in range(runs):
        start = time.perf_counter()
        with runtime.engine.connect() as conn:
            rows = conn.execute(grouped).all()
            conn.execute(total).one()
        baseline.append(time.perf_counter() - start)
        start = time.perf_counter()
        result = reports.run(name, SYSTEM)
        loom.append(time.perf_counter() - start)
    assert len(result.rows) == len(rows), (name, len(result.rows), len(rows))
    report, hand = statistics.median(loom) * 1000, statistics.median(baseline) * 1000
    return {"report_ms": round(report, 1), "hand_ms": round(hand, 1), "ratio": round(report / hand, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="SQLAlchemy URL (default: a SQLite file in a temp folder)")
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--format", choices=["text", "json"], default="text")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, scratch_database(args.database, folder) as url:
        runtime = package_runtime(PACKAGE, url, Path(folder))
        fill(runtime, args.rows)
        reports = ReportService(RecordService(runtime))
        found = {name: bench(runtime, reports, name, args.runs) for name in HAND_WRITTEN}
        runtime.engine.dispose()
    database = runtime.engine.dialect.name
    summary = {"database": database, "rows": args.rows, "runs": args.runs, "reports": found}
    if args.format == "json":
        print(json.dumps(summary, indent=2))
        return
    print(f"{summary['database']}, {args.rows:,} rows, median of {args.runs} interleaved rounds")
    for name, figures in found.items():
        print(
            f"  {name:<16} report {figures['report_ms']:>8.1f} ms"
            f"   hand-written {figures['hand_ms']:>8.1f} ms   ratio {figures['ratio']:.2f}"
        )


if __name__ == "__main__":
    main()
