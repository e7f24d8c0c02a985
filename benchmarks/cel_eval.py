"""What CEL costs per record write: one expression, the computed fields, the rules.

    python benchmarks/cel_eval.py [--runs N] [--format json]

On an entity of 30 fields with three computed fields (one reading another) and two rules,
through the functions the records service calls: ``Expression.evaluate`` on the names of
a record, ``apply_computed`` and ``broken_rules``. Each figure is the median of ``--runs``
timings of a batch, in microseconds per call.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import tempfile
import textwrap
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from loom.metadata import validate_paths
from loom.metadata.catalog import Entity
from loom.platform.actor import Actor
from loom.platform.records import logic

FIELDS = "\n".join(f"  - {{name: f{i:02d}, type: string}}" for i in range(22))
ENTITY = f"""\
kind: entity
name: sale
label: Sale
fields:
  - {{name: title, type: string, required: true}}
  - {{name: quantity, type: integer}}
  - {{name: price, type: money}}
  - {{name: discount, type: percent}}
  - {{name: ordered_on, type: date}}
  - {{name: gross, type: computed, result: money, compute: "double(quantity) * price"}}
  - {{name: net, type: computed, result: money, compute: "gross * (1.0 - discount / 100.0)"}}
  - {{name: label, type: computed, result: string, compute: "title + ' #' + string(quantity)"}}
{FIELDS}
rules:
  - {{check: "quantity > 0", field: quantity, message: Positive}}
  - {{check: "net <= 100000.0", when: "discount > 0.0", field: discount, message: Too much}}
"""


def entity() -> Entity:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "bench"
        (root / "entities").mkdir(parents=True)
        (root / "app.yaml").write_text("kind: app\nname: bench\nlabel: Bench\nversion: 1.0.0\n")
        (root / "entities" / "sale.yaml").write_text(textwrap.dedent(ENTITY))
        result = validate_paths([root])
        assert result.catalog is not None, [p.render() for p in result.problems]
        return result.catalog.entity("bench.sale")


def timed(call: Callable[[], object], runs: int, batch: int = 200) -> float:
    """Median microseconds per call over ``runs`` batches."""
    call()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        for _ in range(batch):
            call()
        samples.append((time.perf_counter() - start) / batch * 1e6)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--format", choices=("text", "json"), default="text")
    args = parser.parse_args()
    order = entity()
    actor = Actor(1, "bench", frozenset({"employee"}))
    now = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)
    record = {
        "title": "Order",
        "quantity": 3,
        "price": Decimal("19.90"),
        "discount": Decimal("10"),
        "ordered_on": dt.date(2026, 3, 1),
        **{f"f{i:02d}": f"text {i}" for i in range(22)},
    }
    gross = order.field("gross").compute
    assert gross is not None
    names = logic.variables(order, record, actor, now)
    result = {
        "evaluate_us": timed(lambda: gross.evaluate(names), args.runs),
        "variables_and_evaluate_us": timed(
            lambda: gross.evaluate(logic.variables(order, record, actor, now)), args.runs
        ),
        "apply_computed_us": timed(lambda: logic.apply_computed(order, dict(record), actor, now), args.runs),
        "broken_rules_us": timed(lambda: logic.broken_rules(order, record, actor, now), args.runs),
    }
    if args.format == "json":
        print(json.dumps({k: round(v, 1) for k, v in result.items()}))
        return
    print("CEL evaluation (median µs per call)")
    for name, value in result.items():
        print(f"  {name.removesuffix('_us'):28}{value:>10.1f}")


if __name__ == "__main__":
    main()
