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
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import replace
from functools import partial
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy import Connection
from sqlalchemy import FromClause
from sqlalchemy import Select
from sqlalchemy import literal
from sqlalchemy import select
from sqlalchemy import union

from loom.metadata.catalog import Entity
from loom.metadata.catalog import Field

from ..actor import Actor
from ..database import transaction
from ..identity import department_subtree
from ..money import DEFAULT_CURRENCY
from ..money import DEFAULT_LOCALE
from ..permissions import SCOPES
from ..records.cel_filter import sql_filter
from ..records.errors import FieldError
from ..records.errors import ValidationFailed
from ..records.logic import cel_value
from ..records.query import Condition
from ..records.service import RecordService
from ..tables import RecordTables
from . import sources
from . import sql
from .combined import merge
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
from .model import Series
from .model import report_of
from .periods import Period
from .periods import period as make_period
from .results import Axis
from .results import Pivot
from .results import Result
from .results import Row
from .results import measured
from .results import natural_order
from .results import ordered

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
            if d.entity or d.spec.get("source") or d.spec.get("series")
        }

    # -- which reports -----------------------------------------------------------------------

    def visible(self, actor: Actor) -> list[Report]:
        """The reports the actor may open: one of their roles is named (or none is), they may read
        the entity, and no field the report reads is hidden from them."""
        found = []
        for report in self.reports.values():
            if not self._may_open(actor, report):
                continue
            parts = [self._part(report, s) for s in report.series] or [report]
            try:
                for part in parts if not report.source else ():
                    self._check_visible(actor, part, self.runtime.catalog.entity(part.entity))
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
        entities = [s.entity for s in report.series] or [report.entity]
        catalog = self.runtime.catalog
        if not all(permissions.decide(actor, catalog.entity(name), "read").allowed for name in entities):
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
        if report.series:
            return self._run_series(report, actor, request, conn)
        return self._run_entity(report, actor, request, conn)

    def _run_entity(
        self, report: Report, actor: Actor, request: Request, conn: Connection | None, *, drill: bool = True
    ) -> Result:
        """A report over one entity; ``drill`` attaches each figure's list of records."""
        tables = self.runtime.schema.of(report.entity)
        entity = tables.entity
        chart = request.chart or report.chart
        if chart not in CHARTS:
            raise BadReportParameter("chart", chart)
        axes = [self._axis(entity, d) for d in report.dimensions]
        self._check_visible(actor, report, entity)
        now = self.records.clock()
        chosen = self._period(request, now) if request.period else None
        with transaction(self.runtime.engine, conn, read=True) as c:
            sql.prepare(c)
            plan = self._plan(c, actor, report, tables, axes, request.filters, now, chosen)
            result = Result(report, entity, axes, [], Row((), {}), chart, request.filters, chosen)
            result.currency, result.locale = self.currency, self.locale
            result.kinds = {m.name: self._value_kind(entity, m.field) for m in report.measures if m.field}
            self._fill(c, actor, plan, result)
            if chosen is not None:
                before = self._plan(c, actor, report, tables, axes, request.filters, now, chosen.previous())
                result.previous = measured(report, sql.group(c, before, [])[0][1])
            if drill:
                members = partial(self._members, c)
                Drill(report, entity, self.zone, now).attach(result, members)
        return result

    def _run_series(self, report: Report, actor: Actor, request: Request, conn: Connection | None) -> Result:
        """A report over several entities: each series runs as a report of its own entity, in
        the viewer's scope and period, and the results meet on the shared dimensions' values."""
        _refuse_filters(request)  # a viewer filter names one entity's field; the series have several
        with transaction(self.runtime.engine, conn, read=True) as c:
            parts = [
                self._run_entity(self._part(report, s), actor, request, c, drill=False) for s in report.series
            ]
        return merge(report, parts, request.chart or report.chart)

    def _part(self, report: Report, series: Series) -> Report:
        """One series as a report of its entity, its dimensions renamed to the entity's fields."""
        return replace(
            report,
            entity=series.entity,
            dimensions=tuple(replace(d, path=series.keys[d.path]) for d in report.dimensions),
            measures=series.measures,
            filter=series.filter,
            date_field=series.date_field,
            sort=None,
            limit=None,
            others=False,
            series=(),
        )

    def _run_source(self, report: Report, actor: Actor, request: Request, conn: Connection | None) -> Result:
        """A report over approvals or approval tasks: the same grouping, totals and periods, no
        viewer filters beyond the period and no drill-down (there is no list of such rows)."""
        source = report.source or ""
        chart = request.chart or report.chart
        if chart not in CHARTS:
            raise BadReportParameter("chart", chart)
        _refuse_filters(request)
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
            people = self._people(c, actor, report)
            if people is not None:  # by the initiator of an approval, the approver of a task
                person = rows.c["initiator" if source == "approvals" else "assignee"]
                rows = select(rows).where(person.in_(people)).subquery(source)
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
                result.previous = measured(report, sql.group(c, before, [])[0][1])
        for i, axis in enumerate(axes):
            keys = {row.keys[i] for row in result.rows} | set(
                result.pivot.columns if result.pivot and i else ()
            )
            result.labels[i] = sources.titles(self.runtime.catalog, axis.kind, keys)
        return result

    def _people(self, c: Connection, actor: Actor, report: Report) -> Select[Any] | None:
        """The people whose approvals the viewer's widest role counts (None: everyone's)."""
        permissions = self.access.permissions
        scopes = dict(report.scope)
        held = permissions.roles_of(actor) & set(report.roles)
        widest = max((SCOPES.index(scopes.get(role, "all")) for role in held), default=len(SCOPES) - 1)
        if permissions.is_superuser(actor) or SCOPES[widest] == "all":
            return None
        me = select(literal(actor.id))
        if SCOPES[widest] == "subordinates":
            return union(me, self.access.subordinates(c, actor))  # type: ignore[return-value]
        if SCOPES[widest] == "own" or actor.department_id is None:
            return me
        users = self.runtime.schema.metadata.tables["loom_users"]
        subtree = department_subtree(
            c, self.runtime.schema.metadata.tables["loom_departments"], actor.department_id
        )
        return select(users.c.id).where(users.c.department_id.in_(subtree))

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
            if axis.dimension.aging:
                today = now.astimezone(self.zone).date()
                column = sql.aging(column, axis.dimension.aging, today, c.dialect.name)
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
        if dimension.granularity and axis.kind in ("date", "datetime"):  # else a year number
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
        kind = _kind(entity.field(name)) if entity.has_field(name) else None
        if kind == "integer":  # a year number (a yearly target): the years the period touches
            last = chosen.end - dt.timedelta(days=1)
            return (column >= chosen.start.year) & (column <= last.year)
        if kind == "date":
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
        result.totals = Row((), measured(report, sql.group(c, plan, [])[0][1]))
        ranks: dict[int, dict[Any, int]] = {}
        for i, axis in enumerate(axes):
            ids = {row.keys[i] for row in rows if isinstance(row.keys[i], int)}
            result.titles[i], ranks[i] = self._references(c, actor, axis, ids)

        def natural(i: int, key: Any) -> tuple[Any, ...]:
            return natural_order(axes[i], key, ranks[i])

        if not axes:
            result.rows = [Row((), dict(result.totals.values))]
            return
        firsts = (
            rows
            if len(axes) == 1
            else [self._row(report, axes[:1], k, v) for k, v in sql.group(c, plan, [0])]
        )
        firsts = ordered(report, axes[0], firsts, lambda key: natural(0, key))
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
        return Row(tuple(_key(a, k) for a, k in zip(axes, keys, strict=True)), measured(report, values))

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


def _refuse_filters(request: Request) -> None:
    """A report that takes no viewer filter but the period refuses the first one it is given."""
    if request.filters:
        field = request.filters[0].field
        raise ValidationFailed([FieldError("filter.0", "bad_field", {"field": field})])


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
    if axis.dimension.aging:  # the first day of a days-ago bucket
        return int(value)
    if axis.dimension.granularity and axis.kind == "integer":  # a year number in a yearly series
        return dt.date(int(value), 1, 1)
    if axis.dimension.granularity or axis.kind == "date":
        return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
    if axis.kind == "boolean":
        return bool(value)
    return value


def _raw(key: Any) -> Any:
    """A key back as the query compares it (a bucket is compared as its text)."""
    return key.isoformat() if isinstance(key, dt.date) else key
