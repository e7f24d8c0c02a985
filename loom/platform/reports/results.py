"""What running a report gives: its axes, rows, totals and pivot, as the presenters read them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from loom.metadata.catalog import Entity
from loom.metadata.catalog import Field
from loom.metadata.catalog import Label

from ..money import DEFAULT_CURRENCY
from ..money import DEFAULT_LOCALE
from ..records.query import Condition
from .model import Dimension
from .model import Report
from .periods import Period


@dataclass(frozen=True, slots=True)
class Axis:
    """A dimension as run: what its values are (``kind``) and where they come from."""

    dimension: Dimension
    kind: str  # a field type, or flow_status
    field: Field | None
    target: str | None  # the entity or platform table ("user", "department") values refer to


@dataclass(slots=True)
class Row:
    keys: tuple[Any, ...]
    values: dict[str, Any]
    drill: tuple[Condition, ...] | None = None
    others: bool = False


@dataclass(slots=True)
class Pivot:
    rows: list[Any]
    columns: list[Any]
    cells: dict[tuple[Any, Any], Row]
    row_totals: dict[Any, Row]
    column_totals: dict[Any, Row]


@dataclass(slots=True)
class Result:
    report: Report
    entity: Entity | None  # None for a platform source
    axes: list[Axis]
    rows: list[Row]
    totals: Row
    chart: str
    filters: tuple[Condition, ...]
    period: Period | None = None
    previous: dict[str, Any] | None = None
    pivot: Pivot | None = None
    titles: dict[int, dict[Any, str]] = dc_field(default_factory=dict)  # per axis: key -> title
    kinds: dict[str, tuple[str, str | None]] = dc_field(default_factory=dict)  # measure -> (type, currency)
    currency: str = DEFAULT_CURRENCY  # the site's, for money fields that name none
    locale: str = DEFAULT_LOCALE  # the site's, which writes the currency symbol
    labels: dict[int, dict[Any, Label]] = dc_field(default_factory=dict)  # per axis: flows, nodes, statuses


def measured(report: Report, raw: dict[str, Any]) -> dict[str, Any]:
    """Measures as numbers, with ratios worked out from the measures they divide."""
    values = {name: as_number(value) for name, value in raw.items()}
    for measure in report.measures:
        if measure.aggregate == "ratio" and measure.of:
            top, bottom = values.get(measure.of[0]), values.get(measure.of[1])
            values[measure.name] = (top or 0) / bottom if bottom else None
    for measure in report.measures:
        if measure.aggregate in ("count", "count_distinct") and values.get(measure.name) is None:
            values[measure.name] = 0
    return values


def ordered(report: Report, axis: Axis, rows: list[Row], natural: Callable[[Any], Any]) -> list[Row]:
    """Rows by the report's sort: a measure (empty values last) or the dimension (its own order)."""
    sort = report.sort or ""
    name, descending = sort.lstrip("-"), sort.startswith("-")
    if name in {m.name for m in report.measures}:
        present = [r for r in rows if r.values.get(name) is not None]
        missing = [r for r in rows if r.values.get(name) is None]
        present.sort(key=lambda r: (float(r.values[name]), natural(r.keys[0])), reverse=descending)
        return present + missing
    ordered = sorted(rows, key=lambda r: natural(r.keys[0]))
    return ordered[::-1] if descending and name == axis.dimension.path else ordered


def natural_order(axis: Axis, key: Any, ranks: dict[Any, int]) -> tuple[Any, ...]:
    """The order values of a dimension read in: options as declared, records in their list's
    order, everything else by value; empty last."""
    if key is None:
        return (1, 0, "")
    if key in ranks:
        return (0, ranks[key], "")
    if axis.field is not None and axis.field.options:
        option = axis.field.option(str(key))
        return (0, option.order if option else 10_000, str(key))
    if isinstance(key, bool):
        return (0, int(not key), "")
    if isinstance(key, int | float):
        return (0, key, "")
    return (0, 0, str(key))


def as_number(value: Any) -> Any:
    if value is None or isinstance(value, int):
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return int(number) if number.is_integer() and abs(number) < 2**53 else number
