"""Personal views (我的视图): a user's own saved filters, search, sort and columns of a list.

A personal view is the list's address parameters, kept on the server for its user, so it
follows them from the desktop to the phone. It stores only parameters the list understands:
the entity's filter controls, the search, one sort, one of the declared views offered to the
user, and columns they may see. It never widens what they read: opening it runs the same list
query, inside the same scope, as typing the parameters by hand. Only its owner sees, renames or
deletes it (another user's view is "not found", so ids tell nobody what others saved).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update

from loom.metadata.catalog import Entity

from . import fieldtypes
from .actor import Actor
from .database import transaction
from .records.errors import FieldError
from .records.errors import NotFound
from .records.errors import ValidationFailed
from .records.service import RecordService

KEYS = ("entity", "label", "params", "columns")
MAX_LABEL = 40
MAX_VALUE = 200
MAX_PER_ENTITY = 20
# The request parameters of each kind of filter control (the REST API's operators).
FILTER_SUFFIXES = {"eq": ("",), "contains": ("__contains",), "range": ("__gte", "__lte")}
ENTITY = "loom.personal_view"
SYSTEM_SORTS = ("id", "created_at", "updated_at")


def filter_parameters(entity: Entity, hidden: frozenset[str]) -> frozenset[str]:
    """The address parameters of the entity's filter controls the actor may use."""
    names = set()
    for name in entity.list.filters:
        if name in hidden:
            continue
        if name == "flow_status" and entity.has_flow:
            names.add(name)
        elif entity.has_field(name):
            kind = fieldtypes.of(entity.field(name).type).list_filter
            names.update(name + suffix for suffix in FILTER_SUFFIXES[kind])
    return frozenset(names)


class PersonalViews:
    """Each user's saved views, checked against what the records service lets them read."""

    def __init__(self, records: RecordService) -> None:
        self.records = records
        self.runtime = records.runtime
        self.table = records.runtime.schema.metadata.tables["loom_personal_views"]

    def list_for(self, actor: Actor, entity: str) -> list[dict[str, Any]]:
        """The actor's views of ``entity``, oldest first (the order of their tabs)."""
        found = self._readable(actor, entity)
        t = self.table
        query = self._select().where(t.c.user_id == actor.id, t.c.entity == found.qualified_name)
        with self.runtime.engine.connect() as c:
            return [dict(row) for row in c.execute(query.order_by(t.c.id)).mappings()]

    def get(self, actor: Actor, view_id: int) -> dict[str, Any]:
        with self.runtime.engine.connect() as c:
            return self._own(c, actor, view_id)

    def add(self, data: Mapping[str, Any], actor: Actor) -> dict[str, Any]:
        """Save a view; every problem with ``data`` at once (422)."""
        errors = [FieldError(key, "unknown") for key in data if key not in KEYS]
        name = data.get("entity")
        if not isinstance(name, str) or not name:
            raise ValidationFailed([*errors, FieldError("entity", "required")])
        found = self._readable(actor, name)
        label = _label(data.get("label"), errors)
        params = self._params(actor, found, data.get("params", {}), errors)
        columns = self._columns(actor, found, data.get("columns", []), errors)
        t = self.table
        with transaction(self.runtime.engine) as c:
            if not errors:
                errors += self._taken(c, actor, found.qualified_name, label, None)
            mine = select(func.count()).where(t.c.user_id == actor.id, t.c.entity == found.qualified_name)
            if c.execute(mine).scalar_one() >= MAX_PER_ENTITY:
                errors.append(FieldError("label", "too_many", {"max": MAX_PER_ENTITY}))
            if errors:
                raise ValidationFailed(errors)
            row = {
                "user_id": actor.id,
                "entity": found.qualified_name,
                "label": label,
                "params": params,
                "columns": columns,
                "created_at": self.records.clock(),
            }
            new_id = c.execute(insert(t).returning(t.c.id), row).scalar_one()
            return self._own(c, actor, new_id)

    def rename(self, view_id: int, data: Mapping[str, Any], actor: Actor) -> dict[str, Any]:
        """Give a view a new name (the only change: to change its filters, save a new one)."""
        errors = [FieldError(key, "unknown") for key in data if key != "label"]
        label = _label(data.get("label"), errors)
        with transaction(self.runtime.engine) as c:
            view = self._own(c, actor, view_id)
            if not errors:
                errors += self._taken(c, actor, view["entity"], label, view_id)
            if errors:
                raise ValidationFailed(errors)
            c.execute(update(self.table).where(self.table.c.id == view_id), {"label": label})
            return self._own(c, actor, view_id)

    def delete(self, view_id: int, actor: Actor) -> None:
        with transaction(self.runtime.engine) as c:
            self._own(c, actor, view_id)
            c.execute(delete(self.table).where(self.table.c.id == view_id))

    # -- checks ----------------------------------------------------------------------------

    def _readable(self, actor: Actor, name: str) -> Entity:
        """The entity ``name`` if the actor may read it (404 for none, 403 for not theirs)."""
        if name not in self.runtime.schema.records:
            raise NotFound(entity=name)
        entity = self.runtime.schema.of(name).entity
        self.records.access.require(actor, entity, "read")
        return entity

    def _params(self, actor: Actor, entity: Entity, given: Any, errors: list[FieldError]) -> dict[str, str]:
        if not isinstance(given, Mapping):
            errors.append(FieldError("params", "invalid", {"kind": "object"}))
            return {}
        hidden = self.records.unfilterable(entity.qualified_name, actor)
        allowed = filter_parameters(entity, hidden) | {"q", "sort", "view"}
        params: dict[str, str] = {}
        for key, value in given.items():
            where = f"params.{key}"
            if key not in allowed:
                errors.append(FieldError(where, "bad_field", {"field": key}))
            elif not isinstance(value, str) or len(value) > MAX_VALUE:
                errors.append(FieldError(where, "too_long", {"max": MAX_VALUE}))
            elif value.strip():
                params[key] = value.strip()
        sort = params.get("sort", "").removeprefix("-")
        sortable = entity.has_field(sort) or sort in SYSTEM_SORTS
        if sort and (sort in hidden or not sortable):
            errors.append(FieldError("params.sort", "bad_field", {"field": sort}))
        view = params.get("view")
        offered = {v.name for v in self.records.offered_views(entity.qualified_name, actor)}
        if view is not None and view not in offered:
            allowed_views = ", ".join(sorted(offered)) or "-"
            errors.append(FieldError("params.view", "not_option", {"value": view, "allowed": allowed_views}))
        return params

    def _columns(self, actor: Actor, entity: Entity, given: Any, errors: list[FieldError]) -> list[str]:
        if not isinstance(given, list) or not all(isinstance(n, str) for n in given):
            errors.append(FieldError("columns", "invalid", {"kind": "list"}))
            return []
        hidden = self.records.access.hidden(actor, entity)
        shown = {f.name for f in entity.fields if f.type not in ("table", "json")} - hidden
        if entity.has_flow and "flow_status" not in hidden:
            shown.add("flow_status")
        for name in given:
            if name not in shown:
                errors.append(FieldError("columns", "bad_field", {"field": name}))
        return list(dict.fromkeys(given))

    def _taken(
        self, c: Connection, actor: Actor, entity: str, label: str, other_than: int | None
    ) -> list[FieldError]:
        t = self.table
        query = select(t.c.id).where(t.c.user_id == actor.id, t.c.entity == entity, t.c.label == label)
        if other_than is not None:
            query = query.where(t.c.id != other_than)
        if c.execute(query).first() is None:
            return []
        return [FieldError("label", "unique", {"value": label})]

    def _own(self, c: Connection, actor: Actor, view_id: int) -> dict[str, Any]:
        row = c.execute(self._select().where(self.table.c.id == view_id)).mappings().first()
        if row is None or row["user_id"] != actor.id:
            raise NotFound(entity=ENTITY, record_id=view_id)
        return dict(row)

    def _select(self) -> Any:
        t = self.table
        return select(t.c.id, t.c.user_id, t.c.entity, t.c.label, t.c.params, t.c.columns)


def _label(value: Any, errors: list[FieldError]) -> str:
    """The view's name: required, at most MAX_LABEL characters, trimmed."""
    if not isinstance(value, str) or not value.strip():
        errors.append(FieldError("label", "required"))
        return ""
    if len(value.strip()) > MAX_LABEL:
        errors.append(FieldError("label", "too_long", {"max": MAX_LABEL}))
    return value.strip()
