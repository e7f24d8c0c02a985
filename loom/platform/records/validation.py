"""Checking and completing a record before it is stored.

Cheap checks first (types, lengths, options, required), then the ones that query the
database (links, uniqueness), then the entity's CEL rules; every problem found is
reported at once, one per field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import Connection
from sqlalchemy import false
from sqlalchemy import select

from loom.metadata.catalog import Entity
from loom.metadata.catalog import Field

from .. import fieldtypes
from ..actor import Actor
from ..runtime import Runtime
from ..tables import RecordTables
from . import derived
from . import form_rules
from . import logic
from .access import Access
from .audit import jsonable
from .errors import FieldError
from .errors import ValidationFailed
from .rollups import empty_rollups
from .rows import by_ids
from .schemas import SERVER_OWNED
from .schemas import Schemas
from .schemas import field_errors

SYSTEM_INPUT = frozenset(
    {"id", "created_at", "created_by", "updated_at", "updated_by", "version", "flow_status"}
)


class Validator:
    def __init__(self, runtime: Runtime, schemas: Schemas, access: Access) -> None:
        self.runtime = runtime
        self.catalog = runtime.catalog
        self.schemas = schemas
        self.access = access
        self._forms: dict[str, tuple[form_rules.Condition, ...]] = {}

    def prepare(
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
                if field.type == "table" and field.name not in given:
                    given[field.name] = []  # so min_rows holds for a record created without rows
            _fill_defaults(entity, given, actor, now)
        loaded = self._load(entity, given, errors, partial=existing is not None)
        if not actor.is_system:
            errors += self._readonly_cells(entity, loaded, existing)
        record = {**(existing or {}), **loaded}
        if existing is None:
            record.update(empty_rollups(entity))
        self._normalize_children(entity, record, loaded, actor, now, errors)
        logic.apply_computed(entity, record, actor, now)
        errors += derived.unfit(entity, record)
        if not errors:
            errors += self._missing_required(entity, record, prefix="")
            errors += self._links_exist(c, entity, loaded, actor, existing)
            errors += self._unique(c, tables, record, existing)
            errors += logic.broken_rules(entity, record, actor, now)
            errors += self._form_errors(entity, record, loaded, existing, actor, now)
        if errors:
            raise ValidationFailed(_first_per_field(errors))
        return record

    def _form_errors(
        self,
        entity: Entity,
        record: Mapping[str, Any],
        loaded: Mapping[str, Any],
        existing: Mapping[str, Any] | None,
        actor: Actor,
        now: dt.datetime,
    ) -> list[FieldError]:
        """The main form's required_when and readonly_when, as the portal applies them."""
        name = entity.qualified_name
        if name not in self._forms:
            self._forms[name] = form_rules.conditions(self.catalog, entity)
        locked = self.access.locked(actor, entity)
        return form_rules.form_errors(self._forms[name], entity, record, loaded, existing, actor, now, locked)

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

    def _readonly_cells(
        self, entity: Entity, loaded: Mapping[str, Any], existing: Mapping[str, Any] | None
    ) -> list[FieldError]:
        """A table's readonly columns (OA's 核定金额, which the finance step fills) are not a
        person's to write: a new row leaves them empty, a kept row keeps its stored value (left
        out, it is carried over, as the rows replace the stored ones). The system, and so an
        approval step that may edit the table, writes them."""
        errors = []
        for field in entity.fields:
            rows = loaded.get(field.name)
            if field.type != "table" or not isinstance(rows, list):
                continue
            child = self.catalog.entity(field.entity or "")
            fixed = [f.name for f in child.fields if f.readonly and not _derived(f)]
            kept = (existing or {}).get(field.name) or []
            stored = {r.get("id"): r for r in kept if isinstance(r, Mapping)}
            for index, row in enumerate(rows):
                if not isinstance(row, dict):
                    continue
                before = stored.get(row["id"], {}) if row.get("id") is not None else {}
                for name in fixed:
                    if row.setdefault(name, before.get(name)) != before.get(name):
                        errors.append(FieldError(f"{field.name}.{index}.{name}", "readonly"))
        return errors

    def _load(self, entity: Entity, given: dict[str, Any], errors: list[FieldError], partial: bool) -> dict:
        given = {k: (None if v == "" else v) for k, v in given.items()}
        try:
            return self.schemas.of(entity.qualified_name).load(given, partial=partial)
        except ValidationError as exc:
            errors.extend(field_errors(exc.messages_dict, entity, self.catalog, given))
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
                if row.get("id") is None:  # a new row gets its defaults, as a new record does
                    _fill_defaults(child, row, actor, now)
                logic.apply_computed(child, row, actor, now)
                if field.name in loaded:
                    prefix = f"{field.name}.{index}."
                    errors += self._missing_required(child, row, prefix=prefix)
                    errors += derived.unfit(child, row, prefix=prefix)
                    errors += [
                        FieldError(prefix + e.field, e.code, e.params)
                        for e in logic.broken_rules(child, row, actor, now)
                    ]
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
        self,
        c: Connection,
        entity: Entity,
        loaded: Mapping[str, Any],
        actor: Actor,
        existing: Mapping[str, Any] | None,
    ) -> list[FieldError]:
        """Linked records must exist and be readable by the actor (no probing by linking),
        files must be the actor's own uploads (or already on the record); child rows too.

        One query per linked entity for the whole write, however many rows and fields link
        to it; it reads the linked rows whole only when a field's ``filter`` needs them.
        """
        uses = list(self._link_uses(entity, loaded, existing, ""))
        wanted: dict[str, set[int]] = {}
        for use in uses:
            if use.field.type not in ("file", "image"):
                wanted.setdefault(use.target, set()).update(use.ids)
        filtered = {u.target for u in uses if u.field.filter is not None}
        found = {
            target: self._readable_links(c, target, ids, actor, whole=target in filtered)
            for target, ids in wanted.items()
        }
        errors = []
        for use in uses:
            field, prefix = use.field, use.prefix
            if field.type in ("file", "image"):
                held = (existing or {}).get(field.name) if not prefix else None
                kept = set(held if isinstance(held, list) else [held])
                files = self._target_table(field)
                errors += [
                    FieldError(prefix + e.field, e.code, e.params)
                    for e in self._file_errors(c, field, files, [i for i in use.ids if i not in kept], actor)
                ]
                continue
            rows = found[use.target]
            errors += [
                FieldError(prefix + field.name, "link_not_found", {"id": i}) for i in use.ids if i not in rows
            ]
            present = [rows[i] for i in sorted(set(use.ids) & rows.keys())]
            if field.filter is not None and present:
                errors += self._filtered_out(field, present, use.context, actor, prefix)
        return errors

    def _link_uses(
        self, entity: Entity, loaded: Mapping[str, Any], existing: Mapping[str, Any] | None, prefix: str
    ) -> Iterator[_LinkUse]:
        """The ids each link, many and file field of a record and its child rows names."""
        for field in entity.fields:
            value = loaded.get(field.name)
            if field.type == "table" and isinstance(value, list):
                child = self.catalog.entity(field.entity or "")
                for index, row in enumerate(value):
                    yield from self._link_uses(child, row, None, f"{prefix}{field.name}.{index}.")
                continue
            ids = [i for i in (value if isinstance(value, list) else [value]) if isinstance(i, int)]
            target = self._target_table(field)
            if ids and target is not None:
                linked = field.entity if field.type in ("link", "many") else None
                yield _LinkUse(field, ids, prefix, {**(existing or {}), **loaded}, linked or target.name)

    def _readable_links(
        self, c: Connection, target: str, ids: set[int], actor: Actor, whole: bool
    ) -> dict[int, Mapping[str, Any]]:
        """The rows of ``ids`` that exist, by id (whole, or only their ids); of an entity, those
        the actor may read. ``target`` is an entity's name, or a platform table's (users)."""
        parameters = {"_ids": sorted(ids)}
        if target not in self.runtime.schema.records:
            query = by_ids(self.runtime.schema.metadata.tables[target], whole=False)
            return {i: {"id": i} for i in c.execute(query, parameters).scalars()}
        linked = self.runtime.schema.of(target)
        query = by_ids(linked.table, whole)
        decision = self.access.permissions.decide(actor, linked.entity, "read")
        scope = self.access.clause(c, actor, linked, decision) if decision.allowed else false()
        if scope is not None:
            query = query.where(scope)
        return {row["id"]: dict(row) for row in c.execute(query, parameters).mappings()}

    def still_offered(self, c: Connection, entity: Entity, record: Mapping[str, Any], actor: Actor) -> None:
        """Raise if a stored link is no longer one its field's ``filter`` offers.

        A submit checks again what a save checked: a leave balance that had room when the
        draft was saved may have been used up by another request approved since.
        """
        errors = []
        for field in entity.fields:
            value = record.get(field.name)
            ids = [i for i in (value if isinstance(value, list) else [value]) if isinstance(i, int)]
            if field.type in ("link", "many") and field.filter is not None and ids:
                table = self.runtime.schema.of(field.entity or "").table
                rows = [dict(r) for r in c.execute(select(table).where(table.c.id.in_(ids))).mappings()]
                errors += self._filtered_out(field, rows, record, actor, "")
        if errors:
            raise ValidationFailed(errors)

    def _filtered_out(
        self,
        field: Field,
        rows: Iterable[Mapping[str, Any]],
        record: Mapping[str, Any],
        actor: Actor,
        prefix: str,
    ) -> list[FieldError]:
        """A link must point at a record its field's ``filter`` offers (the picker's rule, kept on save)."""
        if field.filter is None:
            return []
        offered = field.filter
        linked = self.catalog.entity(field.entity or "")
        now = self.access.clock()  # the site's clock: `today` in a filter is the site's day
        context = {k: logic.cel_value(v) for k, v in record.items()}
        errors = []
        for row in rows:
            names = logic.variables(linked, row, actor, now)
            names["record"] = context
            if logic.evaluate(offered, names) is False:
                errors.append(FieldError(prefix + field.name, "link_filtered", {"id": row["id"]}))
        return errors

    def _file_errors(
        self, c: Connection, field: Field, files: Any, ids: list[int], actor: Actor
    ) -> list[FieldError]:
        """Newly attached files must be the actor's uploads, exist, and fit the field's limits."""
        if not ids:
            return []
        columns = (files.c.id, files.c.name, files.c.size, files.c.content_type, files.c.uploaded_by)
        found = {row.id: row for row in c.execute(select(*columns).where(files.c.id.in_(ids)))}
        anyone = actor.is_system or self.access.permissions.is_superuser(actor)
        errors = []
        for file_id in ids:
            row = found.get(file_id)
            if row is None or not (anyone or row.uploaded_by == actor.id):
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
        target = fieldtypes.of(field.type).references
        return tables[target] if target is not None else None

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


@dataclass(frozen=True, slots=True)
class _LinkUse:
    """The ids one field of a record (or of one of its child rows) links to."""

    field: Field
    ids: list[int]
    prefix: str  # where the field is: "" on the record, "lines.0." on a child row
    context: Mapping[str, Any]  # the record a ``filter`` reads as ``record``
    target: str  # the linked entity, or the platform table (users, departments) of the ids


def _unique_fields(entity: Entity) -> list[Field]:
    return [f for f in entity.fields if f.unique and f.type not in ("table", "many")]


def _derived(field: Field) -> bool:
    """Values the server sets on every save, whatever is sent."""
    return field.compute is not None or field.type in SERVER_OWNED


def _first_per_field(errors: list[FieldError]) -> list[FieldError]:
    """One error per field: a value that is invalid is not also reported as missing."""
    seen: set[str] = set()
    kept = []
    for error in errors:
        if error.field not in seen or error.field == "_record":
            kept.append(error)
            seen.add(error.field)
    return kept


def _fill_defaults(entity: Entity, values: dict[str, Any], actor: Actor, now: dt.datetime) -> None:
    """Declared defaults for the fields a new record or row leaves out."""
    for field in entity.fields:
        if field.name not in values and field.default is not None and field.type not in SERVER_OWNED:
            values[field.name] = logic.default_value(field, actor, now)
