"""Records service vs hand-written SQLAlchemy: create throughput and list latency.

    python benchmarks/records.py [--database URL] [--creates N] [--rows N] [--rounds N] [--format json]

Both sides do the same work on the same engine (Loom's, with its SQLite settings) and
take turns, round after round, so a drift in the machine's speed touches both; each
figure is the median of the per-round ratios, with the smallest and largest.

* plain create: one transaction that writes one row (the baseline a plain INSERT, the
  service its validation, defaults, numbering and audit entry too);
* create with lines: an expense claim with an autonumber, a computed total, a rule and
  two lines that link to a category (the baseline three INSERTs in one transaction; beside it,
  a hand-written side doing the same work as the service: the link checked, the rules, the
  number taken from the series table, the audit entry);
* list: filter on an indexed field, sort, take the third page of 50 from a table of
  ``--rows`` records, with the capped count Loom returns with a first query, through the
  service and as the equivalent SQL.
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
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal
from pathlib import Path
from typing import Any

from profiles import breakdown
from profiles import said
from scratch import package_runtime
from scratch import scratch_database
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy import update

from loom.platform.actor import Actor
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
        """,
    "entities/category.yaml": """\
        kind: entity
        name: category
        label: Category
        fields:
          - {name: title, type: string, required: true}
          - {name: cap, type: money}
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
        fields:
          - {name: number, type: autonumber, pattern: "EX-{#####}"}
          - {name: title, type: string, required: true, max_length: 120}
          - {name: lines, type: table, entity: line, min_rows: 1}
          - {name: total, type: computed, result: money, compute: "sum(lines.map(l, l.amount))"}
        rules:
          - {check: "total > 0.0", field: total, message: Positive}
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


@dataclass
class Pairs:
    """Seconds of Loom and of the baseline, one pair per round."""

    loom: list[float] = field(default_factory=list)
    baseline: list[float] = field(default_factory=list)

    def ratios(self) -> list[float]:
        return [a / b for a, b in zip(self.loom, self.baseline, strict=True)]

    def summary(self, per: int = 1) -> dict[str, Any]:
        """Medians (ms per operation) and the median, min and max of the per-round ratios."""
        ratios = self.ratios()
        return {
            "loom_ms": round(statistics.median(self.loom) / per * 1000, 3),
            "baseline_ms": round(statistics.median(self.baseline) / per * 1000, 3),
            "ratio": round(statistics.median(ratios), 2),
            "spread": [round(min(ratios), 2), round(max(ratios), 2)],
            "rounds": len(ratios),
        }


Timed = tuple[Pairs, Callable[[], None]]  # the figure, and Loom's side to profile


def interleave(pairs: Pairs, rounds: int, loom: Callable[[], None], baseline: Callable[[], None]) -> Pairs:
    """Run both sides ``rounds`` times in turn, each going first every other round."""
    for i in range(rounds):
        sides = [(pairs.loom, loom), (pairs.baseline, baseline)]
        for times, run in sides if i % 2 == 0 else sides[::-1]:
            start = time.perf_counter()
            run()
            times.append(time.perf_counter() - start)
    return pairs


def stamps() -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC)
    return {"created_at": now, "updated_at": now, "owner": None, "created_by": None, "version": 1}


def bench_create(runtime: Runtime, service: RecordService, actor: Actor, count: int, rounds: int) -> Timed:
    table = runtime.schema.of("bench.deal").table
    per_round = max(count // rounds, 1)

    def baseline() -> None:
        for i in range(per_round):
            with runtime.engine.begin() as conn:
                conn.execute(insert(table).returning(table.c.id), {**deal(i), **stamps()}).scalar_one()

    def loom() -> None:
        for i in range(per_round):
            service.create("bench.deal", deal(i), actor)

    interleave(Pairs(), 1, loom, baseline)  # warm-up
    return interleave(Pairs(), rounds, loom, baseline), loom


def bench_create_lines(
    runtime: Runtime, service: RecordService, actor: Actor, count: int, rounds: int
) -> tuple[Pairs, Pairs, Callable[[], None]]:
    """An expense claim with two lines, against two hand-written sides: the same three rows
    written bare (the goal's baseline), and the same work as the service does (the category
    checked to exist, the rules checked, the number from the series table, an audit entry),
    which shows what of the ratio is the work itself."""
    tables = runtime.schema.of("bench.claim")
    claim, lines = tables.table, tables.children["lines"].table
    platform = runtime.schema.metadata.tables
    series, audit = platform["loom_number_series"], platform["loom_audit"]
    categories = runtime.schema.of("bench.category").table
    category = service.create("bench.category", {"title": "Travel", "cap": "5000"}, actor)["id"]
    with runtime.engine.begin() as conn:
        conn.execute(insert(series).values(series="bench.by_hand", period="", value=0))
    per_round = max(count // rounds, 1)
    numbers = iter(range(1, 10**9))

    def values(i: int) -> list[dict[str, Any]]:
        return [
            {"category": category, "amount": Decimal("120.50"), "note": f"taxi {i}"},
            {"category": category, "amount": Decimal("80.00"), "note": f"meal {i}"},
        ]

    def write(conn: Any, i: int, number: str, rows: list[dict[str, Any]]) -> int:
        total = sum(row["amount"] for row in rows)
        header = {"number": number, "title": f"Claim {i}", "total": total, **stamps()}
        parent = conn.execute(insert(claim).returning(claim.c.id), header).scalar_one()
        conn.execute(
            insert(lines), [{"parent_id": parent, "position": k, **row} for k, row in enumerate(rows)]
        )
        return parent

    def bare() -> None:
        for i in range(per_round):
            with runtime.engine.begin() as conn:
                write(conn, i, f"EX-{next(numbers):05d}", values(i))

    def same_work() -> None:
        for i in range(per_round):
            rows = values(i)
            wanted = {row["category"] for row in rows}
            if any(row["amount"] <= 0 for row in rows) or sum(row["amount"] for row in rows) <= 0:
                raise ValueError("the rules refuse the claim")
            with runtime.engine.begin() as conn:
                found = conn.execute(select(categories.c.id).where(categories.c.id.in_(wanted))).scalars()
                if set(found) != wanted:
                    raise ValueError("a category does not exist")
                taken = conn.execute(
                    update(series)
                    .where(series.c.series == "bench.by_hand", series.c.period == "")
                    .values(value=series.c.value + 1)
                    .returning(series.c.value)
                ).scalar_one()
                parent = write(conn, i, f"EX-{taken:05d}", rows)
                changes = {"title": [None, f"Claim {i}"], "lines": [None, jsonable(rows)]}
                conn.execute(
                    insert(audit).values(
                        at=dt.datetime.now(dt.UTC),
                        user_id=None,
                        entity="bench.claim",
                        record_id=parent,
                        action="create",
                        changes=changes,
                    )
                )

    def loom() -> None:
        for i in range(per_round):
            service.create("bench.claim", {"title": f"Claim {i}", "lines": values(i)}, actor)

    interleave(Pairs(), 1, loom, bare)
    interleave(Pairs(), 1, loom, same_work)
    return interleave(Pairs(), rounds, loom, bare), interleave(Pairs(), rounds, loom, same_work), loom


def jsonable(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{key: str(value) for key, value in row.items()} for row in rows]


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
    # A table at rest: on PostgreSQL, autovacuum has set its visibility map (so a count can read
    # the index alone) by the time a million rows are listed; VACUUM runs outside a transaction.
    postgres = runtime.engine.dialect.name == "postgresql"
    with runtime.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(f"{'VACUUM ' if postgres else ''}ANALYZE")


def bench_list(runtime: Runtime, service: RecordService, actor: Actor, runs: int) -> Timed:
    query = ListQuery(filters=(Condition("stage", "eq", "won"),), sort=("-amount",), page=3, page_size=50)
    table = runtime.schema.of("bench.deal").table
    # The same SQL, typed by the same columns, so both sides return Decimals and aware datetimes.
    raw = text(
        "SELECT * FROM bench_deal WHERE stage = :stage"
        " ORDER BY amount DESC NULLS LAST, id DESC LIMIT 51 OFFSET 100"
    ).columns(*table.c)
    count = text("SELECT count(*) FROM (SELECT id FROM bench_deal WHERE stage = :stage LIMIT 10001) AS s")

    def baseline() -> None:
        with runtime.engine.connect() as conn:
            [dict(row) for row in conn.execute(raw, {"stage": "won"}).mappings()]
            conn.execute(count, {"stage": "won"}).scalar_one()

    def loom() -> None:
        service.list("bench.deal", query, actor)

    interleave(Pairs(), 2, loom, baseline)
    return interleave(Pairs(), runs, loom, baseline), loom


def measure(
    url: str, folder: Path, creates: int, rows: int, rounds: int, runs: int, profile: bool = False
) -> dict[str, Any]:
    """The three figures; with ``profile``, where Loom's side of each spends its time."""
    runtime = make_runtime(url, folder)
    service = RecordService(runtime)
    actor = Actor(None, "bench", frozenset({"admin"}))
    try:
        create = bench_create(runtime, service, actor, creates, rounds)
        lines_bare, lines_same, lines_loom = bench_create_lines(runtime, service, actor, creates // 2, rounds)
        lines = (lines_bare, lines_loom)
        fill(runtime, rows)
        listing = bench_list(runtime, service, actor, runs)
        timed = {"create": create, "create_with_lines": lines, "list": listing}
        repeat = {"create": 1, "create_with_lines": 1, "list": runs}  # one list call is too short to read
        profiles = {name: breakdown(loom, repeat[name]) for name, (_, loom) in timed.items() if profile}
    finally:
        runtime.engine.dispose()
    per = {"create": creates // rounds, "create_with_lines": creates // 2 // rounds, "list": 1}
    result: dict[str, Any] = {"database": runtime.engine.dialect.name, "rows": rows}
    for name, (pairs, _) in timed.items():
        result[name] = pairs.summary(max(per[name], 1)) | ({"profile": profiles[name]} if profile else {})
    result["create_with_lines"]["same_work"] = lines_same.summary(max(per["create_with_lines"], 1))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="SQLAlchemy URL (default: a SQLite file in a temp folder)")
    parser.add_argument("--creates", type=int, default=2000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=10, help="alternate rounds of creates")
    parser.add_argument("--runs", type=int, default=50, help="alternate list calls")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    parser.add_argument("--profile", action="store_true", help="where Loom's side spends its time")
    args = parser.parse_args()
    random.seed(7)
    with tempfile.TemporaryDirectory() as folder, scratch_database(args.database, folder) as url:
        result = measure(url, Path(folder), args.creates, args.rows, args.rounds, args.runs, args.profile)
    if args.format == "json":
        print(json.dumps(result))
        return
    print(f"records benchmark on {result['database']} ({args.rows:,} rows listed)")
    print(f"  {'':28}{'loom ms':>10}{'baseline':>10}{'ratio':>7}  {'min-max':>11}  goal")
    goals = {"create": "≤ 2.0", "create_with_lines": "≤ 2.0", "list": "≤ 1.5, and < 30 ms"}
    names = {"create": "create", "create_with_lines": "create with 2 lines", "list": "list page of 50"}
    for key, goal in goals.items():
        r = result[key]
        spread = f"{r['spread'][0]:.2f}-{r['spread'][1]:.2f}"
        figures = f"{r['loom_ms']:>10.2f}{r['baseline_ms']:>10.2f}{r['ratio']:>7.2f}"
        print(f"  {names[key]:28}{figures}  {spread:>11}  {goal}")
        if "same_work" in r:
            same = r["same_work"]
            figures = f"{same['loom_ms']:>10.2f}{same['baseline_ms']:>10.2f}{same['ratio']:>7.2f}"
            spread = f"{same['spread'][0]:.2f}-{same['spread'][1]:.2f}"
            print(f"  {'… the same work by hand':28}{figures}  {spread:>11}")
        if "profile" in r:
            print(f"  {'':28}Loom's time: {said(r['profile'])}")


if __name__ == "__main__":
    main()
