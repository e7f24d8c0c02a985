"""Moving a record between its dict form and its rows: main row, child rows, link rows.

A record's ``table`` fields are lists of child rows (nested to any depth), its ``many``
and multiple user/department/file fields lists of ids; both are read with one query per
related table for any number of records.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection
from sqlalchemy import bindparam
from sqlalchemy import delete
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update

from loom.metadata.catalog import Entity

from ..tables import RecordTables
from ..tables import has_column
from .errors import NotFound


def row_values(entity: Entity, record: Mapping[str, Any]) -> dict[str, Any]:
    """The values of a record that live in its own row."""
    return {f.name: record.get(f.name) for f in entity.fields if has_column(f)}


def write_related(
    c: Connection, tables: RecordTables, record_id: int, values: Mapping[str, Any], replace: bool = False
) -> None:
    """Store the link and child rows of the related fields present in ``values``.

    ``replace`` for a record that may have related rows already; without it (a record just
    inserted) there is nothing to look for or delete.
    """
    for name, link in tables.links.items():
        if name in values and values[name] is not None:
            if replace:
                c.execute(delete(link).where(link.c.record_id == record_id))
            rows = [
                {"record_id": record_id, "target_id": t, "position": i} for i, t in enumerate(values[name])
            ]
            if rows:
                c.execute(insert(link), rows)
    for name, child in tables.children.items():
        if name in values and values[name] is not None:
            write_children(c, child, record_id, values[name], replace)


def write_children(
    c: Connection, child: RecordTables, parent_id: int, rows: list[dict], replace: bool = True
) -> None:
    """Replace a parent's child rows, keeping the ids of rows that come back with one.

    New rows go in with one multi-row INSERT whatever their number.
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
    for position, row in enumerate(rows):
        values = row_values(child.entity, row)
        values.update(parent_id=parent_id, position=position)
        if row.get("id") in kept:
            c.execute(update(table).where(table.c.id == bindparam("_id")), {**values, "_id": row["id"]})
            write_related(c, child, row["id"], row, replace=True)
        else:
            fresh.append((row, values))
    if not fresh:
        return
    if not (child.children or child.links):  # no ids needed: one executemany
        c.execute(insert(table), [values for _, values in fresh])
        return
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    ids = c.execute(statement, [values for _, values in fresh]).scalars().all()
    for (row, _), row_id in zip(fresh, ids, strict=True):
        write_related(c, child, row_id, row)


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
