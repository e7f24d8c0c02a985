"""Reports over several entities: series that meet on shared dimensions.

Actual against target, or receivables against contracts, cannot be one grouping: the figures
live in different tables, each with its own read scope. Each series therefore runs as a
report of its own entity (its scope, filter and period), and the results are joined here on
the values of the shared dimensions (a person, a month), like an outer join: a person with a
target and no contract still has a row. Ratios between series (completion = actual / target)
are worked out on the joined rows and totals. Totals and pivot margins are each series' own,
so an average or a distinct count stays right.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from .model import Report
from .results import Axis
from .results import Pivot
from .results import Result
from .results import Row
from .results import measured
from .results import natural_order
from .results import ordered


def merge(report: Report, parts: Sequence[Result], chart: str) -> Result:
    """One result of ``report`` from the results of its series, in series order."""
    axes = _axes(report, parts)
    titles = {i: {k: v for p in parts for k, v in p.titles.get(i, {}).items()} for i in range(len(axes))}
    ranks = {i: _ranks(titles[i]) for i in titles}

    def natural(i: int, key: Any) -> tuple[Any, ...]:
        return natural_order(axes[i], key, ranks[i])

    rows = _joined(report, (part.rows for part in parts))
    result = Result(report, None, axes, [], _joined(report, [[p.totals] for p in parts])[0], chart, ())
    result.period, result.titles = parts[0].period, titles
    result.currency, result.locale = parts[0].currency, parts[0].locale
    result.kinds = {name: kind for part in parts for name, kind in part.kinds.items()}
    if any(part.previous is not None for part in parts):
        result.previous = measured(report, {k: v for p in parts for k, v in (p.previous or {}).items()})
    if not axes:
        result.rows = [Row((), dict(result.totals.values))]
        return result
    pivots = [part.pivot for part in parts if part.pivot is not None]
    firsts = rows if len(axes) == 1 else _joined(report, (list(p.row_totals.values()) for p in pivots))
    firsts = ordered(report, axes[0], firsts, lambda key: natural(0, key))
    top = firsts if report.limit is None else firsts[: report.limit]
    rank = {r.keys[0]: i for i, r in enumerate(top)}
    rows = [r for r in rows if r.keys[0] in rank]
    rows.sort(key=lambda r: (rank[r.keys[0]], tuple(natural(i + 1, k) for i, k in enumerate(r.keys[1:]))))
    result.rows = rows
    if len(axes) == 2:
        columns = _joined(report, (list(p.column_totals.values()) for p in pivots))
        columns.sort(key=lambda r: natural(1, r.keys[0]))
        result.pivot = Pivot(
            rows=[r.keys[0] for r in top],
            columns=[r.keys[0] for r in columns],
            cells={(r.keys[0], r.keys[1]): r for r in rows},
            row_totals={r.keys[0]: r for r in top},
            column_totals={r.keys[0]: r for r in columns},
        )
    return result


def _axes(report: Report, parts: Sequence[Result]) -> list[Axis]:
    """Each shared dimension as the first series that reads it as more than a year number
    reads it, under the report's own name and label."""
    axes = []
    for i, dimension in enumerate(report.dimensions):
        found = [part.axes[i] for part in parts]
        axis = next((a for a in found if a.kind != "integer"), found[0])
        axes.append(replace(axis, dimension=dimension))
    return axes


def _joined(report: Report, groups: Iterable[Iterable[Row]]) -> list[Row]:
    """Rows with equal keys as one, their measures side by side, ratios worked out again."""
    values: dict[tuple[Any, ...], dict[str, Any]] = {}
    empty = {m.name: None for m in report.measures if m.aggregate != "ratio"}  # a series without the keys
    for rows in groups:
        for row in rows:
            values.setdefault(row.keys, dict(empty)).update(row.values)
    return [Row(keys, measured(report, found)) for keys, found in values.items()]


def _ranks(titles: dict[Any, str]) -> dict[Any, int]:
    """People and records by their titles: the series' own orders cannot be interleaved."""
    return {key: i for i, key in enumerate(sorted(titles, key=lambda k: titles[k]))}
