"""From a Catalog to SQLAlchemy Core tables: one table per entity, child and link tables.

Identifiers come only from validated metadata names; each field's column type is its
FieldType's (``loom.platform.fieldtypes``). Every record table carries the system columns;
child rows carry ``parent_id`` and ``position`` and are deleted with their parent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from sqlalchemy import Column
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import MetaData
from sqlalchemy import String
from sqlalchemy import Table
from sqlalchemy import UniqueConstraint
from sqlalchemy.types import TypeEngine

from loom.metadata.catalog import Catalog
from loom.metadata.catalog import Entity
from loom.metadata.catalog import Field

from . import fieldtypes
from . import platform_tables
from .ordering import sort_indexes
from .types import ID_TYPE
from .types import UTCDateTime

MAX_IDENTIFIER = 63
ON_DELETE = {"restrict": "RESTRICT", "set_null": "SET NULL", "cascade": "CASCADE"}


@dataclass
class RecordTables:
    """The tables holding one entity's records (or one table field's child rows)."""

    entity: Entity
    table: Table
    children: dict[str, RecordTables] = dc_field(default_factory=dict)
    links: dict[str, Table] = dc_field(default_factory=dict)
    is_child: bool = False

    def walk(self) -> Iterator[RecordTables]:
        yield self
        for child in self.children.values():
            yield from child.walk()


@dataclass
class Schema:
    """All tables of a Catalog, in one MetaData with the platform tables."""

    metadata: MetaData
    records: dict[str, RecordTables]

    def of(self, entity: str) -> RecordTables:
        return self.records[entity]


def build_schema(catalog: Catalog, dialect: str) -> Schema:
    """The tables of a Catalog on a database of ``dialect`` (``sqlite``, ``postgresql``), whose
    sort indexes differ (loom.platform.ordering)."""
    metadata = MetaData()
    platform_tables.define(metadata)
    builder = _Builder(catalog, metadata, dialect)
    records = {
        name: builder.record_tables(entity) for name, entity in catalog.entities.items() if not entity.child
    }
    return Schema(metadata, records)


def index_name(table: str, columns: list[str], prefix: str = "ix") -> str:
    """A readable index name, shortened with a hash when it would pass 63 bytes."""
    name = f"{prefix}_{table}__{'_'.join(columns)}"
    if len(name) <= MAX_IDENTIFIER:
        return name
    digest = hashlib.sha1(name.encode()).hexdigest()[:8]
    return f"{name[: MAX_IDENTIFIER - 9]}_{digest}"


def column_type(field: Field) -> TypeEngine:
    """The column type that stores a field's value (its FieldType decides)."""
    return fieldtypes.of(field.type).column(field)


def system_columns(has_flow: bool) -> list[Column]:
    columns: list[Column] = [
        Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        Column("created_at", UTCDateTime(), nullable=False),
        Column("created_by", ID_TYPE, ForeignKey("loom_users.id", ondelete="SET NULL"), nullable=True),
        Column("updated_at", UTCDateTime(), nullable=False),
        Column("updated_by", ID_TYPE, ForeignKey("loom_users.id", ondelete="SET NULL"), nullable=True),
        Column("owner", ID_TYPE, ForeignKey("loom_users.id", ondelete="SET NULL"), nullable=True, index=True),
        Column("version", Integer, nullable=False, server_default="1"),
    ]
    if has_flow:
        columns.append(Column("flow_status", String(16), nullable=False, server_default="draft"))
    return columns


class _Builder:
    def __init__(self, catalog: Catalog, metadata: MetaData, dialect: str) -> None:
        self.catalog = catalog
        self.metadata = metadata
        self.dialect = dialect

    def record_tables(self, entity: Entity) -> RecordTables:
        name = entity.table_name
        columns = system_columns(entity.has_flow)
        names = {c.name for c in columns} | {f.name for f in entity.fields if has_column(f)}
        sorts = sort_indexes(entity, names)
        # A lone index on a column that a sort index starts with serves nothing the longer
        # one does not, and would only slow writes down.
        leading = {spec.first for spec in sorts}
        tables = self._tables(entity, name, columns, is_child=False, leading=leading)
        for spec in sorts:
            self._index(tables.table, spec.elements(tables.table, self.dialect), spec.name_parts())
        return tables

    def _tables(
        self,
        entity: Entity,
        name: str,
        columns: list[Column],
        is_child: bool,
        leading: set[str] | None = None,
    ) -> RecordTables:
        for field in entity.fields:
            if has_column(field):
                columns.append(self._column(field))
        # AUTOINCREMENT on SQLite: ids of deleted rows are never reused, so links stay true.
        table = Table(name, self.metadata, *columns, sqlite_autoincrement=True)
        tables = RecordTables(entity, table, is_child=is_child)
        for field in entity.fields:
            if field.type == "table":
                tables.children[field.name] = self._child(field, name)
            elif field.type == "many" or (field.multiple and fieldtypes.of(field.type).references):
                tables.links[field.name] = self._link(field, name)
            if field.unique and has_column(field):
                table.append_constraint(
                    UniqueConstraint(field.name, name=index_name(name, [field.name], "uq"))
                )
            elif (
                (field.index or field.type in ("link", "user", "department"))
                and has_column(field)
                and field.name not in (leading or ())
            ):
                self._index(table, [table.c[field.name]])
        for spec in entity.indexes:
            columns_ = list(spec.fields)
            if spec.unique:
                table.append_constraint(
                    UniqueConstraint(*columns_, name=spec.name or index_name(name, columns_, "uq"))
                )
            else:
                self._index(table, [table.c[c] for c in columns_], columns_, spec.name)
        return tables

    def _column(self, field: Field) -> Column:
        target = self._reference(field)
        args = []
        if target is not None:
            ondelete = ON_DELETE[field.on_delete or "restrict"]
            args.append(ForeignKey(f"{target}.id", ondelete=ondelete))
        return Column(field.name, column_type(field), *args, nullable=True)

    def _reference(self, field: Field) -> str | None:
        if field.type == "link" and field.entity:
            return self.catalog.entity(field.entity).table_name
        return fieldtypes.of(field.type).references

    def _child(self, field: Field, parent: str) -> RecordTables:
        entity = self.catalog.entity(field.entity or "")
        name = f"{parent}__{field.name}"
        columns = [
            Column("id", ID_TYPE, primary_key=True, autoincrement=True),
            Column("parent_id", ID_TYPE, ForeignKey(f"{parent}.id", ondelete="CASCADE"), nullable=False),
            Column("position", Integer, nullable=False),
        ]
        tables = self._tables(entity, name, columns, is_child=True)
        self._index(tables.table, [tables.table.c.parent_id, tables.table.c.position])
        return tables

    def _link(self, field: Field, parent: str) -> Table:
        target = (
            self._reference(field)
            if field.type != "many"
            else self.catalog.entity(field.entity or "").table_name
        )
        name = f"{parent}__{field.name}"
        table = Table(
            name,
            self.metadata,
            Column("record_id", ID_TYPE, ForeignKey(f"{parent}.id", ondelete="CASCADE"), primary_key=True),
            Column("target_id", ID_TYPE, ForeignKey(f"{target}.id", ondelete="CASCADE"), primary_key=True),
            Column("position", Integer, nullable=False, server_default="0"),
        )
        self._index(table, [table.c.target_id])
        return table

    def _index(
        self, table: Table, elements: list[Any], parts: list[str] | None = None, name: str | None = None
    ) -> None:
        """Index ``elements`` (columns, or ordered columns) unless an index on exactly those exists
        already; named after ``parts`` (the columns' names by default)."""
        wanted = [str(e) for e in elements]
        name = name or index_name(table.name, parts or [e.name for e in elements])
        if any([str(e) for e in ix.expressions] == wanted or ix.name == name for ix in table.indexes):
            return
        Index(name, *elements)


def has_column(field: Field) -> bool:
    """Whether the field is a column of its entity's own table (not child or link rows)."""
    return fieldtypes.of(field.type).has_column(field)
