"""A report's result as people and clients read it: labelled rows, totals, the applied
filters, drill-down links and a chart spec, in one language.

The API returns this as JSON, the portal renders its table from it and its chart script
reads the same JSON, and the CSV/XLSX exports are its rows. Nothing here touches the
database or Flask: links are made by a function the edge passes in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from babel.numbers import format_compact_decimal

from loom.metadata.catalog import Label

from ..money import READERS
from ..money import compact_steps
from ..money import currency_symbol
from ..money import format_money
from .model import Dimension
from .model import Measure
from .periods import bucket_label
from .results import Axis
from .results import Result
from .results import Row

Links = Callable[[tuple[Any, ...] | None], dict[str, str] | None]
FLOW_STATUSES = {
    "draft": Label("草稿", "Draft"),
    "in_approval": Label("审批中", "In approval"),
    "approved": Label("已通过", "Approved"),
    "rejected": Label("已驳回", "Rejected"),
    "withdrawn": Label("已撤回", "Withdrawn"),
    "returned": Label("已退回", "Returned"),
    "revoked": Label("已撤销", "Revoked"),
}
EMPTY = Label("（空）", "(empty)")
HOURS = Label("{:,.1f} 小时", "{:,.1f} h")
OTHERS = Label("其他", "Others")
TOTAL = Label("合计", "Total")
YES_NO = {True: Label("是", "Yes"), False: Label("否", "No")}
# Charts a result may be switched to: any of these read one dimension's categories.
ONE_DIMENSION = ("bar", "horizontal_bar", "line", "area", "pie", "donut", "funnel", "table", "number")
TWO_DIMENSIONS = ("stacked_bar", "bar", "line", "area", "pivot", "table", "number")


SIDE_BY_SIDE = ("bar", "horizontal_bar", "line", "area")


def present(result: Result, lang: str, links: Links, measure: str | None = None) -> dict[str, Any]:
    """Everything a client needs to show ``result``; ``measure`` picks the one the chart draws."""
    report = result.report
    units = {m.name: unit_of(result, m) for m in report.measures}
    primary = _primary(result, measure)

    def values(row: Row) -> dict[str, Any]:
        return {m.name: row.values.get(m.name) for m in report.measures}

    def cell(row: Row) -> dict[str, Any]:
        return {"values": values(row), "drill": links(row.drill)}

    rows = [
        {
            "keys": [_json_key(k) for k in row.keys],
            "labels": [
                OTHERS.get(lang) if row.others and i == 0 else key_label(result, i, k, lang)
                for i, k in enumerate(row.keys)
            ],
            "others": row.others,
            **cell(row),
        }
        for row in result.rows
    ]
    body: dict[str, Any] = {
        "report": {
            "app": report.app,
            "name": report.name,
            "label": report.label.get(lang),
            "description": report.description.get(lang) if report.description else None,
            "entity": report.entity or None,
            "source": report.source,
            "chart": report.chart,
            "charts": list(TWO_DIMENSIONS if len(result.axes) == 2 else ONE_DIMENSION),
        },
        "dimensions": [
            {
                "field": a.dimension.path,
                "label": dimension_label(a).get(lang),
                "granularity": a.dimension.granularity,
            }
            for a in result.axes
        ],
        "measures": [
            {"name": m.name, "label": m.label.get(lang), "aggregate": m.aggregate, **units[m.name]}
            for m in report.measures
        ],
        "rows": rows,
        "totals": cell(result.totals),
        "pivot": _pivot(result, lang, cell),
        "filters": _filters(result, lang),
        "previous": None
        if result.previous is None
        else {
            "values": result.previous,
            "label": result.period.previous().label.get(lang) if result.period else None,
        },
        "chart": _chart(
            result, lang, primary, rows, units, links, _companions(result, primary, units, measure)
        ),
    }
    return body


def dimension_label(axis: Axis) -> Label:
    """The declared label, else the label of the field the values come from."""
    if axis.dimension.label is not None:
        return axis.dimension.label
    if axis.field is not None:
        return axis.field.label
    return Label.of(axis.dimension.path)


def unit_of(result: Result, measure: Measure) -> dict[str, Any]:
    """How a measure's numbers read: a count, money in a currency, a percentage, or a number."""
    if measure.aggregate in ("count", "count_distinct"):
        return {"unit": "count"}
    if measure.aggregate == "ratio":
        return {"unit": "ratio"}
    kind, currency = result.kinds.get(measure.name, ("number", None))
    if kind == "money":
        currency = currency or result.currency
        return {"unit": "money", "currency": currency, "symbol": currency_symbol(currency, result.locale)}
    if kind == "percent":
        return {"unit": "percent"}
    if kind in ("date", "datetime", "time"):
        return {"unit": "date"}
    if kind == "hours":
        return {"unit": "hours"}
    return {"unit": "number"}


def key_label(result: Result, index: int, key: Any, lang: str) -> str:
    """How one dimension value reads: an option's label, a record's title, a month…"""
    axis: Axis = result.axes[index]
    if key is None:
        return EMPTY.get(lang)
    if axis.dimension.aging and isinstance(key, int):
        return aging_label(key, axis.dimension).get(lang)
    if axis.dimension.granularity and isinstance(key, dt.date):
        return bucket_label(key, axis.dimension.granularity, lang)
    if key in result.labels.get(index, {}):
        return result.labels[index][key].get(lang)
    if axis.kind == "flow_status":
        return FLOW_STATUSES[key].get(lang) if key in FLOW_STATUSES else str(key)
    if axis.field is not None and axis.field.options:
        option = axis.field.option(str(key))
        return option.label.get(lang) if option else str(key)
    if isinstance(key, bool):
        return YES_NO[key].get(lang)
    if axis.target is not None:
        return result.titles.get(index, {}).get(key) or f"#{key}"
    if isinstance(key, dt.date):
        return key.isoformat()
    return str(key)


def aging_label(start: int, dimension: Dimension) -> Label:
    """How a days-ago bucket reads: 未到期, 1–30 天, 90 天以上."""
    if start == 0:
        return Label("未到期", "Not yet due")
    end = dimension.aging_end(start)
    if end is None:
        last = dimension.aging[-1]
        return Label(f"{last} 天以上", f"Over {last} days")
    return Label(f"{start}–{end} 天", f"{start}–{end} days")


def format_value(value: Any, unit: dict[str, Any], lang: str) -> str:
    """A measure's value for a table cell: ¥1,234.50, 1,234, 35.2%."""
    if value is None:
        return ""
    if not isinstance(value, int | float):
        return str(value)
    kind = unit["unit"]
    if kind == "money":
        return format_money(value, unit["currency"], lang, symbol=unit["symbol"])
    if kind == "ratio":
        return f"{value * 100:.1f}%"
    if kind == "percent":
        return f"{value:.1f}%"
    if kind == "hours":
        return HOURS.get(lang).format(value)
    if isinstance(value, int) or kind == "count":
        return f"{int(value):,}"
    return f"{value:,.2f}"


def compact_value(value: Any, unit: dict[str, Any], lang: str) -> str:
    """A measure's value for a number card or a chart label: ¥17.83万, ¥178.3K, 1.25万, 35.2%."""
    if not isinstance(value, int | float) or unit["unit"] in ("ratio", "percent", "hours"):
        return format_value(value, unit, lang)
    if unit["unit"] == "money":
        return format_money(value, unit["currency"], lang, symbol=unit["symbol"], compact=True)
    return format_compact_decimal(value, locale=READERS.get(lang, lang), fraction_digits=2)


def table(body: dict[str, Any], lang: str) -> tuple[list[str], list[list[Any]]]:
    """The rows as a header and cells (labels, then raw numbers) for CSV and XLSX, with totals last."""
    header = [d["label"] for d in body["dimensions"]] + [m["label"] for m in body["measures"]]
    names = [m["name"] for m in body["measures"]]
    rows: list[list[Any]] = [row["labels"] + [row["values"][n] for n in names] for row in body["rows"]]
    total = [TOTAL.get(lang)] + [""] * (len(body["dimensions"]) - 1) if body["dimensions"] else []
    rows.append(total + [body["totals"]["values"][n] for n in names])
    return header, rows


def _primary(result: Result, measure: str | None) -> Measure:
    report = result.report
    names = [m.name for m in report.measures]
    if measure in names:
        return report.measure(measure or "")
    sort = (report.sort or "").lstrip("-")
    return report.measure(sort) if sort in names else report.measures[0]


def _pivot(result: Result, lang: str, cell: Callable[[Row], dict[str, Any]]) -> dict[str, Any] | None:
    pivot = result.pivot
    if pivot is None:
        return None
    return {
        "rows": [
            {"key": _json_key(k), "label": key_label(result, 0, k, lang), **cell(pivot.row_totals[k])}
            for k in pivot.rows
        ],
        "columns": [
            {"key": _json_key(k), "label": key_label(result, 1, k, lang), **cell(pivot.column_totals[k])}
            for k in pivot.columns
        ],
        "cells": [
            [cell(pivot.cells[(r, c)]) if (r, c) in pivot.cells else None for c in pivot.columns]
            for r in pivot.rows
        ],
    }


def _filters(result: Result, lang: str) -> dict[str, Any]:
    chosen = result.period
    return {
        "period": None
        if chosen is None
        else {
            "key": chosen.key,
            "label": chosen.label.get(lang),
            "field": result.report.period_field,
            "start": chosen.start.isoformat(),
            "end": (chosen.end - dt.timedelta(days=1)).isoformat(),
        },
        "conditions": [{"field": c.field, "op": c.op, "value": c.value} for c in result.filters],
    }


def _companions(
    result: Result, primary: Measure, units: dict[str, dict[str, Any]], chosen: str | None
) -> list[Measure]:
    """Measures drawn beside the primary one, on its axis: those in the same unit (actual and
    target, contracts and receipts), on bar, line and area charts of one dimension, unless the
    viewer chose one measure."""
    if chosen or result.pivot is not None or result.chart not in SIDE_BY_SIDE:
        return []
    same = units[primary.name]
    return [
        m
        for m in result.report.measures
        if m is not primary and m.aggregate != "ratio" and units[m.name] == same
    ]


def _chart(
    result: Result,
    lang: str,
    primary: Measure,
    rows: list[dict[str, Any]],
    units: dict[str, dict[str, Any]],
    links: Links,
    companions: list[Measure],
) -> dict[str, Any]:
    """A neutral chart spec: categories, series of numbers and a drill-down link per point."""
    spec: dict[str, Any] = {
        "type": result.chart,
        "measure": primary.name,
        "measure_label": primary.label.get(lang),
        **units[primary.name],
        "compact": compact_steps(lang),  # how the chart script shortens the axis ticks it makes
        "total": compact_value(result.totals.values.get(primary.name), units[primary.name], lang),
        "categories": [],
        "series": [],
    }
    pivot = result.pivot
    empty = 0 if units[primary.name]["unit"] == "count" else None  # no records: a count of 0
    if pivot is not None:
        spec["categories"] = [key_label(result, 0, k, lang) for k in pivot.rows]
        for c in pivot.columns:
            cells = [pivot.cells.get((r, c)) for r in pivot.rows]
            data = [cell.values.get(primary.name) if cell else empty for cell in cells]
            spec["series"].append(
                {
                    "name": key_label(result, 1, c, lang),
                    "data": data,
                    "labels": [compact_value(v, units[primary.name], lang) for v in data],
                    "links": [(links(cell.drill) or {}).get("portal") if cell else None for cell in cells],
                }
            )
        return spec
    spec["categories"] = [" / ".join(row["labels"]) for row in rows]
    for measure in (primary, *companions):
        data = [row["values"][measure.name] for row in rows]
        spec["series"].append(
            {
                "name": measure.label.get(lang),
                "data": data,
                "labels": [compact_value(v, units[measure.name], lang) for v in data],
                "links": [(row["drill"] or {}).get("portal") for row in rows],
            }
        )
    return spec


def _json_key(key: Any) -> Any:
    return key.isoformat() if isinstance(key, dt.date) else key
