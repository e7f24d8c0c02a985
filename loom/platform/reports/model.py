"""A report document as the runtime reads it: typed dimensions, measures and options.

Built from a validated Catalog definition, so nothing here re-checks names; the metadata
checks (``loom.metadata.checks.reports``) have already located every mistake in its file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from loom.metadata.catalog import Definition
from loom.metadata.catalog import Label
from loom.metadata.expressions import Expression

CHARTS = (
    "table", "bar", "stacked_bar", "horizontal_bar", "line", "area",
    "pie", "donut", "funnel", "number", "pivot",
)  # fmt: skip
ADDITIVE = ("count", "sum")


@dataclass(frozen=True, slots=True)
class Dimension:
    """``path`` is a field, a system column, or ``head.step`` through a link, user or department."""

    path: str
    label: Label | None  # None: the field's own label
    granularity: str | None = None
    aging: tuple[int, ...] = ()  # days-ago buckets up to the site's today (receivables aging)

    def aging_end(self, start: int) -> int | None:
        """The last day of the days-ago bucket that starts at ``start`` (None: the open-ended one)."""
        return next((bound for bound in self.aging if bound >= start), None)

    @property
    def head(self) -> str:
        return self.path.partition(".")[0]

    @property
    def step(self) -> str | None:
        return self.path.partition(".")[2] or None


@dataclass(frozen=True, slots=True)
class Measure:
    name: str
    label: Label
    aggregate: str
    field: str | None = None
    of: tuple[str, str] | None = None


@dataclass(frozen=True, slots=True)
class Series:
    """One entity's share of a report over several: its own filter and measures, and the field
    of the entity that each of the report's shared dimensions reads."""

    entity: str
    keys: Mapping[str, str]  # the report's dimension name -> this entity's field
    measures: tuple[Measure, ...]
    filter: Expression | None = None
    date_field: str | None = None


@dataclass(frozen=True, slots=True)
class Report:
    app: str
    name: str
    label: Label
    entity: str
    dimensions: tuple[Dimension, ...]
    measures: tuple[Measure, ...]
    chart: str = "table"
    filter: Expression | None = None
    date_field: str | None = None
    sort: str | None = None
    limit: int | None = None
    others: bool = False
    roles: tuple[str, ...] = ()
    description: Label | None = None
    source: str | None = None  # platform data (approvals, approval_tasks) instead of an entity
    series: tuple[Series, ...] = ()  # several entities on shared dimensions instead of one
    scope: tuple[tuple[str, str], ...] = ()  # approval statistics: (role, how far it sees)

    @property
    def qualified_name(self) -> str:
        return f"{self.app}.{self.name}"

    def measure(self, name: str) -> Measure:
        return next(m for m in self.measures if m.name == name)

    @property
    def period_field(self) -> str:
        """The field time presets filter on: declared, else the first bucketed dimension, else
        created_at (an approval's started_at)."""
        if self.date_field:
            return self.date_field
        dated = next((d for d in self.dimensions if d.granularity and not d.step), None)
        if dated:
            return dated.path
        return "started_at" if self.source == "approvals" else "created_at"


def _label(value: Any, fallback: str) -> Label:
    """A label of the frozen spec (a read-only mapping, which ``Label.of`` takes for a plain string)."""
    return Label.of(dict(value) if isinstance(value, Mapping) else value, fallback)


def _measure(spec: Mapping[str, Any]) -> Measure:
    return Measure(
        spec["name"],
        _label(spec.get("label"), spec["name"]),
        spec["aggregate"],
        spec.get("field"),
        (spec["of"][0], spec["of"][1]) if "of" in spec else None,
    )


def _series(definition: Definition) -> tuple[Series, ...]:
    return tuple(
        Series(
            entity=part["entity"] if "." in part["entity"] else f"{definition.app}.{part['entity']}",
            keys=dict(part.get("dimensions", {})),
            measures=tuple(_measure(m) for m in part["measures"]),
            filter=definition.expressions.get(f"/series/{i}/filter"),
            date_field=part.get("date_field"),
        )
        for i, part in enumerate(definition.spec.get("series", ()))
    )


def report_of(definition: Definition) -> Report:
    """The runtime's report; over several entities, its measures are every series' followed by
    its own ratios, so presenting and totalling see one list."""
    spec = definition.spec
    series = _series(definition)
    return Report(
        app=definition.app,
        name=definition.name,
        label=definition.label,
        entity=definition.entity or "",
        dimensions=tuple(
            Dimension(
                d.get("field") or d["name"],
                _label(d["label"], d.get("field") or d["name"]) if "label" in d else None,
                d.get("granularity"),
                tuple(d.get("aging", ())),
            )
            for d in spec.get("dimensions", ())
        ),
        measures=(
            *(m for part in series for m in part.measures),
            *(_measure(m) for m in spec.get("measures", ())),
        ),
        chart=spec.get("chart", "table"),
        filter=definition.expressions.get("/filter"),
        date_field=spec.get("date_field"),
        sort=spec.get("sort"),
        limit=spec.get("limit"),
        others=bool(spec.get("others", False)),
        roles=tuple(spec.get("roles", ())),
        description=_label(spec["description"], "") if spec.get("description") else None,
        source=spec.get("source"),
        series=series,
        scope=tuple(spec.get("scope", {}).items()),
    )
