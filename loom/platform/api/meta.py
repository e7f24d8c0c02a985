"""``GET /meta``: what a client needs to render the apps for this user.

Labels in both languages, fields with their types and options, and what the user may
do with each entity; fields hidden from the user are left out.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask import Response
from flask import jsonify
from sqlalchemy import Connection

from loom.metadata.catalog import Entity
from loom.metadata.catalog import Field
from loom.metadata.catalog import Label
from loom.metadata.catalog import thaw

from ..actor import Actor
from ..database import reading
from ..permissions import OPERATIONS
from .auth import require_actor
from .auth import services

bp = Blueprint("meta", __name__)


@bp.get("/meta")
def meta() -> Response:
    actor = require_actor()
    catalog = services().runtime.catalog
    with reading(services().runtime.engine) as conn:  # one read for every entity's views
        entities = [
            entity_meta(entity, actor, conn)
            for entity in catalog.entities.values()
            if entity.child or services().records.access.permissions.decide(actor, entity, "read").allowed
        ]
    return jsonify(
        {
            "revision": catalog.revision,
            "apps": [
                {"name": a.name, "label": label(a.label), "version": a.version, "depends": list(a.depends)}
                for a in catalog.apps.values()
            ],
            "entities": entities,
            "forms": [
                {"name": d.qualified_name, "entity": d.entity, "label": label(d.label), "spec": thaw(d.spec)}
                for d in catalog.of_kind("form")
            ],
            "flows": [
                {"name": d.qualified_name, "entity": d.entity, "label": label(d.label)}
                for d in catalog.of_kind("flow")
            ],
        }
    )


def label(value: Label | None) -> dict[str, str] | None:
    return {"zh": value.zh, "en": value.en} if value else None


def entity_meta(entity: Entity, actor: Actor, conn: Connection) -> dict[str, Any]:
    access = services().records.access
    hidden = access.hidden(actor, entity) if not entity.child else frozenset()
    # A child's readonly columns (OA's 核定金额) are the system's and approval steps' to write.
    locked = (
        access.locked(actor, entity)
        if not entity.child
        else frozenset(f.name for f in entity.fields if f.readonly)
    )
    records = services().records
    views = [] if entity.child else records.offered_views(entity.qualified_name, actor, conn=conn)
    body: dict[str, Any] = {
        "name": entity.qualified_name,
        "label": label(entity.label),
        "child": entity.child,
        "title_field": entity.title_field,
        "has_flow": entity.has_flow,
        "fields": [field_meta(f, f.name in locked) for f in entity.fields if f.name not in hidden],
        "list": {
            "columns": [c for c in entity.list.columns if c not in hidden],
            "filters": [c for c in entity.list.filters if c not in hidden],
            "sort": list(entity.list.sort),
            "page_size": entity.list.page_size,
            "views": [
                {
                    "name": v.name,
                    "label": label(v.label),
                    "columns": [n for n in v.columns if n not in hidden],
                }
                for v in views
            ],
        },
    }
    if not entity.child:
        body["can"] = {op: access.permissions.decide(actor, entity, op).scope for op in OPERATIONS}
    return body


def field_meta(field: Field, locked: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": field.name,
        "type": field.type,
        "label": label(field.label),
        "required": field.required,
        "readonly": locked or field.type in ("computed", "autonumber", "rollup"),
    }
    for key in (
        "entity",
        "max_length",
        "min",
        "max",
        "precision",
        "scale",
        "currency",
        "widget",
        "multiple",
        "total",
    ):
        value = getattr(field, key)
        if value not in (None, False):
            body[key] = value
    if field.options:
        body["options"] = [
            {"key": o.key, "label": label(o.label), "color": o.color, "order": o.order, "data": dict(o.data)}
            for o in field.options
        ]
    if field.help:
        body["help"] = label(field.help)
    return body
