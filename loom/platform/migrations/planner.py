"""Plan a migration: turn the differences between target and live database into ordered steps.

Planning only reads the database (to compare and to count the rows each step touches), so a
plan can be shown, tested and refused without side effects. The order of ``PHASES`` makes
every step find what it needs: tables before the columns that reference them, constraints
dropped before columns change and added after, purges last.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection
from sqlalchemy import Engine
from sqlalchemy import MetaData
from sqlalchemy.schema import sort_tables
from sqlalchemy.schema import sort_tables_and_constraints

from loom.metadata.catalog import Catalog
from loom.metadata.catalog import Label

from ..database import reading
from ..runtime import Runtime
from ..tables import Schema
from ..tables import build_schema
from . import ops
from .archive import archive_name
from .compare import Diff
from .compare import compare
from .compare import owner
from .conversions import unconvertible
from .counts import RowCounter
from .typediff import TypeChange
from .typediff import changed_values
from .typediff import classify

PHASES: tuple[type[ops.Op], ...] = (
    ops.CreateTable,
    ops.RenameColumn,
    ops.DropForeignKey,
    ops.DropUniqueConstraint,
    ops.DropIndex,
    ops.AddColumn,
    ops.WidenColumn,
    ops.NarrowColumn,
    ops.ChangeColumnType,
    ops.AddIndex,
    ops.AddUniqueConstraint,
    ops.AddForeignKey,
    ops.RetireColumn,
    ops.RetireTable,
    ops.PurgeColumn,
    ops.PurgeTable,
)
TYPE_OPS: dict[TypeChange, type[ops.ColumnTypeOp]] = {
    TypeChange.WIDEN: ops.WidenColumn,
    TypeChange.NARROW: ops.NarrowColumn,
    TypeChange.CHANGE: ops.ChangeColumnType,
}


def plan(
    source: Runtime | Engine,
    schema: Schema | None = None,
    catalog: Catalog | None = None,
    *,
    purge_retired: bool = False,
    allow_destructive: bool = False,
) -> ops.Plan:
    """Plan the migration of the live database to a Catalog's schema.

    ``source`` is a Runtime, or an Engine given with the ``catalog`` (and optionally its
    ``schema``). Steps the flags do not allow are listed in ``Plan.refused``.
    """
    if isinstance(source, Runtime):
        engine, schema, catalog = source.engine, source.schema, source.catalog
    elif catalog is None:
        raise TypeError("plan(engine, ...) needs the catalog")
    else:
        engine, schema = source, schema or build_schema(catalog, engine.dialect.name)
    flags = {ops.PURGE_RETIRED: purge_retired, ops.ALLOW_DESTRUCTIVE: allow_destructive}
    with reading(engine) as conn:  # a plan only reads; on SQLite it need not block writers
        planner = _Planner(conn, schema, purge_retired)
        steps = planner.steps(compare(conn, schema.metadata, owner(catalog, schema.metadata)))
        refused = [*planner.refused, *(_refusal(step) for step in steps if _needs_flag(step, flags))]
    return ops.Plan(tuple(steps), tuple(refused), engine.dialect.name, purge_retired, allow_destructive)


def renames(schema: Schema) -> dict[tuple[str, str], str]:
    """``(table, column) → former column name`` for every field declaring ``renamed_from``."""
    found = {}
    for records in schema.records.values():
        for tables in records.walk():
            for field in tables.entity.fields:
                if field.renamed_from and field.name in tables.table.c:
                    found[(tables.table.name, field.name)] = field.renamed_from
    return found


def _needs_flag(step: ops.Op, flags: dict[str, bool]) -> bool:
    return step.needs is not None and not flags[step.needs]


def _refusal(step: ops.Op) -> ops.Refusal:
    reason = Label(f"可能改变或丢失 {step.rows} 行数据", f"may change or lose data in {step.rows} row(s)")
    return ops.Refusal(step, reason, step.needs)


class _Planner:
    """Turns Diffs into ops, consulting the live database for row counts and duplicates."""

    def __init__(self, conn: Connection, schema: Schema, purge_retired: bool) -> None:
        self.conn = conn
        self.metadata: MetaData = schema.metadata
        self.renames = renames(schema)
        self.purge = purge_retired
        self.stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S")
        self.refused: list[ops.Refusal] = []
        self.new_tables: set[str] = set()
        self.gone_tables: set[str] = set()
        self.added: set[tuple[str, str]] = set()
        self.removed: set[tuple[str, str]] = set()  # retired or purged columns
        self.renamed: set[tuple[str, str]] = set()  # (table, column) on both sides of a rename
        self.counter = RowCounter(conn)

    def steps(self, diffs: list[Diff]) -> list[ops.Op]:
        found = list(self._renames(diffs))
        self.new_tables = {d.table for d in diffs if d.kind == "add_table"}
        self.gone_tables = {d.table for d in diffs if d.kind == "remove_table"}
        self.added = {(d.table, d.name or "") for d in diffs if d.kind == "add_column"} - self.renamed
        self.removed = {(d.table, d.name or "") for d in diffs if d.kind == "remove_column"} - self.renamed
        found += [*self._new_tables(), *self._dropped_tables(diffs)]
        for diff in diffs:
            handler = HANDLERS.get(diff.kind)
            if handler is not None:
                found.extend(handler(self, diff))
        return sorted(found, key=lambda step: PHASES.index(type(step)))

    # -- steps that look at several diffs at once -----------------------------------------

    def _renames(self, diffs: list[Diff]) -> Iterator[ops.Op]:
        """A target column declared ``renamed_from`` a live column that is gone from the target."""
        added = {(d.table, d.name): d for d in diffs if d.kind == "add_column"}
        removed = {(d.table, d.name): d for d in diffs if d.kind == "remove_column"}
        for (name, new), old in self.renames.items():
            if (name, new) not in added or (name, old) not in removed:
                continue
            self.renamed |= {(name, new), (name, old)}
            yield ops.RenameColumn(
                table=name, column=new, old_name=old, rows=self.counter.rows(name), detail=f"{old} → {new}"
            )
            live, target = removed[(name, old)].target.type, added[(name, new)].target.type
            yield from self.change_type(Diff("modify_type", name, new, target, live))

    def _new_tables(self) -> Iterator[ops.Op]:
        """New tables in dependency order; where ALTER exists, cycles become AddForeignKey steps."""
        alter = self.conn.dialect.supports_alter
        tables = [self.metadata.tables[name] for name in sorted(self.new_tables)]
        for new, foreign_keys in sort_tables_and_constraints(tables):
            if new is not None:
                inline = foreign_keys if alter else new.foreign_key_constraints
                yield ops.CreateTable(table=new.name, definition=new, inline_foreign_keys=frozenset(inline))
            elif alter:
                for fk in foreign_keys:
                    yield ops.AddForeignKey(
                        table=fk.table.name, column=fk.name, detail=_describe(fk), constraint=fk
                    )

    def _dropped_tables(self, diffs: list[Diff]) -> Iterator[ops.Op]:
        """Tables gone from the target: retired, or purged, tables referencing others first."""
        names = [d.table for d in diffs if d.kind == "remove_table"]
        if not self.purge:
            yield from (ops.RetireTable(table=name, rows=self.counter.rows(name)) for name in names)
            return
        reflected = MetaData()
        reflected.reflect(self.conn, only=names)
        for name in reversed([t.name for t in sort_tables([reflected.tables[n] for n in names])]):
            archive = archive_name(name, None, self.stamp)
            yield ops.PurgeTable(
                table=name, rows=self.counter.rows(name), archive=archive, detail=f"→ {archive}"
            )

    # -- one diff at a time -----------------------------------------------------------------

    def add_column(self, diff: Diff) -> Iterator[ops.Op]:
        if (diff.table, diff.name) in self.added:
            yield ops.AddColumn(
                table=diff.table, column=diff.name, rows=self.counter.rows(diff.table), definition=diff.target
            )

    def remove_column(self, diff: Diff) -> Iterator[ops.Op]:
        if (diff.table, diff.name) not in self.removed:
            return
        rows = self.counter.values(diff.table, diff.name or "")
        if not self.purge:
            yield ops.RetireColumn(table=diff.table, column=diff.name, rows=rows)
            return
        archive = archive_name(diff.table, diff.name, self.stamp)
        yield ops.PurgeColumn(
            table=diff.table, column=diff.name, rows=rows, archive=archive, detail=f"→ {archive}"
        )

    def change_type(self, diff: Diff) -> Iterator[ops.Op]:
        dialect = self.conn.dialect
        change = classify(diff.live, diff.target, dialect)
        if change is TypeChange.SAME:
            return
        kind = TYPE_OPS[change]
        where = changed_values(diff.live, diff.target, dialect) if kind.destructive else None
        step = kind(
            table=diff.table,
            column=diff.name,
            rows=self.counter.rows_where(diff.table, diff.name or "", where),
            detail=f"{diff.live.compile(dialect)} → {diff.target.compile(dialect)}",
            archive=archive_name(diff.table, diff.name, self.stamp) if kind.destructive else None,
            old_type=diff.live,
            new_type=diff.target,
        )
        if kind.destructive:
            cut = kind is ops.NarrowColumn
            failing = unconvertible(self.conn, diff.table, diff.name or "", diff.target, cut_strings=cut)
            if failing is not None:
                name = f"{diff.table}.{diff.name}"
                self.refused.append(ops.Refusal(step, failing.reason(name, diff.target.compile(dialect))))
        yield step

    def add_index(self, diff: Diff) -> Iterator[ops.Op]:
        if diff.table not in self.new_tables:
            yield ops.AddIndex(**self._about(diff), index=diff.target)

    def add_unique(self, diff: Diff) -> Iterator[ops.Op]:
        if diff.table in self.new_tables:
            return
        step = ops.AddUniqueConstraint(**self._about(diff), constraint=diff.target)
        names = [c.name for c in diff.target.columns]
        duplicated = self.counter.duplicates(diff.table, names)
        if duplicated:
            listed = ", ".join(names)
            reason = Label(
                f"{diff.table} 的 ({listed}) 有 {duplicated} 个值重复出现；请先消除重复",
                f"{duplicated} value(s) of ({listed}) occur more than once in {diff.table}; "
                "make them unique first",
            )
            self.refused.append(ops.Refusal(step, reason))
        yield step

    def add_foreign_key(self, diff: Diff) -> Iterator[ops.Op]:
        columns = self._columns(diff)
        if diff.table in self.new_tables or columns <= self.added or columns & self.renamed:
            return  # created with its table or column; a renamed column keeps its own
        yield ops.AddForeignKey(**self._about(diff), constraint=diff.target)

    def remove_index(self, diff: Diff) -> Iterator[ops.Op]:
        if self._drops(diff):
            yield ops.DropIndex(**self._about(diff))

    def remove_unique(self, diff: Diff) -> Iterator[ops.Op]:
        if self._drops(diff):
            yield ops.DropUniqueConstraint(**self._about(diff))

    def remove_foreign_key(self, diff: Diff) -> Iterator[ops.Op]:
        if self._drops(diff) and not self._columns(diff) & self.renamed:  # a rename keeps its key
            yield ops.DropForeignKey(**self._about(diff), constraint=diff.target)

    def _drops(self, diff: Diff) -> bool:
        """Whether to drop this index or constraint: not if it stays with a retired column or goes
        with its table. Those of purged columns are dropped first, as SQLite's rebuild needs."""
        return diff.table not in self.gone_tables and (self.purge or not self._columns(diff) & self.removed)

    def _about(self, diff: Diff) -> dict[str, Any]:
        """The common fields of an index or constraint step."""
        return {
            "table": diff.table,
            "column": diff.name,
            "rows": self.counter.rows(diff.table),
            "detail": _describe(diff.target),
        }

    @staticmethod
    def _columns(diff: Diff) -> set[tuple[str, str]]:
        return {(diff.table, c.name) for c in diff.target.columns}


def _describe(target: Any) -> str:
    """An index or constraint's columns, and for a foreign key the table it points at."""
    columns = ", ".join(c.name for c in target.columns)
    referred = getattr(target, "referred_table", None)
    return f"({columns}) → {referred.name}" if referred is not None else columns


HANDLERS: dict[str, Callable[[_Planner, Diff], Iterator[ops.Op]]] = {
    "add_column": _Planner.add_column,
    "remove_column": _Planner.remove_column,
    "modify_type": _Planner.change_type,
    "add_index": _Planner.add_index,
    "remove_index": _Planner.remove_index,
    "add_constraint": _Planner.add_unique,
    "remove_constraint": _Planner.remove_unique,
    "add_fk": _Planner.add_foreign_key,
    "remove_fk": _Planner.remove_foreign_key,
}
