"""Moving a record between its dict form and its rows: main row, child rows, link rows.

A record's ``table`` fields are lists of child rows (nested to any depth), its ``many``
and multiple user/department/file fields lists of ids; both are read with one query per
related table for any number of records.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection
from sqlalchemy import Select
from sqlalchemy import Table
from sqlalchemy import bindparam
from sqlalchemy import delete
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.sql.dml import ReturningInsert
from sqlalchemy.sql.dml import ReturningUpdate

from loom.metadata.catalog import Entity

from ..tables import RecordTables
from ..tables import has_column
from .errors import NotFound


@lru_cache(maxsize=256)
def by_ids(table: Table, whole: bool) -> Select[Any]:
    """Rows (``whole``) or ids of ``table`` whose id is in the list ``_ids``; built once per table,
    as building a statement cost about as much as running it."""
    return select(table if whole else table.c.id).where(table.c.id.in_(bindparam("_ids", expanding=True)))


@lru_cache(maxsize=256)
def inserting(table: Table) -> ReturningInsert[Any]:
    """An INSERT of one or many rows of ``table`` that returns them as stored; built once per table."""
    return insert(table).returning(*table.c)


@lru_cache(maxsize=256)
def updating(table: Table) -> ReturningUpdate[Any]:
    """An UPDATE of the row ``_id`` at version ``_version`` that returns it as stored (none: the
    version moved on); built once per table."""
    id_and_version = (table.c.id == bindparam("_id"), table.c.version == bindparam("_version"))
    return update(table).where(*id_and_version).returning(*table.c)


def row_values(entity: Entity, record: Mapping[str, Any]) -> dict[str, Any]:
    """The values of a record that live in its own row."""
    return {f.name: record.get(f.name) for f in entity.fields if has_column(f)}


def write_related(
    c: Connection, tables: RecordTables, record_id: int, values: Mapping[str, Any], replace: bool = False
) -> dict[str, Any]:
    """Store the link and child rows of the related fields present in ``values``; return them as
    ``read_related`` would read them back, so a write needs no second read for its reply.

    ``replace`` for a record that may have related rows already; without it (a record just
    inserted) there is nothing to look for or delete. A child table whose rows have related
    fields of their own is not returned when replaced (its kept rows may leave them out).
    """
    written: dict[str, Any] = {}
    for name, link in tables.links.items():
        targets = values.get(name)
        if targets is None:
            continue
        if replace:
            c.execute(delete(link).where(link.c.record_id == record_id))
        rows = [{"record_id": record_id, "target_id": t, "position": i} for i, t in enumerate(targets)]
        if rows:
            c.execute(insert(link), rows)
        written[name] = list(targets)
    for name, child in tables.children.items():
        if values.get(name) is not None:
            stored = write_children(c, child, record_id, values[name], replace)
            if not (replace and (child.children or child.links)):
                written[name] = stored
    return written


def write_children(
    c: Connection, child: RecordTables, parent_id: int, rows: list[dict], replace: bool = True
) -> list[dict[str, Any]]:
    """Replace a parent's child rows, keeping the ids of rows that come back with one; return
    the rows as stored, in order.

    New rows go in with one multi-row INSERT whatever their number; kept rows are updated
    one by one. Both statements return the rows they wrote.
    """
    table = child.table
    existing = (
        set(c.execute(select(table.c.id).where(table.c.parent_id == parent_id)).scalars())
        if replace
        else set()
    )
    kept = {row.get("id") for row in rows if row.get("id") in existing}
    if existing - kept:
        c.execute(delete(table).where(table.c.id.in_(existing - kept)))
    fresh: list[tuple[dict, dict[str, Any]]] = []
    stored: list[dict[str, Any]] = []
    for position, row in enumerate(rows):
        values = row_values(child.entity, row)
        values.update(parent_id=parent_id, position=position)
        if row.get("id") in kept:
            statement = update(table).where(table.c.id == bindparam("_id")).returning(*table.c)
            written = dict(c.execute(statement, {**values, "_id": row["id"]}).mappings().one())
            stored.append({**written, **write_related(c, child, row["id"], row, replace=True)})
        else:
            fresh.append((row, values))
    if fresh:
        # Matched to their input by position, which is unique among a parent's rows: asking
        # for the parameters' order instead makes SQLite insert the rows one at a time.
        returned = c.execute(inserting(table), [values for _, values in fresh]).mappings()
        inserted = sorted((dict(r) for r in returned), key=lambda r: r["position"])
        for (row, _), written in zip(fresh, inserted, strict=True):
            written.update(write_related(c, child, written["id"], row))
        stored += inserted
    stored.sort(key=lambda r: r["position"])
    for written in stored:
        del written["parent_id"], written["position"]
    return stored


def related_of(tables: RecordTables, written: Mapping[str, Any]) -> dict[str, Any]:
    """Every related field of a new record: those written, the others empty (as read back)."""
    return {name: written.get(name, []) for name in (*tables.links, *tables.children)}


def read_record(
    c: Connection, tables: RecordTables, record_id: int, *, lock: bool = False, where: Any = None
) -> dict[str, Any]:
    """One record with its related rows; NotFound unless it exists and ``where`` holds."""
    table = tables.table
    query = select(table).where(table.c.id == record_id)
    if where is not None:
        query = query.where(where)
    if lock and c.dialect.name == "postgresql":
        query = query.with_for_update()
    row = c.execute(query).mappings().first()
    if row is None:
        raise NotFound(id=record_id)
    record = dict(row)
    read_related(c, tables, [record])
    return record


def read_related(c: Connection, tables: RecordTables, records: list[dict[str, Any]]) -> None:
    """Attach link ids and child rows to ``records`` with one query per related table."""
    ids = [r["id"] for r in records]
    for name, link in tables.links.items():
        found: dict[int, list[int]] = {i: [] for i in ids}
        query = select(link.c.record_id, link.c.target_id).where(link.c.record_id.in_(ids))
        for record_id, target_id in c.execute(query.order_by(link.c.record_id, link.c.position)):
            found[record_id].append(target_id)
        for record in records:
            record[name] = found[record["id"]]
    for name, child in tables.children.items():
        table = child.table
        query = select(table).where(table.c.parent_id.in_(ids)).order_by(table.c.parent_id, table.c.position)
        rows = [dict(r) for r in c.execute(query).mappings()]
        if rows:
            read_related(c, child, rows)
        by_parent: dict[int, list[dict]] = {i: [] for i in ids}
        for row in rows:
            by_parent[row.pop("parent_id")].append(row)
            row.pop("position")
        for record in records:
            record[name] = by_parent[record["id"]]


def related_subset(tables: RecordTables, fields: tuple[str, ...] | None) -> RecordTables:
    """The tables of only the related fields named in ``fields``."""
    wanted = set(fields or ())
    return RecordTables(
        tables.entity,
        tables.table,
        {k: v for k, v in tables.children.items() if k in wanted},
        {k: v for k, v in tables.links.items() if k in wanted},
    )
