"""Running a report: the viewer's scope, filters and period, one aggregate query, totals.

A report is compiled to a grouped SELECT over its entity's table inside the records
service's read scope (the same clause a list uses, so no report counts a record its
viewer cannot open), with the report's CEL filter pushed down by the records service's
CEL-to-SQL translation. A report that names a field hidden from the viewer is refused
whole (403), never answered with the field blanked. Totals are separate groupings of the
same rows, so an average or a distinct count is right in the totals too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from dataclasses import replace
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy import Connection
from sqlalchemy import FromClause
from sqlalchemy import select

from loom.metadata.catalog import Entity
from loom.metadata.catalog import Field
from loom.metadata.catalog import Label

from ..actor import Actor
from ..database import transaction
from ..money import DEFAULT_CURRENCY
from ..money import DEFAULT_LOCALE
from ..records.cel_filter import sql_filter
from ..records.errors import FieldError
from ..records.errors import ValidationFailed
from ..records.logic import cel_value
from ..records.query import Condition
from ..records.service import RecordService
from ..tables import RecordTables
from . import sources
from . import sql
from .drill import Drill
from .errors import BadReportParameter
from .errors import HiddenField
from .errors import ReportForbidden
from .errors import ReportNotFound
from .errors import ReportNotSql
from .errors import TooManyGroups
from .model import CHARTS
from .model import Dimension
from .model import Report
from .model import report_of
from .periods import Period
from .periods import period as make_period

SYSTEM_KINDS = {
    "id": "integer",
    "created_at": "datetime",
    "updated_at": "datetime",
    "created_by": "user",
    "updated_by": "user",
    "owner": "user",
    "flow_status": "flow_status",
}
PLATFORM = {"user": "loom_users", "department": "loom_departments"}


@dataclass(frozen=True, slots=True)
class Request:
    """What a viewer asks of a report besides its document."""

    filters: tuple[Condition, ...] = ()
    period: str | None = None
    start: str | None = None
    end: str | None = None
    chart: str | None = None


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


class ReportService:
    """The reports of one runtime, run as a viewer through the records service's rules."""

    def __init__(self, records: RecordService) -> None:
        self.records = records
        self.runtime = records.runtime
        self.access = records.access
        self.zone = records.schemas.tz
        site = self.runtime.site
        self.currency = site.settings.currency if site else DEFAULT_CURRENCY
        self.locale = site.settings.locale if site else DEFAULT_LOCALE
        self.reports = {
            d.qualified_name: report_of(d)
            for d in self.runtime.catalog.of_kind("report")
            if d.entity or d.spec.get("source")
        }

    # -- which reports -----------------------------------------------------------------------

    def visible(self, actor: Actor) -> list[Report]:
        """The reports the actor may open: one of their roles is named (or none is), they may read
        the entity, and no field the report reads is hidden from them."""
        found = []
        for report in self.reports.values():
            if not self._may_open(actor, report):
                continue
            if report.source:
                found.append(report)
                continue
            entity = self.runtime.catalog.entity(report.entity)
            try:
                self._check_visible(actor, report, entity)
            except HiddenField:
                continue
            found.append(report)
        return found

    def report(self, name: str, actor: Actor) -> Report:
        found = self.reports.get(name)
        if found is None:
            raise ReportNotFound(report=name)
        if not self._may_open(actor, found):
            raise ReportForbidden(report=name)
        return found

    def _may_open(self, actor: Actor, report: Report) -> bool:
        permissions = self.access.permissions
        if report.source:  # platform data: admins and the roles the report names, none else
            return permissions.is_superuser(actor) or bool(permissions.roles_of(actor) & set(report.roles))
        entity = self.runtime.catalog.entity(report.entity)
        if not permissions.decide(actor, entity, "read").allowed:
            return False
        return (
            permissions.is_superuser(actor)
            or not report.roles
            or bool(permissions.roles_of(actor) & set(report.roles))
        )

    # -- running -----------------------------------------------------------------------------

    def run(
        self, name: str, actor: Actor, request: Request = Request(), *, conn: Connection | None = None
    ) -> Result:
        report = self.report(name, actor)
        if report.source:
            return self._run_source(report, actor, request, conn)
        tables = self.runtime.schema.of(report.entity)
        entity = tables.entity
        chart = request.chart or report.chart
        if chart not in CHARTS:
            raise BadReportParameter("chart", chart)
        axes = [self._axis(entity, d) for d in report.dimensions]
        self._check_visible(actor, report, entity)
        now = self.records.clock()
        chosen = self._period(request, now) if request.period else None
        drill = Drill(report, entity, self.zone, now)
        with transaction(self.runtime.engine, conn, read=True) as c:
            sql.prepare(c)
            plan = self._plan(c, actor, report, tables, axes, request.filters, now, chosen)
            result = Result(report, entity, axes, [], Row((), {}), chart, request.filters, chosen)
            result.currency, result.locale = self.currency, self.locale
            result.kinds = {m.name: self._value_kind(entity, m.field) for m in report.measures if m.field}
            self._fill(c, actor, plan, result)
            if chosen is not None:
                before = self._plan(c, actor, report, tables, axes, request.filters, now, chosen.previous())
                result.previous = self._values(report, sql.group(c, before, [])[0][1])
            drill.attach(result, lambda user_department: self._members(c, user_department))
        return result

    def _run_source(self, report: Report, actor: Actor, request: Request, conn: Connection | None) -> Result:
        """A report over approvals or approval tasks: the same grouping, totals and periods, no
        viewer filters beyond the period and no drill-down (there is no list of such rows)."""
        source = report.source or ""
        chart = request.chart or report.chart
        if chart not in CHARTS:
            raise BadReportParameter("chart", chart)
        if request.filters:
            condition = request.filters[0]
            raise ValidationFailed([FieldError("filter.0", "bad_field", {"field": condition.field})])
        axes = []
        for declared in report.dimensions:
            d = declared if declared.label else replace(declared, label=sources.LABELS.get(declared.path))
            kind = "boolean" if d.head == "overdue" else sources.kind_of(source, d.head)
            if d.step:
                axes.append(Axis(d, "department", None, "department"))
            else:
                axes.append(Axis(d, kind, None, kind if kind == "user" else None))
        now = self.records.clock()
        chosen = self._period(request, now) if request.period else None
        with transaction(self.runtime.engine, conn, read=True) as c:
            sql.prepare(c)
            metadata, catalog = self.runtime.schema.metadata, self.runtime.catalog
            rows = sources.rows_of(source, metadata, c.dialect.name, catalog, now)
            plan = self._source_plan(c, report, rows, axes, chosen)
            result = Result(report, None, axes, [], Row((), {}), chart, (), chosen)
            result.currency, result.locale = self.currency, self.locale
            result.kinds = {
                m.name: ("hours", None) if m.field == "hours" else (sources.kind_of(source, m.field), None)
                for m in report.measures
                if m.field
            }
            self._fill(c, actor, plan, result)
            if chosen is not None:
                before = self._source_plan(c, report, rows, axes, chosen.previous())
                result.previous = self._values(report, sql.group(c, before, [])[0][1])
        for i, axis in enumerate(axes):
            keys = {row.keys[i] for row in result.rows} | set(
                result.pivot.columns if result.pivot and i else ()
            )
            result.labels[i] = sources.titles(self.runtime.catalog, axis.kind, keys)
        return result

    def _source_plan(
        self, c: Connection, report: Report, rows: Any, axes: list[Axis], chosen: Period | None
    ) -> sql.Plan:
        where: list[ColumnElement[bool]] = []
        if chosen is not None:
            start, end = chosen.bounds(self.zone)
            dated = rows.c[report.period_field]
            where.append((dated >= start) & (dated < end))
        source: FromClause = rows
        columns = []
        for i, axis in enumerate(axes):
            dimension = axis.dimension
            column: Any = rows.c[dimension.head]
            if dimension.step:  # a person's department
                joined = self.runtime.schema.metadata.tables["loom_users"].alias(f"j{i}")
                source = source.outerjoin(joined, joined.c.id == column)
                column = joined.c.department_id
            if dimension.granularity:
                column = sql.bucket(column, dimension.granularity, True, c.dialect.name, self.zone.key)
            columns.append(column)
        measures = [
            (m.name, sql.aggregate(m, rows.c[m.field] if m.field else None))
            for m in report.measures
            if m.aggregate != "ratio"
        ]
        return sql.Plan(source, tuple(where), tuple(columns), tuple(measures))

    def _axis(self, entity: Entity, dimension: Dimension) -> Axis:
        head, step = dimension.head, dimension.step
        field = entity.field(head) if entity.has_field(head) else None
        kind = _kind(field) if field else SYSTEM_KINDS[head]
        if step is None:
            return Axis(dimension, kind, field, _target(field, kind))
        if kind == "user":  # the only step from a person: their department
            return Axis(dimension, "department", None, "department")
        target = self.runtime.catalog.entity(field.entity or "") if field else None
        assert target is not None
        stepped = target.field(step) if target.has_field(step) else None
        stepped_kind = _kind(stepped) if stepped else SYSTEM_KINDS[step]
        return Axis(dimension, stepped_kind, stepped, _target(stepped, stepped_kind))

    def _check_visible(self, actor: Actor, report: Report, entity: Entity) -> None:
        """Every field the report reads must be visible to the viewer, on each entity it reaches."""
        hidden = self.access.hidden(actor, entity)
        used = [d.head for d in report.dimensions] + [m.field for m in report.measures if m.field]
        used.append(report.period_field)
        for name in used:
            if name in hidden:
                raise HiddenField(report=report.qualified_name, field=name)
        for dimension in report.dimensions:
            field = entity.field(dimension.head) if entity.has_field(dimension.head) else None
            if dimension.step and field is not None and field.type == "link":
                target = self.runtime.catalog.entity(field.entity or "")
                if dimension.step in self.access.hidden(actor, target):
                    raise HiddenField(report=report.qualified_name, field=dimension.path)

    def _period(self, request: Request, now: dt.datetime) -> Period:
        return make_period(request.period or "", now.astimezone(self.zone).date(), request.start, request.end)

    # -- the query ---------------------------------------------------------------------------

    def _plan(
        self,
        c: Connection,
        actor: Actor,
        report: Report,
        tables: RecordTables,
        axes: list[Axis],
        filters: Sequence[Condition],
        now: dt.datetime,
        chosen: Period | None,
    ) -> sql.Plan:
        table = tables.table
        decision = self.access.require(actor, tables.entity, "read")
        where: list[ColumnElement[bool]] = []
        scope = self.access.clause(c, actor, tables, decision)
        if scope is not None:
            where.append(scope)
        if report.filter is not None:
            names = {"today": now.date().isoformat(), "now": cel_value(now), "current_user": actor.id}
            pushed = sql_filter(report.filter, tables.entity, table, names)
            if not pushed.exact:
                raise ReportNotSql(report=report.qualified_name)
            where.append(pushed.clause)
        where.extend(self._viewer_filters(c, actor, report, tables, filters))
        if chosen is not None:
            where.append(self._within(tables, report.period_field, chosen))
        source: FromClause = table
        columns = []
        for i, axis in enumerate(axes):
            column, source = self._dimension_column(c, actor, tables, axis, source, i)
            columns.append(column)
        measures = []
        for measure in report.measures:
            if measure.aggregate != "ratio":
                column = table.c[measure.field] if measure.field else None
                measures.append((measure.name, sql.aggregate(measure, column)))
        return sql.Plan(source, tuple(where), tuple(columns), tuple(measures))

    def _dimension_column(
        self, c: Connection, actor: Actor, tables: RecordTables, axis: Axis, source: FromClause, i: int
    ) -> tuple[Any, FromClause]:
        table, dimension = tables.table, axis.dimension
        column: Any = table.c[dimension.head]
        if dimension.step:
            field = tables.entity.field(dimension.head) if tables.entity.has_field(dimension.head) else None
            if field is not None and field.type == "link":
                linked = self.runtime.schema.of(field.entity or "")
                joined = linked.table.alias(f"j{i}")
                on = joined.c.id == column
                readable = self.records._guard(c, actor, linked)[0]
                if readable is not None:  # a linked record the viewer cannot read counts as empty
                    on = on & joined.c.id.in_(select(linked.table.c.id).where(readable))
                column = joined.c[dimension.step]
            else:
                joined = self.runtime.schema.metadata.tables["loom_users"].alias(f"j{i}")
                on = joined.c.id == column
                column = joined.c.department_id
            source = source.outerjoin(joined, on)
        if dimension.granularity:
            is_datetime = axis.kind == "datetime"
            column = sql.bucket(column, dimension.granularity, is_datetime, c.dialect.name, self.zone.key)
        return column, source

    def _viewer_filters(
        self, c: Connection, actor: Actor, report: Report, tables: RecordTables, filters: Sequence[Condition]
    ) -> list[ColumnElement[bool]]:
        """The viewer's filters, on the fields the entity's list offers and the report's dimensions."""
        entity = tables.entity
        allowed = set(entity.list.filters) | {d.head for d in report.dimensions} | {report.period_field}
        hidden = self.access.hidden(actor, entity)
        errors: list[FieldError] = []
        clauses = []
        lister = self.records._lister
        for i, condition in enumerate(filters):
            head = condition.field.partition(".")[0]
            if head not in allowed or head in hidden:
                errors.append(FieldError(f"filter.{i}", "bad_field", {"field": condition.field}))
                continue
            clauses.append(
                lister._condition(
                    tables,
                    condition,
                    f"filter.{i}",
                    errors,
                    lambda linked: self.records._guard(c, actor, linked),
                )
            )
        if errors:
            raise ValidationFailed(errors)
        return clauses

    def _within(self, tables: RecordTables, name: str, chosen: Period) -> ColumnElement[bool]:
        column = tables.table.c[name]
        entity = tables.entity
        is_date = entity.has_field(name) and _kind(entity.field(name)) == "date"
        if is_date:
            return (column >= chosen.start) & (column < chosen.end)
        start, end = chosen.bounds(self.zone)
        return (column >= start) & (column < end)

    # -- results -----------------------------------------------------------------------------

    def _fill(self, c: Connection, actor: Actor, plan: sql.Plan, result: Result) -> None:
        report, axes = result.report, result.axes
        grouped = sql.group(c, plan, list(range(len(axes))))
        if len(grouped) > sql.MAX_GROUPS:
            raise TooManyGroups(report=report.qualified_name, limit=sql.MAX_GROUPS)
        rows = [self._row(report, axes, keys, values) for keys, values in grouped]
        result.totals = Row((), self._values(report, sql.group(c, plan, [])[0][1]))
        ranks: dict[int, dict[Any, int]] = {}
        for i, axis in enumerate(axes):
            ids = {row.keys[i] for row in rows if isinstance(row.keys[i], int)}
            result.titles[i], ranks[i] = self._references(c, actor, axis, ids)

        def natural(i: int, key: Any) -> tuple[Any, ...]:
            return _natural(axes[i], key, ranks[i])

        if not axes:
            result.rows = [Row((), dict(result.totals.values))]
            return
        firsts = (
            rows
            if len(axes) == 1
            else [self._row(report, axes[:1], k, v) for k, v in sql.group(c, plan, [0])]
        )
        firsts = _ordered(report, axes[0], firsts, lambda key: natural(0, key))
        top = firsts if report.limit is None else firsts[: report.limit]
        rank = {r.keys[0]: i for i, r in enumerate(top)}
        rows = [r for r in rows if r.keys[0] in rank]
        rows.sort(
            key=lambda r: (
                rank[r.keys[0]],
                tuple(natural(i + 1, k) for i, k in enumerate(r.keys[1:])),
            )
        )
        result.rows = rows
        if report.others and len(firsts) > len(top):
            extra = [sql.outside(plan.dimensions[0], [_raw(k) for k in rank])]
            for keys, values in sql.group(c, plan, list(range(1, len(axes))), extra):
                row = self._row(report, axes[1:], keys, values)
                result.rows.append(Row((None, *row.keys), row.values, others=True))
        if len(axes) == 2:
            columns = [self._row(report, axes[1:], k, v) for k, v in sql.group(c, plan, [1])]
            columns.sort(key=lambda r: natural(1, r.keys[0]))
            result.pivot = Pivot(
                rows=[r.keys[0] for r in top],
                columns=[r.keys[0] for r in columns],
                cells={(r.keys[0], r.keys[1]): r for r in rows},
                row_totals={r.keys[0]: r for r in top},
                column_totals={r.keys[0]: r for r in columns},
            )

    def _row(self, report: Report, axes: Sequence[Axis], keys: Sequence[Any], values: dict[str, Any]) -> Row:
        return Row(tuple(_key(a, k) for a, k in zip(axes, keys, strict=True)), self._values(report, values))

    def _values(self, report: Report, raw: dict[str, Any]) -> dict[str, Any]:
        """Measures as numbers, with ratios worked out from the measures they divide."""
        values = {name: _number(value) for name, value in raw.items()}
        for measure in report.measures:
            if measure.aggregate == "ratio" and measure.of:
                top, bottom = values.get(measure.of[0]), values.get(measure.of[1])
                values[measure.name] = (top or 0) / bottom if bottom else None
        for measure in report.measures:
            if measure.aggregate in ("count", "count_distinct") and values.get(measure.name) is None:
                values[measure.name] = 0
        return values

    # -- titles of values --------------------------------------------------------------------

    def _references(
        self, c: Connection, actor: Actor, axis: Axis, ids: set[int]
    ) -> tuple[dict[Any, str], dict[Any, int]]:
        """Titles of the records, users or departments an axis's values refer to, and their order:
        the linked entity's list order (a funnel's stages in their order), people by name."""
        if axis.target is None or not ids:
            return {}, {}
        wanted = sorted(ids)
        if axis.target in PLATFORM:
            table = self.runtime.schema.metadata.tables[PLATFORM[axis.target]]
            query = select(table.c.id, table.c.name).where(table.c.id.in_(wanted)).order_by(table.c.name)
        else:
            linked = self.runtime.schema.of(axis.target)
            table = linked.table
            shown = table.c[linked.entity.title_field] if linked.entity.title_field else table.c.id
            keys = [k for k in linked.entity.list.sort if k.lstrip("-") in table.c]
            order = [table.c[k.lstrip("-")].desc() if k.startswith("-") else table.c[k] for k in keys]
            query = select(table.c.id, shown).where(table.c.id.in_(wanted)).order_by(*order, table.c.id)
            readable = self.records._guard(c, actor, linked)[0]
            if readable is not None:  # titles of records the viewer cannot read stay numbers
                query = query.where(readable)
        found = c.execute(query).all()
        return {row[0]: str(row[1]) for row in found}, {row[0]: i for i, row in enumerate(found)}

    def _value_kind(self, entity: Entity, name: str) -> tuple[str, str | None]:
        """The type of the values a measure reads (a rollup's: its source field's) and their currency."""
        field = entity.field(name) if entity.has_field(name) else None
        if field is not None and field.type == "rollup" and field.rollup is not None:
            if field.rollup.aggregate == "count" or field.rollup.field is None:
                return "integer", None
            source = self.runtime.catalog.entity(field.rollup.of)
            return self._value_kind(source, field.rollup.field)
        if field is None:
            return SYSTEM_KINDS.get(name, "string"), None
        return _kind(field), field.currency

    def _members(self, c: Connection, department: int) -> list[int]:
        users = self.runtime.schema.metadata.tables["loom_users"]
        return [row.id for row in c.execute(select(users.c.id).where(users.c.department_id == department))]


def _kind(field: Field | None) -> str:
    if field is None:
        return "string"
    if field.type == "computed":
        return field.result or "string"
    return field.type


def _target(field: Field | None, kind: str) -> str | None:
    if kind in ("user", "department"):
        return kind
    if kind == "link" and field is not None:
        return field.entity
    return None


def _key(axis: Axis, value: Any) -> Any:
    """A grouped value in Python terms: buckets as dates, dates as dates."""
    if value is None:
        return None
    if axis.dimension.granularity or axis.kind == "date":
        return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
    if axis.kind == "boolean":
        return bool(value)
    return value


def _ordered(report: Report, axis: Axis, rows: list[Row], natural: Callable[[Any], Any]) -> list[Row]:
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


def _raw(key: Any) -> Any:
    """A key back as the query compares it (a bucket is compared as its text)."""
    return key.isoformat() if isinstance(key, dt.date) else key


def _natural(axis: Axis, key: Any, ranks: dict[Any, int]) -> tuple[Any, ...]:
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


def _number(value: Any) -> Any:
    if value is None or isinstance(value, int):
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return int(number) if number.is_integer() and abs(number) < 2**53 else number
