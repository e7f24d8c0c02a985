"""Drill-down: the list filters that select exactly the records behind a report cell.

A cell is the report's filter, the viewer's filters and period, and the cell's dimension
values, written as conditions of the records API's list syntax (``end_status=open``,
``order_date__gte=2026-03-01``), so the portal list and ``GET /api/v1/<app>/<entity>``
show the same records the cell counted. Where a condition cannot be said in that syntax
(a CEL filter with ``||`` or functions, an empty value reached through a link, the
"others" row) the cell has no drill-down rather than a wrong one.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import TYPE_CHECKING
from typing import Any
from zoneinfo import ZoneInfo

from loom.metadata.catalog import Entity
from loom.metadata.expressions import compile_expression

from ..records.cel_filter import conjuncts
from ..records.query import Condition
from .model import Dimension
from .model import Report
from .periods import Period
from .periods import local_midnight
from .periods import shift

if TYPE_CHECKING:
    from .results import Axis
    from .results import Result

_COMPARISON = re.compile(r"^([a-z][a-z0-9_]*)\s*(==|!=|<=|>=|<|>)\s*(.+)$", re.S)
_BARE = re.compile(r"^(!?)\s*([a-z][a-z0-9_]*)$")
_OPS = {"==": "eq", "!=": "ne", "<": "lt", "<=": "lte", ">": "gt", ">=": "gte"}
Conditions = tuple[Condition, ...]


class Drill:
    def __init__(self, report: Report, entity: Entity, zone: ZoneInfo, now: dt.datetime) -> None:
        self.report = report
        self.entity = entity
        self.zone = zone
        self.today = now.astimezone(zone).date()

    def attach(self, result: Result, members: Callable[[int], list[int]]) -> None:
        """Set the conditions of every row, pivot total and the grand total of ``result``."""
        base = self._filter({"today": self.today.isoformat()})
        if base is None:
            return
        base += tuple(result.filters) + self._period(result.period)
        result.totals.drill = base
        for row in result.rows:
            row.drill = None if row.others else self._cell(base, result.axes, row.keys, members)
        if result.pivot is not None:
            for key, row in result.pivot.row_totals.items():
                row.drill = self._cell(base, result.axes[:1], (key,), members)
            for key, row in result.pivot.column_totals.items():
                row.drill = self._cell(base, result.axes[1:], (key,), members)

    def _filter(self, names: dict[str, Any]) -> Conditions | None:
        """The report's CEL filter as list conditions; None when a part has no such form."""
        if self.report.filter is None:
            return ()
        found: list[Condition] = []
        for part in conjuncts(self.report.filter.source):
            bare = _BARE.match(part)
            if bare and self._is_column(bare.group(2)):
                found.append(Condition(bare.group(2), "ne" if bare.group(1) else "eq", "true"))
                continue
            match = _COMPARISON.match(part)
            if not match or not self._is_column(match.group(1)):
                return None
            name, operator, source = match.groups()
            try:
                expression = compile_expression(source)
                if not expression.variables <= {"today"}:
                    return None
                value = expression.evaluate(names)
            except Exception:
                return None
            if value is None and operator in ("==", "!="):
                found.append(Condition(name, "is_null", "true" if operator == "==" else "false"))
            elif isinstance(value, bool | int | float | str):
                found.append(Condition(name, _OPS[operator], _text(value)))
            else:
                return None
        return tuple(found)

    def _is_column(self, name: str) -> bool:
        return self.entity.has_field(name) or name in ("created_at", "updated_at", "owner", "flow_status")

    def _period(self, chosen: Period | None) -> Conditions:
        if chosen is None:
            return ()
        name = self.report.period_field
        dated = self.entity.has_field(name) and self.entity.field(name).type == "date"
        return (
            Condition(name, "gte", self._bound(chosen.start, dated)),
            Condition(name, "lt", self._bound(chosen.end, dated)),
        )

    def _bound(self, day: dt.date, dated: bool) -> str:
        return day.isoformat() if dated else local_midnight(day, self.zone).isoformat()

    def _cell(
        self, base: Conditions, axes: list[Axis], keys: tuple[Any, ...], members: Callable[[int], list[int]]
    ) -> Conditions | None:
        found = list(base)
        for axis, key in zip(axes, keys, strict=True):
            dimension = axis.dimension
            if dimension.aging:
                aged = self._aged(dimension, key) if key is not None else None
                found += aged or [Condition(dimension.path, "is_null", "true")]
            elif dimension.granularity:
                if key is None:
                    return None
                dated = axis.kind == "date"
                end = shift(key, dimension.granularity, 1)
                found += [
                    Condition(dimension.path, "gte", self._bound(key, dated)),
                    Condition(dimension.path, "lt", self._bound(end, dated)),
                ]
            elif dimension.step and axis.target == "department" and dimension.step == "department":
                if key is None:
                    return None
                people = members(key)
                if not people:
                    return None
                found.append(Condition(dimension.head, "in", [str(p) for p in people]))
            elif key is None:
                if dimension.step:
                    return None  # the list's link filter cannot say "no linked record, or an empty field"
                found.append(Condition(dimension.path, "is_null", "true"))
            else:
                found.append(Condition(dimension.path, "eq", _text(key)))
        return tuple(found)

    def _aged(self, dimension: Dimension, start: int) -> list[Condition]:
        """The dates of a days-ago bucket: from ``today - end`` to ``today - start``, both included."""
        name = dimension.path
        if start == 0:
            return [Condition(name, "gte", self.today.isoformat())]
        latest = self.today - dt.timedelta(days=start - 1)
        found = [Condition(name, "lt", latest.isoformat())]
        end = dimension.aging_end(start)
        if end is not None:
            found.append(Condition(name, "gte", (self.today - dt.timedelta(days=end)).isoformat()))
        return found


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def query_string(conditions: Conditions) -> list[tuple[str, str]]:
    """Conditions as list parameters: ``field``, ``field__op``."""
    return [
        (
            c.field if c.op == "eq" else f"{c.field}__{c.op}",
            ",".join(c.value) if isinstance(c.value, list) else str(c.value),
        )
        for c in conditions
    ]
