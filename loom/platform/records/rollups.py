"""Rollup fields: an aggregate over related records, stored on the record it belongs to.

``received_total`` of a contract is ``sum(amount) of receivable where contract = this``.
It is recomputed from the related rows (never incremented) whenever one of them is
created, changed, re-parented or deleted, inside the same transaction and after locking
the contract row, so concurrent writers each see the others' committed rows and the
total stays exact. ``loom recompute`` rebuilds a rollup in bulk.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from typing import TYPE_CHECKING
from typing import Any

from sqlalchemy import Connection
from sqlalchemy import func
from sqlalchemy import select

from loom.metadata.catalog import Entity
from loom.metadata.catalog import Field

from ..actor import SYSTEM
from .cel_filter import matches
from .cel_filter import sql_filter
from .changes import Change
from .logic import cel_value
from .logic import stored_value
from .logic import variables

if TYPE_CHECKING:
    from .service import RecordService

_SQL: dict[str, Callable[[Any], Any]] = {
    "count": func.count,
    "sum": func.sum,
    "min": func.min,
    "max": func.max,
    "avg": func.avg,
}


class Rollups:
    """The after-write work that keeps every rollup field of the Catalog up to date."""

    def __init__(self, service: RecordService) -> None:
        self.service = service
        self.schema = service.runtime.schema
        # (source entity) -> (parent entity, link field of the source) -> rollup fields
        self._by_source: dict[str, dict[tuple[str, str], list[Field]]] = {}
        for entity in service.catalog.entities.values():
            for field in entity.fields:
                if field.type == "rollup" and field.rollup is not None:
                    key = (entity.qualified_name, field.rollup.via)
                    self._by_source.setdefault(field.rollup.of, {}).setdefault(key, []).append(field)

    def __call__(self, c: Connection, change: Change) -> None:
        for (parent, via), fields in self._by_source.get(change.entity.qualified_name, {}).items():
            if not _relevant(change, via, fields):
                continue
            ids = {r[via] for r in (change.before, change.after) if r is not None and r.get(via) is not None}
            for parent_id in sorted(ids):
                self.refresh(c, parent, parent_id, fields, change.now)

    def refresh(
        self, c: Connection, parent: str, parent_id: int, fields: list[Field], now: dt.datetime
    ) -> None:
        """Recompute ``fields`` of one record from its related rows."""

        def derive(conn: Connection) -> dict[str, Any]:
            return {f.name: self.value(conn, f, parent_id, now) for f in fields}

        self.service.store_derived(c, parent, parent_id, derive, now)

    def value(self, c: Connection, field: Field, parent_id: int, now: dt.datetime) -> Any:
        """The aggregate ``field`` declares, over the related rows of record ``parent_id``."""
        rollup = field.rollup
        assert rollup is not None
        source = self.schema.of(rollup.of)
        table = source.table
        column = table.c[rollup.field] if rollup.field else table.c.id
        where = table.c[rollup.via] == parent_id
        exact = True
        if rollup.where is not None:
            found = sql_filter(rollup.where, source.entity, table, _clock_names(now))
            where, exact = where & found.clause, found.exact
        if exact:
            result = c.execute(select(_SQL[rollup.aggregate](column)).where(where)).scalar()
            return _stored(field, result)
        rows = c.execute(select(table).where(where)).mappings()
        values = [
            row[column.key]
            for row in rows
            if matches(rollup.where, variables(source.entity, row, SYSTEM, now))  # type: ignore[arg-type]
        ]
        return _stored(field, _aggregate(rollup.aggregate, [v for v in values if v is not None]))

    def sources(self, entity: str) -> bool:
        """Whether a write of the entity's records can change a rollup."""
        return entity in self._by_source

    def fields_of(self, qualified: str) -> Iterator[tuple[str, Field]]:
        """Every rollup of the Catalog as (parent entity, field), for bulk recomputation."""
        for groups in self._by_source.values():
            for (parent, _), fields in groups.items():
                for field in fields:
                    if f"{parent}.{field.name}" == qualified or not qualified:
                        yield parent, field

    def recompute(
        self, parent: str, field: Field, *, batch: int = 500, progress: Callable[[int], None] | None = None
    ) -> int:
        """Rebuild one rollup on every record, one transaction per batch; returns how many records."""
        table = self.schema.of(parent).table
        engine = self.service.runtime.engine
        last, done = 0, 0
        while True:
            with engine.connect() as conn:
                query = select(table.c.id).where(table.c.id > last).order_by(table.c.id).limit(batch)
                ids = list(conn.execute(query).scalars())
            if not ids:
                return done
            with engine.begin() as conn:
                now = self.service.clock()
                for record_id in ids:
                    self.refresh(conn, parent, record_id, [field], now)
            last, done = ids[-1], done + len(ids)
            if progress:
                progress(len(ids))


def empty_rollups(entity: Entity) -> dict[str, Any]:
    """The rollups of a new record, which nothing refers to yet: counts and sums are 0."""
    return {f.name: _stored(f, None) for f in entity.fields if f.type == "rollup" and f.rollup is not None}


def _relevant(change: Change, via: str, fields: list[Field]) -> bool:
    """An update that moves no link and no aggregated value cannot change the rollup."""
    if change.action != "update" or any(f.rollup.where is not None for f in fields):  # type: ignore[union-attr]
        return True
    names = {via} | {f.rollup.field for f in fields if f.rollup.field}  # type: ignore[union-attr]
    return any(change.before.get(n) != change.after.get(n) for n in names)  # type: ignore[union-attr]


def _clock_names(now: dt.datetime) -> Mapping[str, Any]:
    return {"now": cel_value(now), "today": now.date().isoformat()}


def _aggregate(kind: str, values: list[Any]) -> Any:
    """The aggregate over non-null values, as SQL computes it."""
    if kind == "count":
        return len(values)
    if not values:
        return None
    if kind == "sum":
        return sum(values)
    if kind == "min":
        return min(values)
    if kind == "max":
        return max(values)
    return sum(decimal.Decimal(str(v)) for v in values) / len(values)


def _stored(field: Field, value: Any) -> Any:
    """The aggregate in the field's column type; counts and sums of nothing are 0."""
    if value is None and field.rollup.aggregate in ("count", "sum"):  # type: ignore[union-attr]
        value = 0
    return stored_value(field, value)
