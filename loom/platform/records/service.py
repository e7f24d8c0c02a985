"""The records service: the only way records are written.

The REST API, the web UI, the admin console, importers, flows and automations all call
it, so every write gets the same validation, defaults, computed values, numbering,
optimistic locking and audit entry. Each call runs in one transaction, or inside the
caller's when a connection is passed in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from collections.abc import Mapping
from contextlib import contextmanager
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import Connection
from sqlalchemy import bindparam
from sqlalchemy import delete as sql_delete
from sqlalchemy import false
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update as sql_update
from sqlalchemy.exc import IntegrityError

from loom.metadata.catalog import Entity
from loom.metadata.catalog import Field

from ..actor import Actor
from ..database import reading
from ..runtime import Runtime
from ..tables import REFERENCES
from ..tables import RecordTables
from . import logic
from .access import Access
from .audit import diff
from .audit import jsonable
from .audit import record_change
from .errors import Conflict
from .errors import FieldError
from .errors import IntegrityConflict
from .errors import NotFound
from .errors import PermissionDenied
from .errors import Referenced
from .errors import ValidationFailed
from .numbering import next_number
from .query import Lister
from .query import ListQuery
from .query import Page
from .schemas import SERVER_OWNED
from .schemas import Schemas
from .schemas import field_errors

SYSTEM_INPUT = frozenset(
    {"id", "created_at", "created_by", "updated_at", "updated_by", "version", "flow_status"}
)


class RecordService:
    def __init__(self, runtime: Runtime, clock: Any = None) -> None:
        self.runtime = runtime
        self.catalog = runtime.catalog
        tz = runtime.site.settings.time_zone if runtime.site else "Asia/Shanghai"
        self.schemas = Schemas(runtime.catalog, tz)
        self._lister = Lister(runtime.schema, self.schemas)
        self.access = Access(runtime)
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        tables = runtime.schema.metadata.tables
        self._series = tables["loom_number_series"]
        self._audit = tables["loom_audit"]

    # -- reading ---------------------------------------------------------------------------

    def get(
        self, entity: str, record_id: int, actor: Actor, *, conn: Connection | None = None
    ) -> dict[str, Any]:
        tables = self._tables(entity)
        with self._transaction(conn, read=True) as c:
            decision = self.access.require(actor, tables.entity, "read")
            record = self._read(c, tables, record_id, where=self.access.clause(c, actor, tables, decision))
            return self.access.shown(actor, tables.entity, record)

    def list(self, entity: str, query: ListQuery, actor: Actor, *, conn: Connection | None = None) -> Page:
        """One page of records; related rows only for the table/many fields named in ``fields``."""
        tables = self._tables(entity)
        with self._transaction(conn, read=True) as c:
            decision = self.access.require(actor, tables.entity, "read")
            scope = self.access.clause(c, actor, tables, decision)
            hidden = self.access.hidden(actor, tables.entity)
            rows, page = self._lister.run(c, tables, query, scope=scope, hidden=hidden)
            related = _related_subset(tables, query.fields)
            if rows and (related.links or related.children):
                self._read_related(c, related, rows)
            rows = [self.access.shown(actor, tables.entity, r) for r in rows] if hidden else rows
            return Page(
                rows, page.total, page.total_is_lower_bound, page.next_cursor, page.page, page.page_size
            )

    # -- writing ---------------------------------------------------------------------------

    def create(
        self, entity: str, data: Mapping[str, Any], actor: Actor, *, conn: Connection | None = None
    ) -> dict[str, Any]:
        tables = self._tables(entity)
        now = self.clock()
        with self._transaction(conn) as c:
            self.access.require(actor, tables.entity, "create")
            values = self._prepare(c, tables, dict(data), actor, now, existing=None)
            row = self._row_values(tables.entity, values)
            row.update(created_at=now, updated_at=now, created_by=actor.id, updated_by=actor.id, version=1)
            row["owner"] = data.get("owner") if actor.is_system and data.get("owner") else actor.id
            self._number(c, tables.entity, row, now)
            table = tables.table
            with _integrity_as_conflict():
                # Values as parameters, not in the statement: one cached statement per table.
                stored = c.execute(insert(table).returning(*table.c), row).mappings().one()
                record_id = stored["id"]
                self._write_related(c, tables, record_id, values)
            record = dict(stored)
            self._read_related(c, tables, [record])
            self._audit_entry(c, tables.entity, record_id, "create", diff({}, _audited(record)), actor, now)
            return self.access.shown(actor, tables.entity, record)

    def update(
        self,
        entity: str,
        record_id: int,
        changes: Mapping[str, Any],
        actor: Actor,
        *,
        version: int | None = None,
        conn: Connection | None = None,
    ) -> dict[str, Any]:
        tables = self._tables(entity)
        now = self.clock()
        with self._transaction(conn) as c:
            before = self._writable(c, tables, record_id, actor, "write")
            expected = version if version is not None else changes.get("version")
            if expected is not None and expected != before["version"]:
                raise Conflict(expected=expected, actual=before["version"])
            values = self._prepare(c, tables, dict(changes), actor, now, existing=before)
            row = self._row_values(tables.entity, values)
            row.update(updated_at=now, updated_by=actor.id, version=before["version"] + 1)
            table = tables.table
            statement = sql_update(table).where(
                table.c.id == bindparam("_id"), table.c.version == bindparam("_version")
            )
            with _integrity_as_conflict():
                if (
                    c.execute(statement, {**row, "_id": record_id, "_version": before["version"]}).rowcount
                    != 1
                ):
                    raise Conflict(expected=before["version"], actual=before["version"] + 1)
                self._write_related(c, tables, record_id, values, replace=True)
            after = self._read(c, tables, record_id)
            changed = diff(_audited(before), _audited(after))
            self._audit_entry(c, tables.entity, record_id, "update", changed, actor, now)
            return self.access.shown(actor, tables.entity, after)

    def delete(
        self,
        entity: str,
        record_id: int,
        actor: Actor,
        *,
        version: int | None = None,
        conn: Connection | None = None,
    ) -> None:
        tables = self._tables(entity)
        now = self.clock()
        with self._transaction(conn) as c:
            before = self._writable(c, tables, record_id, actor, "delete")
            if version is not None and version != before["version"]:
                raise Conflict(expected=version, actual=before["version"])
            try:
                with c.begin_nested():
                    c.execute(sql_delete(tables.table).where(tables.table.c.id == record_id))
            except IntegrityError:
                raise Referenced() from None
            self._audit_entry(c, tables.entity, record_id, "delete", diff(_audited(before), {}), actor, now)

    # -- preparing values ------------------------------------------------------------------

    def _prepare(
        self,
        c: Connection,
        tables: RecordTables,
        data: dict[str, Any],
        actor: Actor,
        now: dt.datetime,
        existing: Mapping[str, Any] | None,
    ) -> dict[str, Any]:
        """Validated, complete values of a record (with children) ready to be stored."""
        entity = tables.entity
        errors: list[FieldError] = []
        given = self._strip_input(entity, data, actor, errors, existing)
        if existing is None:
            for field in entity.fields:
                if field.name not in given and field.default is not None and field.type not in SERVER_OWNED:
                    given[field.name] = logic.default_value(field, actor, now)
        loaded = self._load(entity, given, errors, partial=existing is not None)
        record = {**(existing or {}), **loaded}
        self._normalize_children(entity, record, loaded, actor, now, errors)
        logic.apply_computed(entity, record, actor, now)
        if not errors:
            errors += self._missing_required(entity, record, prefix="")
            errors += self._links_exist(c, entity, loaded, actor)
            errors += self._unique(c, tables, record, existing)
            errors += logic.broken_rules(entity, record, actor, now)
        if errors:
            raise ValidationFailed(_first_per_field(errors))
        return record

    def _strip_input(
        self,
        entity: Entity,
        data: dict[str, Any],
        actor: Actor,
        errors: list[FieldError],
        existing: Mapping[str, Any] | None,
    ) -> dict[str, Any]:
        """Drop server-owned values; refuse readonly and hidden fields (unless unchanged)."""
        given = {}
        locked = self.access.locked(actor, entity)
        for key, value in data.items():
            if key in SYSTEM_INPUT or key == "owner":
                continue
            if entity.has_field(key):
                field = entity.field(key)
                if field.type in SERVER_OWNED:
                    continue
                if key in locked:
                    if existing is None or jsonable(existing.get(key)) != jsonable(value):
                        errors.append(FieldError(key, "readonly"))
                    continue
                if field.type == "table" and isinstance(value, list):
                    value = [self._strip_row(field, row) for row in value]
            given[key] = value
        return given

    def _strip_row(self, field: Field, row: Any) -> Any:
        """Child rows as read come back with their computed values: accept and drop them."""
        if not isinstance(row, dict):
            return row
        child = self.catalog.entity(field.entity or "")
        owned = {f.name for f in child.fields if f.type in SERVER_OWNED}
        return {k: v for k, v in row.items() if k not in owned}

    def _load(self, entity: Entity, given: dict[str, Any], errors: list[FieldError], partial: bool) -> dict:
        given = {k: (None if v == "" else v) for k, v in given.items()}
        try:
            return self.schemas.of(entity.qualified_name).load(given, partial=partial)
        except ValidationError as exc:
            errors.extend(field_errors(exc.messages, entity, self.catalog, given))
            valid = exc.valid_data if isinstance(exc.valid_data, dict) else {}
            return valid

    def _normalize_children(
        self,
        entity: Entity,
        record: dict[str, Any],
        loaded: Mapping[str, Any],
        actor: Actor,
        now: dt.datetime,
        errors: list[FieldError],
    ) -> None:
        """Compute child rows' fields and check their row counts and required values."""
        for field in entity.fields:
            if field.type != "table" or field.name not in record:
                continue
            rows = record[field.name] or []
            child = self.catalog.entity(field.entity or "")
            for index, row in enumerate(rows):
                logic.apply_computed(child, row, actor, now)
                if field.name in loaded:
                    errors += self._missing_required(child, row, prefix=f"{field.name}.{index}.")
            if field.min_rows is not None and len(rows) < field.min_rows:
                errors.append(FieldError(field.name, "rows_min", {"min": field.min_rows}))
            if field.max_rows is not None and len(rows) > field.max_rows:
                errors.append(FieldError(field.name, "rows_max", {"max": field.max_rows}))

    def _missing_required(self, entity: Entity, record: Mapping[str, Any], prefix: str) -> list[FieldError]:
        return [
            FieldError(f"{prefix}{f.name}", "required")
            for f in entity.fields
            if f.required and f.type not in SERVER_OWNED and record.get(f.name) in (None, "", [])
        ]

    def _links_exist(
        self, c: Connection, entity: Entity, loaded: Mapping[str, Any], actor: Actor
    ) -> list[FieldError]:
        """Linked records must exist and be readable by the actor (no probing by linking)."""
        errors = []
        for field in entity.fields:
            value = loaded.get(field.name)
            ids = value if isinstance(value, list) else [value]
            ids = [i for i in ids if isinstance(i, int)]
            target = self._target_table(field)
            if not ids or target is None:
                continue
            if field.type in ("file", "image"):
                errors += self._file_errors(c, field, target, ids)
                continue
            query = select(target.c.id).where(target.c.id.in_(ids))
            if field.type in ("link", "many"):
                linked = self.runtime.schema.of(field.entity or "")
                decision = self.access.permissions.decide(actor, linked.entity, "read")
                scope = self.access.clause(c, actor, linked, decision) if decision.allowed else false()
                query = query.where(scope) if scope is not None else query
            found = set(c.execute(query).scalars())
            errors += [FieldError(field.name, "link_not_found", {"id": i}) for i in ids if i not in found]
        return errors

    def _file_errors(self, c: Connection, field: Field, files: Any, ids: list[int]) -> list[FieldError]:
        """Attached files must exist and fit the field's size limit and accepted types."""
        query = select(files.c.id, files.c.name, files.c.size, files.c.content_type).where(
            files.c.id.in_(ids)
        )
        found = {row.id: row for row in c.execute(query)}
        errors = []
        for file_id in ids:
            row = found.get(file_id)
            if row is None:
                errors.append(FieldError(field.name, "link_not_found", {"id": file_id}))
            elif field.max_size is not None and row.size > field.max_size:
                errors.append(FieldError(field.name, "file_too_large", {"limit": field.max_size}))
            elif not _accepted(field, row.name, row.content_type):
                errors.append(FieldError(field.name, "file_type", {"type": row.content_type}))
        return errors

    def _target_table(self, field: Field):
        tables = self.runtime.schema.metadata.tables
        if field.type in ("link", "many"):
            return self.runtime.schema.of(field.entity or "").table
        if field.type in REFERENCES:
            return tables[REFERENCES[field.type]]
        return None

    def _unique(
        self,
        c: Connection,
        tables: RecordTables,
        record: Mapping[str, Any],
        existing: Mapping[str, Any] | None,
    ) -> list[FieldError]:
        """Unique values, checked up front so the user gets a message naming the field."""
        errors = []
        own = existing["id"] if existing is not None else None
        for field in _unique_fields(tables.entity):
            value = record.get(field.name)
            if value is not None and self._taken(
                c, tables.table.c.id, tables.table.c[field.name], value, own
            ):
                errors.append(FieldError(field.name, "unique", {"value": jsonable(value)}))
        for name, child in tables.children.items():
            for field in _unique_fields(child.entity):
                seen: set[Any] = set()
                for index, row in enumerate(record.get(name) or []):
                    value = row.get(field.name)
                    if value is None:
                        continue
                    parent = child.table.c.parent_id
                    if value in seen or self._taken(c, parent, child.table.c[field.name], value, own):
                        errors.append(FieldError(f"{name}.{index}.{field.name}", "unique", {"value": value}))
                    seen.add(value)
        return errors

    def _taken(self, c: Connection, owner_column: Any, column: Any, value: Any, own: int | None) -> bool:
        """Whether ``value`` is used by a row that does not belong to record ``own``."""
        query = select(column).where(column == value)
        if own is not None:
            query = query.where(owner_column != own)
        return c.execute(query.limit(1)).first() is not None

    # -- storing ---------------------------------------------------------------------------

    def _row_values(self, entity: Entity, record: Mapping[str, Any]) -> dict[str, Any]:
        return {
            f.name: record.get(f.name)
            for f in entity.fields
            if f.type not in ("table", "many") and not (f.multiple and f.type in REFERENCES)
        }

    def _number(self, c: Connection, entity: Entity, row: dict[str, Any], now: dt.datetime) -> None:
        for field in entity.fields:
            if field.type == "autonumber":
                series = f"{entity.qualified_name}.{field.name}"
                row[field.name] = next_number(c, self._series, series, field, now)

    def _write_related(
        self,
        c: Connection,
        tables: RecordTables,
        record_id: int,
        values: Mapping[str, Any],
        replace: bool = False,
    ) -> None:
        for name, link in tables.links.items():
            if name in values and values[name] is not None:
                if replace:
                    c.execute(sql_delete(link).where(link.c.record_id == record_id))
                rows = [
                    {"record_id": record_id, "target_id": t, "position": i}
                    for i, t in enumerate(values[name])
                ]
                if rows:
                    c.execute(insert(link), rows)
        for name, child in tables.children.items():
            if name in values and values[name] is not None:
                self._write_children(c, child, record_id, values[name])

    def _write_children(self, c: Connection, child: RecordTables, parent_id: int, rows: list[dict]) -> None:
        """Replace a parent's child rows, keeping the ids of rows that come back with one."""
        table = child.table
        existing = set(c.execute(select(table.c.id).where(table.c.parent_id == parent_id)).scalars())
        kept = {row.get("id") for row in rows if row.get("id") in existing}
        if existing - kept:
            c.execute(sql_delete(table).where(table.c.id.in_(existing - kept)))
        for position, row in enumerate(rows):
            values = self._row_values(child.entity, row)
            values.update(parent_id=parent_id, position=position)
            row_id = row.get("id")
            if row_id in kept:
                c.execute(sql_update(table).where(table.c.id == bindparam("_id")), {**values, "_id": row_id})
            else:
                row_id = c.execute(insert(table).returning(table.c.id), values).scalar_one()
            self._write_related(c, child, row_id, row, replace=True)

    def _audit_entry(
        self, c: Connection, entity: Entity, record_id: int, action: str, changes: dict, actor: Actor, now
    ) -> None:
        if entity.audit:
            record_change(
                c, self._audit, entity=entity.qualified_name, record_id=record_id, action=action,
                changes=changes, user_id=actor.id, at=now,
            )  # fmt: skip

    # -- reading rows ----------------------------------------------------------------------

    def _writable(
        self, c: Connection, tables: RecordTables, record_id: int, actor: Actor, operation: str
    ) -> dict[str, Any]:
        """The record, locked, if the actor may change it; a record they cannot even see is not found."""
        decision = self.access.require(actor, tables.entity, operation)
        try:
            return self._read(
                c, tables, record_id, lock=True, where=self.access.clause(c, actor, tables, decision)
            )
        except NotFound:
            read = self.access.permissions.decide(actor, tables.entity, "read")
            if read.allowed:
                self._read(c, tables, record_id, where=self.access.clause(c, actor, tables, read))
                raise PermissionDenied(operation=operation, entity=tables.entity.qualified_name) from None
            raise

    def _read(
        self,
        c: Connection,
        tables: RecordTables,
        record_id: int,
        lock: bool = False,
        where: Any = None,
    ) -> dict[str, Any]:
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
        self._read_related(c, tables, [record])
        return record

    def _read_related(self, c: Connection, tables: RecordTables, records: list[dict[str, Any]]) -> None:
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
            query = (
                select(table).where(table.c.parent_id.in_(ids)).order_by(table.c.parent_id, table.c.position)
            )
            rows = [dict(r) for r in c.execute(query).mappings()]
            if rows:
                self._read_related(c, child, rows)
            by_parent: dict[int, list[dict]] = {i: [] for i in ids}
            for row in rows:
                by_parent[row.pop("parent_id")].append(row)
                row.pop("position")
            for record in records:
                record[name] = by_parent[record["id"]]

    # -- helpers ---------------------------------------------------------------------------

    def _tables(self, entity: str) -> RecordTables:
        if entity not in self.runtime.schema.records:
            raise NotFound(entity=entity)
        return self.runtime.schema.of(entity)

    @contextmanager
    def _transaction(self, conn: Connection | None, read: bool = False) -> Iterator[Connection]:
        """The caller's transaction if it passed one, else a new one (read-only for reads)."""
        if conn is not None:
            yield conn
            return
        with reading(self.runtime.engine) if read else self.runtime.engine.begin() as c:
            yield c

    def count(self, entity: str, *, conn: Connection | None = None) -> int:
        with self._transaction(conn, read=True) as c:
            table = self._tables(entity).table
            return c.execute(select(func.count()).select_from(table)).scalar_one()


def _audited(record: Mapping[str, Any]) -> dict[str, Any]:
    skip = {"id", "version", "created_at", "updated_at", "created_by", "updated_by"}
    return {k: v for k, v in record.items() if k not in skip}


@contextmanager
def _integrity_as_conflict() -> Iterator[None]:
    """A constraint the checks could not foresee (a concurrent writer) is a conflict, not a crash.

    The transaction is lost either way, so no savepoint is spent on every write.
    """
    try:
        yield
    except IntegrityError:
        raise IntegrityConflict() from None


def _accepted(field: Field, name: str, content_type: str) -> bool:
    """``accept`` lists extensions (``.pdf``) and types (``image/*``); images must be images."""
    if field.type == "image" and not content_type.startswith("image/"):
        return False
    if not field.accept:
        return True
    extension = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    for pattern in field.accept:
        if pattern in (extension, content_type):
            return True
        if pattern.endswith("/*") and content_type.startswith(pattern[:-1]):
            return True
    return False


def _unique_fields(entity: Entity) -> list[Field]:
    return [f for f in entity.fields if f.unique and f.type not in ("table", "many")]


def _related_subset(tables: RecordTables, fields: tuple[str, ...] | None) -> RecordTables:
    wanted = set(fields or ())
    return RecordTables(
        tables.entity,
        tables.table,
        {k: v for k, v in tables.children.items() if k in wanted},
        {k: v for k, v in tables.links.items() if k in wanted},
    )


def _first_per_field(errors: list[FieldError]) -> list[FieldError]:
    """One error per field: a value that is invalid is not also reported as missing."""
    seen: set[str] = set()
    kept = []
    for error in errors:
        if error.field not in seen or error.field == "_record":
            kept.append(error)
            seen.add(error.field)
    return kept
