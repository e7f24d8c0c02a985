"""The OpenAPI 3 document, generated from the Catalog with apispec's marshmallow plugin.

Entity schemas come from the same marshmallow schemas that validate writes, plus the
read-only values the server adds (system columns, computed fields, numbers). Decimals
travel as strings so no client loses a cent to floating point. The document is built
once per Catalog revision.
"""

from __future__ import annotations

from typing import Any
from typing import cast

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint
from flask import Response
from flask import current_app
from flask import jsonify

from loom import __version__
from loom.metadata.catalog import Catalog
from loom.metadata.catalog import Entity
from loom.metadata.catalog import Field

from .. import fieldtypes
from ..automations.definitions import Automation
from ..automations.definitions import automation
from ..fieldtypes.numbers import DECIMAL
from ..fieldtypes.references import ID
from ..flows.operations import OPERATIONS as FLOW_OPERATIONS
from ..flows.payloads import MODES
from ..flows.payloads import POSITIONS
from ..limits import BATCH_TASKS
from ..limits import COMMENT_FILES
from ..limits import PARAMETER_LENGTH
from ..limits import SEARCH_LENGTH
from ..limits import SORT_KEYS
from ..permissions import SHARE_LEVELS
from ..records.query import MAX_PAGE
from ..records.query import OPERATORS
from ..records.query import SYSTEM_SORTABLE
from ..records.related import MAX_LIMIT as RELATED_LIMIT
from ..records.related import relations_of
from ..records.schemas import MAX_ID
from ..records.schemas import SERVER_OWNED
from ..records.schemas import Schemas
from ..records.schemas import input_fields
from ..records.search import MAX_PER_ENTITY as SEARCH_PER_ENTITY
from ..records.search import MAX_TEXT as SEARCH_TEXT
from ..services import Services
from ..tables import column_type
from .handover import openapi_paths as handover_paths
from .metadata import openapi_paths as metadata_paths
from .reports import openapi_paths as report_paths

bp = Blueprint("openapi", __name__)
LABEL = {"type": "object", "properties": {"zh": {"type": "string"}, "en": {"type": "string"}}}
EMPTY = {"type": "string", "maxLength": 0, "description": "Empty: no value"}
LABEL = {"type": "object", "properties": {"zh": {"type": "string"}, "en": {"type": "string"}}}
SYSTEM_PROPERTIES: dict[str, dict[str, Any]] = {
    "id": {"type": "integer", "readOnly": True},
    "created_at": {"type": "string", "format": "date-time", "readOnly": True},
    "created_by": {"type": "integer", "nullable": True, "readOnly": True},
    "updated_at": {"type": "string", "format": "date-time", "readOnly": True},
    "updated_by": {"type": "integer", "nullable": True, "readOnly": True},
    "owner": {"type": "integer", "nullable": True, "readOnly": True},
    "version": {"type": "integer", "description": "Send back to update only what you saw."},
}
FLOW_STATUS = {
    "type": "string",
    "readOnly": True,
    "enum": ["draft", "in_approval", "approved", "rejected", "withdrawn", "returned", "revoked"],
}
SHARE = {
    "type": "object",
    "properties": {
        "user_id": {"type": "integer"},
        "user_name": {"type": "string", "description": "In lists only"},
        "level": {"type": "string", "enum": list(SHARE_LEVELS)},
        "expires_at": {"type": "string", "format": "date-time", "nullable": True},
        "granted_by": {"type": "integer", "nullable": True},
        "granted_at": {"type": "string", "format": "date-time"},
    },
}
MOMENT = {"type": "string", "format": "date-time"}
NOTIFICATION = {  # one of GET /notifications' items: unread ones first, then newest first
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "user_id": {"type": "integer"},
        "at": MOMENT,
        "kind": {
            "type": "string",
            "description": "task, cc, result, returned, urge, remind, revoke, revoke_refused, mention, "
            "automation",
        },
        "entity": {"type": "string", "nullable": True},
        "record_id": {"type": "integer", "nullable": True},
        "instance_id": {"type": "integer", "nullable": True},
        "flow": {"type": "string", "nullable": True, "description": "The approval's flow, from message.flow"},
        "message": {"type": "object", "description": "The kind's details: node, task, outcome, comment, by…"},
        "read_at": {**MOMENT, "nullable": True},
        "mailed_at": {**MOMENT, "nullable": True},
        "initiator_id": {"type": "integer", "nullable": True},
        "initiator_name": {"type": "string", "nullable": True},
        "title": {"nullable": True, "description": "The record's title field, as stored"},
        "headline": {
            "type": "string",
            "nullable": True,
            "description": "Who asked for what: 杨磊提交的请假申请",
        },
        "summary": {
            "type": "string",
            "nullable": True,
            "description": "The flow's summary line for this reader, else the entity's",
        },
    },
}
NOTIFICATIONS = {"type": "object", "properties": {"items": {"type": "array", "items": NOTIFICATION}}}
TASK_ITEM = {
    "type": "object",
    "description": "A task (boxes todo, done, cc) or an approval the caller started (box started)",
    "properties": {
        "task_id": {"type": "integer", "description": "Not in the started box"},
        "node": {"type": "string", "nullable": True},
        "kind": {
            "type": "string",
            "enum": ["approve", "cc", "revoke"],
            "description": "Not in the started box; revoke: agree to or refuse a revocation",
        },
        "task_status": {"type": "string"},
        "created_at": {**MOMENT, "nullable": True},
        "acted_at": {**MOMENT, "nullable": True},
        "on_behalf_of": {"type": "integer", "nullable": True},
        "started_at": {**MOMENT, "description": "Box started only"},
        "finished_at": {**MOMENT, "nullable": True, "description": "Box started only"},
        "instance_id": {"type": "integer"},
        "flow": {"type": "string"},
        "entity": {"type": "string"},
        "record_id": {"type": "integer"},
        "status": {"type": "string"},
        "initiator_id": {"type": "integer", "nullable": True},
        "initiator_name": {"type": "string", "nullable": True},
        "batch_approve": {
            "type": "boolean",
            "description": "Box todo only: the flow lets it be approved with others (POST /tasks/approve)",
        },
        "signature_required": {
            "type": "boolean",
            "description": "Box todo only: approving takes a handwritten signature (signature: required)",
        },
        "title": {"nullable": True, "description": "The record's title field, as stored"},
        "headline": {
            "type": "string",
            "nullable": True,
            "description": "Who asked for what, in the request's language: 杨磊提交的请假申请",
        },
        "summary": {
            "type": "string",
            "nullable": True,
            "description": "The flow's summary line for this reader, else the entity's "
            "(事假 1天 · 12月4日–12月5日); null when neither declares one",
        },
    },
}
ERRORS = {
    "400": "Malformed request",
    "401": "Not signed in",
    "403": "Forbidden",
    "404": "Not found",
    "409": "Version conflict",
    "412": "If-Match does not name one version",
    "413": "Too large",
    "422": "Invalid record",
    "428": "A version (If-Match or version) is required",
}


@bp.get("/openapi.json")
def document() -> Response:
    """Built on first request and kept per Catalog revision (a new revision, a new document)."""
    services: Services = current_app.extensions["loom"]
    built = current_app.extensions.setdefault("loom_openapi", {})
    revision = services.runtime.catalog.revision
    if revision not in built:
        built[revision] = build(services.runtime.catalog, services.records.schemas)
    return jsonify(built[revision])


def build(catalog: Catalog, schemas: Schemas) -> dict[str, Any]:
    return _Builder(catalog, schemas).spec()


def _inline(schema: type) -> str | None:
    """No name for any schema: each entity's schema is written once, by hand, under its own name."""
    return None


class _Builder:
    def __init__(self, catalog: Catalog, schemas: Schemas) -> None:
        self.catalog = catalog
        self.schemas = schemas
        # apispec documents a resolver answering None (inline every schema) but types it as str
        self.plugin = MarshmallowPlugin(schema_name_resolver=cast(Any, _inline))
        self.api = APISpec(
            title="Loom",
            version=__version__,
            openapi_version="3.0.3",
            plugins=[self.plugin],
            info={"description": "Records, files and metadata of one Loom site."},
        )
        self.api.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
        self.api.components.security_scheme("session", {"type": "apiKey", "in": "cookie", "name": "session"})
        self._problem_component()
        self.api.components.schema("Share", SHARE)
        self.api.components.schema("TaskItem", TASK_ITEM)
        assert self.plugin.converter is not None  # set by APISpec when it registers the plugin
        self._converter = self.plugin.converter

    def spec(self) -> dict[str, Any]:
        buttons: dict[str, list[Automation]] = {}
        for definition in self.catalog.of_kind("automation"):
            found = automation(definition)
            if found.trigger == "button" and definition.spec.get("enabled", True) is not False:
                buttons.setdefault(found.target, []).append(found)
        for entity in self.catalog.entities.values():
            if entity.child:
                continue
            self._entity_component(entity)
            self._entity_paths(entity)
            self._share_paths(entity)
            self._related_paths(entity)
            if buttons.get(entity.qualified_name):
                self._button_paths(entity, buttons[entity.qualified_name])
            if entity.has_flow:
                self._flow_paths(entity)
        self._fixed_paths()
        report_paths(self.api, _problem, _errors)
        metadata_paths(self.api, _errors)
        handover_paths(self.api, _errors)
        document = self.api.to_dict()
        document["security"] = [{"bearer": []}, {"session": []}]
        document["servers"] = [{"url": "/api/v1"}]
        return document

    # -- components ------------------------------------------------------------------------

    def _entity_component(self, entity: Entity) -> str:
        """The record as read: every field, with what the server sets or keeps marked readOnly."""
        name = _component_name(entity)
        if name in self.api.components.schemas:
            return name
        for field in entity.fields:
            if field.type == "table":
                self._entity_component(self.catalog.entity(field.entity or ""))
        properties = (
            dict(SYSTEM_PROPERTIES) if not entity.child else {"id": {"type": "integer", "nullable": True}}
        )
        if entity.has_flow:
            properties["flow_status"] = FLOW_STATUS
            properties["flow"] = {
                "type": "object",
                "nullable": True,
                "readOnly": True,
                "description": "The latest approval with its timeline (single-record responses only)",
            }
        for field in entity.fields:
            if field.type in SERVER_OWNED:
                properties[field.name] = {**_server_owned(field), "readOnly": True}
            elif field.type == "table":
                child = _component_name(self.catalog.entity(field.entity or ""))
                properties[field.name] = {"type": "array", "items": {"$ref": f"#/components/schemas/{child}"}}
            else:
                properties[field.name] = self._property(entity, field)
                if field.readonly:
                    properties[field.name] = {**properties[field.name], "readOnly": True}
        self.api.components.schema(name, {"type": "object", "properties": properties})
        return name

    def _input_component(self, entity: Entity, mode: str) -> dict[str, str]:
        """What a client may send: ``create`` (with ``required``), ``update``, or a table's ``row``.

        Only fields a client may write; unknown keys are refused, so none are allowed here.
        A required field may not be empty; a table with ``min_rows`` must be sent on create.
        """
        name = f"{_component_name(entity)}.{mode}"
        if name not in self.api.components.schemas:
            properties: dict[str, Any] = {}
            required: list[str] = []
            for field in input_fields(entity):
                if field.readonly:
                    continue
                if field.type == "table":
                    child = self.catalog.entity(field.entity or "")
                    prop: dict[str, Any] = {"type": "array", "items": self._input_component(child, "row")}
                    if field.min_rows:
                        prop["minItems"] = field.min_rows
                    if field.max_rows is not None:
                        prop["maxItems"] = field.max_rows
                    needed = bool(field.min_rows) and mode != "update"
                else:
                    prop = self._property(entity, field)
                    needed = field.required and field.default is None and mode != "update"
                if field.required:
                    prop = _not_empty(prop)
                elif (prop.get("format") or prop.get("pattern")) and prop.get("type") == "string":
                    prop = {"anyOf": [prop, EMPTY]}  # "" is read as null (a phone number too)
                if needed:
                    required.append(field.name)
                properties[field.name] = prop
            if mode == "update":
                properties["version"] = {**ID, "nullable": True, "description": "The version you saw"}
            if mode == "row":
                properties["id"] = {"type": "integer", "minimum": 1, "maximum": MAX_ID, "nullable": True}
            schema: dict[str, Any] = {"type": "object", "properties": properties}
            schema["additionalProperties"] = False
            if required:
                schema["required"] = required
            self.api.components.schema(name, schema)
        return {"$ref": f"#/components/schemas/{name}"}

    def _property(self, entity: Entity, field: Field) -> dict[str, Any]:
        schema = self.schemas.of(entity.qualified_name)
        converted = self._converter.field2property(schema.fields[field.name])
        return fieldtypes.of(field.type).openapi(field, converted)

    def _problem_component(self) -> None:
        self.api.components.schema(
            "Problem",
            {
                "type": "object",
                "properties": {
                    "type": {"type": "string"},
                    "title": {"type": "string"},
                    "status": {"type": "integer"},
                    "detail": {"type": "string"},
                    "request_id": {"type": "string", "nullable": True},
                    "errors": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "field": {"type": "string"},
                                "code": {"type": "string"},
                                "message": {"type": "string"},
                            },
                        },
                    },
                },
                "required": ["type", "title", "status"],
            },
        )

    # -- paths -----------------------------------------------------------------------------

    def _entity_paths(self, entity: Entity) -> None:
        ref = {"$ref": f"#/components/schemas/{_component_name(entity)}"}
        label = entity.label.en
        collection = f"/{entity.app}/{entity.name}"
        page = {
            "type": "object",
            "properties": {
                "items": {"type": "array", "items": ref},
                "page": {"type": "integer"},
                "page_size": {"type": "integer"},
                "total": {
                    "type": "integer",
                    "nullable": True,
                    "description": "Matching records (see count); null on a cursor page or with count=none",
                },
                "total_is_lower_bound": {"type": "boolean"},
                "next_cursor": {"type": "string", "nullable": True},
            },
        }
        self.api.path(
            path=collection,
            operations={
                "get": {
                    "summary": f"List {label}",
                    "description": "Besides the declared filters, any readable field filters as "
                    f"field=value or field__op=value; ops: {', '.join(OPERATORS)}",
                    "tags": [entity.app],
                    "parameters": _list_parameters(entity, self._property),
                    "responses": {"200": _json(page), **_errors("400", "401", "403", "422")},
                },
                "post": {
                    "summary": f"Create a {label}",
                    "tags": [entity.app],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": self._input_component(entity, "create")}},
                    },
                    "responses": {"201": _json(ref), **_errors("400", "401", "403", "409", "422")},
                },
            },
        )
        item_parameter = _id_parameter("id")
        if_match = {"name": "If-Match", "in": "header", "schema": {"type": "string"}}
        self.api.path(
            path=f"{collection}/{{id}}",
            parameters=[item_parameter],
            operations={
                "get": {
                    "summary": f"Get a {label}",
                    "tags": [entity.app],
                    "responses": {
                        "200": _json(ref),
                        "304": {"description": "Not modified"},
                        **_errors("401", "403", "404"),
                    },
                },
                "patch": {
                    "summary": f"Change a {label}",
                    "tags": [entity.app],
                    "parameters": [if_match],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": self._input_component(entity, "update")}},
                    },
                    "responses": {
                        "200": _json(ref),
                        **_errors("400", "401", "403", "404", "409", "412", "422"),
                    },
                },
                "delete": {
                    "summary": f"Delete a {label}",
                    "tags": [entity.app],
                    "parameters": [if_match],
                    "responses": {
                        "204": {"description": "Deleted"},
                        **_errors("401", "403", "404", "409", "412"),
                    },
                },
            },
        )

    def _share_paths(self, entity: Entity) -> None:
        base = f"/{entity.app}/{entity.name}/{{id}}/shares"
        record_id = _id_parameter("id")
        user_id = _id_parameter("user_id")
        share = {"$ref": "#/components/schemas/Share"}
        grant = {
            "type": "object",
            "properties": {
                "user_id": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                "level": {"type": "string", "enum": list(SHARE_LEVELS), "default": "read"},
                "expires_at": {
                    "type": "string",
                    "format": "date-time",
                    "nullable": True,
                    "description": "In the future; absent or null: no expiry",
                },
            },
            "required": ["user_id"],
            "additionalProperties": False,
        }
        listed = {"type": "object", "properties": {"items": {"type": "array", "items": share}}}
        self.api.path(
            path=base,
            parameters=[record_id],
            operations={
                "get": {
                    "summary": "The users this record is shared with",
                    "tags": [entity.app],
                    "responses": {"200": _json(listed), **_errors("401", "403", "404")},
                },
                "post": {
                    "summary": "Share this record with a user (again: replace the level and expiry)",
                    "tags": [entity.app],
                    "requestBody": {"required": True, "content": {"application/json": {"schema": grant}}},
                    "responses": {"200": _json(share), **_errors("400", "401", "403", "404", "409", "422")},
                },
            },
        )
        self.api.path(
            path=f"{base}/{{user_id}}",
            parameters=[record_id, user_id],
            operations={
                "delete": {
                    "summary": "Stop sharing this record with a user",
                    "tags": [entity.app],
                    "responses": {"204": {"description": "Unshared"}, **_errors("401", "403", "404")},
                }
            },
        )

    def _related_paths(self, entity: Entity) -> None:
        if next(relations_of(self.catalog, entity.qualified_name), None) is None:
            return
        relation = {
            "type": "object",
            "properties": {
                "entity": {"type": "string"},
                "field": {"type": "string"},
                "label": LABEL,
                "field_label": LABEL,
                "total": {"type": "integer", "nullable": True},
                "total_is_lower_bound": {"type": "boolean"},
                "items": {"type": "array", "items": {"type": "object"}},
            },
        }
        listed = {"type": "object", "properties": {"items": {"type": "array", "items": relation}}}
        limit = {"type": "integer", "minimum": 1, "maximum": RELATED_LIMIT, "default": 5}
        self.api.path(
            path=f"/{entity.app}/{entity.name}/{{id}}/related",
            parameters=[
                {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}},
                {"name": "limit", "in": "query", "schema": limit},
            ],
            operations={
                "get": {
                    "summary": "The records that link to this one, by linking entity, newest first",
                    "tags": [entity.app],
                    "responses": {"200": _json(listed), **_errors("400", "401", "403", "404")},
                }
            },
        )

    def _button_paths(self, entity: Entity, buttons: list[Automation]) -> None:
        base = f"/{entity.app}/{entity.name}/{{id}}/buttons"
        record_id = _id_parameter("id")
        button = {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "label": LABEL,
                "confirm": {"nullable": True},
                "params": {"type": "array", "items": {"type": "object"}},
            },
        }
        listed = {"type": "object", "properties": {"items": {"type": "array", "items": button}}}
        record = {"$ref": f"#/components/schemas/{_component_name(entity)}"}
        self.api.path(
            path=base,
            parameters=[record_id],
            operations={
                "get": {
                    "summary": "The buttons of this record the caller may press now",
                    "tags": [entity.app],
                    "responses": {"200": _json(listed), **_errors("401", "403", "404")},
                }
            },
        )
        for found in buttons:
            self.api.path(
                path=f"{base}/{found.name}",
                parameters=[record_id],
                operations={
                    "post": {
                        "summary": f"Press '{found.label.en}': run its automation with these parameters",
                        "tags": [entity.app],
                        "requestBody": {"content": {"application/json": {"schema": _button_body(found)}}},
                        "responses": {
                            "200": _json(record),
                            "204": {"description": "Done; the record is no longer the caller's to see"},
                            **_errors("400", "401", "403", "404", "409", "422"),
                        },
                    }
                },
            )

    def _flow_paths(self, entity: Entity) -> None:
        base = f"/{entity.app}/{entity.name}/{{id}}/flow"
        record_id = _id_parameter("id")
        chosen = {"type": "object", "additionalProperties": {"type": "array", "items": ID}}
        operation = {
            "name": "operation",
            "in": "path",
            "required": True,
            "schema": {"type": "string", "enum": ["submit", *sorted(FLOW_OPERATIONS)]},
        }
        payload = {
            "type": "object",
            "description": "Each operation reads the keys it needs: approve and reject take comment "
            "(and values at a step that edits fields); approve, reject, return and comment take "
            "attachments (ids of files the caller uploaded) and mentions (ids of the approval's "
            "people, who are notified); approve takes signature (a PNG the caller uploaded), "
            "required at a step declaring signature: required; return takes to (a node name); transfer "
            "takes to (a user id); add_approver takes users and position; cc takes users; "
            "submit takes chosen (node name to user ids) where the submitter picks approvers; "
            "revoke (an approved record, by its initiator, where the flow allows it) takes the "
            "reason as comment.",
            "properties": {
                "comment": {"type": "string", "nullable": True},
                "to": {"oneOf": [{"type": "string"}, {"type": "integer", "minimum": 1, "maximum": MAX_ID}]},
                "users": {"type": "array", "items": ID},
                "attachments": {"type": "array", "items": ID, "maxItems": COMMENT_FILES},
                "mentions": {"type": "array", "items": ID},
                "signature": {**ID, "nullable": True},
                "position": {"type": "string", "enum": list(POSITIONS)},
                "mode": {
                    "type": "string",
                    "enum": list(MODES),
                    "description": "add_approver: how the added approvers decide",
                },
                "values": {"type": "object"},
                "chosen": chosen,
                "task": ID,
            },
        }
        self._preview_path(entity, chosen)
        instance = _json({"type": "object", "nullable": True})
        self.api.path(
            path=base,
            parameters=[record_id],
            operations={
                "get": {
                    "summary": "The latest approval and its timeline",
                    "tags": [entity.app],
                    "responses": {"200": instance, **_errors("401", "403", "404")},
                }
            },
        )
        self.api.path(
            path=f"{base}/{{operation}}",
            parameters=[record_id, operation],
            operations={
                "post": {
                    "summary": "Submit, approve, reject, return, withdraw, transfer, add an approver, "
                    "comment, urge, copy or revoke",
                    "tags": [entity.app],
                    "requestBody": {"content": {"application/json": {"schema": payload}}},
                    "responses": {"200": instance, **_errors("400", "401", "403", "404", "409", "422")},
                }
            },
        )

    def _preview_path(self, entity: Entity, chosen: dict[str, Any]) -> None:
        label = {"type": "object", "properties": {"zh": {"type": "string"}, "en": {"type": "string"}}}
        person = {
            "type": "object",
            "properties": {
                "id": ID,
                "name": {"type": "string"},
                "on_behalf_of": {**ID, "nullable": True},
            },
        }
        step = {
            "type": "object",
            "properties": {
                "node": {"type": "string"},
                "label": label,
                "kind": {"type": "string", "enum": ["approve", "cc", "branch"]},
                "users": {"type": "array", "items": person},
                "notes": {"type": "array", "items": {"type": "object"}},
            },
        }
        chain = {
            "type": "object",
            "properties": {
                "flow": {"type": "string"},
                "label": label,
                "outcome": {"type": "string"},
                "steps": {"type": "array", "items": step},
            },
        }
        request_body = {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "values": {
                    "type": "object",
                    "description": "The form's values as typed so far (a create body, or the "
                    "changes to `record`)",
                },
                "record": {**ID, "nullable": True, "description": "A draft being edited"},
                "chosen": chosen,
            },
        }
        self.api.path(
            path=f"/{entity.app}/{entity.name}/flow/preview",
            operations={
                "post": {
                    "summary": "The approval chain a submit would get now, with the real "
                    "approvers; nothing is saved",
                    "tags": [entity.app],
                    "requestBody": {"content": {"application/json": {"schema": request_body}}},
                    "responses": {"200": _json(chain), **_errors("400", "401", "403", "404", "409", "422")},
                }
            },
        )

    def _inbox_paths(self) -> None:
        anything = _json({"type": "object"})
        box = {
            "name": "box",
            "in": "query",
            "schema": {"type": "string", "enum": ["todo", "done", "cc", "started"]},
        }
        batch = {
            "type": "object",
            "properties": {
                "tasks": {"type": "array", "items": ID, "maxItems": BATCH_TASKS},
                "comment": {"type": "string", "nullable": True},
                "signature": {
                    **ID,
                    "nullable": True,
                    "description": "A PNG the caller uploaded, signing every task whose step requires it",
                },
            },
            "required": ["tasks"],
        }
        read = {
            "type": "object",
            "properties": {
                "ids": {"type": "array", "items": ID, "nullable": True, "description": "Absent or null: all"}
            },
        }
        paging = [
            {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100_000}},
            {"name": "page_size", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200}},
        ]
        unread = {"name": "unread", "in": "query", "schema": {"type": "boolean"}}
        flows = sorted(e.qualified_name for e in self.catalog.entities.values() if e.has_flow)
        only = [
            {
                "name": "entity",
                "in": "query",
                "schema": {"type": "string", **({"enum": flows} if flows else {})},
            },
            {"name": "initiator", "in": "query", "schema": ID, "description": "Started by this user"},
            {
                "name": "since",
                "in": "query",
                "schema": {"type": "string", "format": "date"},
                "description": "Arrived on this day or later, in the site's zone",
            },
        ]
        listed = {
            "type": "object",
            "properties": {
                "box": box["schema"],
                "items": {"type": "array", "items": {"$ref": "#/components/schemas/TaskItem"}},
                "total": {"type": "integer"},
                "page": {"type": "integer"},
                "page_size": {"type": "integer"},
            },
        }
        routes = {
            "/tasks": ("get", "My approval inbox", [box, *only, *paging], None, ("400", "401", "403", "422")),
            "/tasks/counts": ("get", "Open tasks and unread notifications", [], None, ("401", "403")),
            "/tasks/approve": ("post", "Approve several tasks", [], batch, ("400", "401", "403", "422")),
            "/notifications": ("get", "My notifications", [unread], None, ("401", "403")),
            "/notifications/read": ("post", "Mark notifications read", [], read, ("400", "401", "403")),
        }
        answers = {"/tasks": _json(listed), "/notifications": _json(NOTIFICATIONS)}
        for path, (method, summary, parameters, request_body, errors) in routes.items():
            operation: dict[str, Any] = {
                "summary": summary,
                "parameters": parameters,
                "responses": {"200": answers.get(path, anything), **_errors(*errors)},
            }
            if request_body:
                operation["requestBody"] = {
                    "required": "required" in request_body,
                    "content": {"application/json": {"schema": request_body}},
                }
            self.api.path(path=path, operations={method: operation})

    def _delegation_paths(self) -> None:
        day = {"type": "string", "format": "date"}
        user = {"type": "integer", "minimum": 1}
        delegation = {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "user_id": user,
                "user_name": {"type": "string"},
                "delegate_id": user,
                "delegate_name": {"type": "string"},
                "starts_on": day,
                "ends_on": day,
                "flows": {"type": "array", "items": {"type": "string"}, "nullable": True},
                "reason": {"type": "string", "nullable": True},
                "active": {"type": "boolean"},
                "state": {"type": "string", "enum": ["planned", "active", "over", "ended"]},
                "ended_at": {"type": "string", "format": "date-time", "nullable": True},
            },
        }
        given = {
            "type": "object",
            "properties": {
                "user_id": {**user, "description": "Whose approvals (default: the caller; others: admins)"},
                "delegate_id": user,
                "starts_on": day,
                "ends_on": day,
                "flows": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                "reason": {"type": "string", "maxLength": 500},
            },
            "required": ["delegate_id", "starts_on", "ends_on"],
            "additionalProperties": False,
        }
        listed = {"type": "object", "properties": {"items": {"type": "array", "items": delegation}}}
        filters = [
            {"name": "user", "in": "query", "schema": user, "description": "Whose delegations (admins)"},
            {"name": "current", "in": "query", "schema": {"type": "string", "enum": ["true", "false"]}},
        ]
        body = {"required": True, "content": {"application/json": {"schema": given}}}
        self.api.path(
            path="/delegations",
            operations={
                "get": {
                    "summary": "Delegations I gave or received (admins: anyone's)",
                    "parameters": filters,
                    "responses": {"200": _json(listed), **_errors("400", "401", "403")},
                },
                "post": {
                    "summary": "Have someone approve for a user while they are away (委托)",
                    "requestBody": body,
                    "responses": {"201": _json(delegation), **_errors("400", "401", "403", "422")},
                },
            },
        )
        delegation_id = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
        self.api.path(
            path="/delegations/{id}/end",
            parameters=[delegation_id],
            operations={
                "post": {
                    "summary": "End a delegation now",
                    "responses": {"200": _json(delegation), **_errors("401", "403", "404")},
                }
            },
        )

    def _personal_view_paths(self) -> None:
        names = {"type": "array", "items": {"type": "string"}}
        params = {
            "type": "object",
            "additionalProperties": {"type": "string", "maxLength": 200},
            "description": "List parameters: the entity's filters (REST syntax), q, sort, view",
        }
        view = {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "user_id": {"type": "integer"},
                "entity": {"type": "string"},
                "label": {"type": "string"},
                "params": params,
                "columns": names,
            },
        }
        label = {"type": "string", "minLength": 1, "maxLength": 40}
        given = {
            "type": "object",
            "properties": {"entity": {"type": "string"}, "label": label, "params": params, "columns": names},
            "required": ["entity", "label"],
            "additionalProperties": False,
        }
        renamed = {
            "type": "object",
            "properties": {"label": label},
            "required": ["label"],
            "additionalProperties": False,
        }
        listed = {"type": "object", "properties": {"items": {"type": "array", "items": view}}}
        qualified = {"type": "string", "pattern": r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$"}  # app.entity
        entity = {"name": "entity", "in": "query", "required": True, "schema": qualified}
        self.api.path(
            path="/views",
            operations={
                "get": {
                    "summary": "My own saved views of an entity's list (我的视图)",
                    "parameters": [entity],
                    "responses": {"200": _json(listed), **_errors("400", "401", "403", "404")},
                },
                "post": {
                    "summary": "Save a list's filters, search, sort and columns as my view",
                    "requestBody": {"required": True, "content": {"application/json": {"schema": given}}},
                    "responses": {"201": _json(view), **_errors("400", "401", "403", "404", "422")},
                },
            },
        )
        view_id = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
        self.api.path(
            path="/views/{id}",
            parameters=[view_id],
            operations={
                "patch": {
                    "summary": "Rename my view",
                    "requestBody": {"required": True, "content": {"application/json": {"schema": renamed}}},
                    "responses": {"200": _json(view), **_errors("400", "401", "404", "422")},
                },
                "delete": {
                    "summary": "Delete my view",
                    "responses": {"204": {"description": "Deleted"}, **_errors("401", "404")},
                },
            },
        )

    def _search_paths(self) -> None:
        group = {
            "type": "object",
            "properties": {
                "entity": {"type": "string"},
                "label": LABEL,
                "title_field": {"type": "string", "nullable": True},
                "total": {"type": "integer", "nullable": True},
                "total_is_lower_bound": {"type": "boolean"},
                "items": {"type": "array", "items": {"type": "object"}},
            },
        }
        found = {"type": "object", "properties": {"groups": {"type": "array", "items": group}}}
        parameters = [
            {
                "name": "q",
                "in": "query",
                "required": True,
                "schema": {"type": "string", "minLength": 1, "maxLength": SEARCH_TEXT, "pattern": r"\S"},
            },
            {
                "name": "limit",
                "in": "query",
                "schema": {"type": "integer", "minimum": 1, "maximum": SEARCH_PER_ENTITY, "default": 5},
            },
        ]
        self.api.path(
            path="/search",
            operations={
                "get": {
                    "summary": "Search every entity I may read (title and search fields), grouped by entity",
                    "parameters": parameters,
                    "responses": {"200": _json(found), **_errors("400", "401", "422")},
                }
            },
        )

    def _fixed_paths(self) -> None:
        self._inbox_paths()
        self._delegation_paths()
        self._personal_view_paths()
        self._search_paths()
        anything = {"type": "object"}
        self.api.path(
            path="/meta",
            operations={
                "get": {
                    "summary": "Apps, entities and forms for this user",
                    "responses": {"200": _json(anything), **_errors("401")},
                }
            },
        )
        self.api.path(
            path="/me",
            operations={
                "get": {
                    "summary": "The signed-in user",
                    "responses": {"200": _json(anything), **_errors("401")},
                }
            },
        )
        credentials = {
            "type": "object",
            "properties": {"login": {"type": "string"}, "password": {"type": "string"}},
            "required": ["login", "password"],
        }
        self.api.path(
            path="/auth/login",
            operations={
                "post": {
                    "summary": "Sign in (sets the session cookie; returns the CSRF token)",
                    "security": [],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": credentials}},
                    },
                    "responses": {
                        "200": _json(anything),
                        **_errors("400", "401", "403"),
                        "415": _problem("The body is not JSON"),
                        "429": _problem("Too many failed logins"),
                    },
                }
            },
        )
        self.api.path(
            path="/auth/logout",
            operations={
                "post": {
                    "summary": "Sign out (ends the session)",
                    "security": [],
                    "responses": {"200": _json(anything), **_errors("403")},
                }
            },
        )
        upload = {
            "type": "object",
            "properties": {"file": {"type": "string", "format": "binary"}},
            "required": ["file"],
        }
        self.api.path(
            path="/files",
            operations={
                "post": {
                    "summary": "Upload a file",
                    "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": upload}}},
                    "responses": {"201": _json(anything), **_errors("400", "401", "403", "413")},
                }
            },
        )
        self.api.path(
            path="/files/{id}",
            parameters=[{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            operations={
                "get": {
                    "summary": "Download a file",
                    "responses": {
                        "200": {
                            "description": "The file",
                            "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
                        },
                        **_errors("401", "404"),
                    },
                }
            },
        )
        self.api.path(
            path="/openapi.json",
            operations={
                "get": {
                    "summary": "This document",
                    "security": [],
                    "responses": {"200": _json(anything), **_errors()},
                }
            },
        )


def _component_name(entity: Entity) -> str:
    return f"{entity.app}.{entity.name}"


def _not_empty(prop: dict[str, Any]) -> dict[str, Any]:
    """A required field's value: never null, and text not empty (the server reads "" as null)."""
    if "$ref" in prop:
        return prop
    strict = {k: v for k, v in prop.items() if k != "nullable"}
    if strict.get("type") == "string" and not strict.get("minLength"):
        strict["minLength"] = 1
    if isinstance(strict.get("enum"), list):
        strict["enum"] = [v for v in strict["enum"] if v is not None]
    if strict.get("type") == "array" and not strict.get("minItems"):
        strict["minItems"] = 1
    return strict


def _id_parameter(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": ID}


PARAM_TYPES: dict[str, dict[str, Any]] = {
    **dict.fromkeys(("user", "link", "department", "file", "image"), ID),
    "boolean": {"type": "boolean"},
    "integer": {"type": "integer"},
    "date": {"type": "string", "format": "date"},
    "datetime": {"type": "string", "format": "date-time"},
    "geo": {"type": "object"},
}


def _button_body(found: Automation) -> dict[str, Any]:
    """A button's parameters as an object; keys it does not declare are ignored."""
    properties: dict[str, Any] = {}
    required = []
    for spec in found.options.get("params", ()):
        prop = dict(PARAM_TYPES.get(spec.get("type", "string"), {"type": "string"}))
        if spec.get("options"):
            keys = [o if isinstance(o, str) else o["key"] for o in spec["options"]]
            prop = {"type": "string", "enum": keys}
        if spec.get("required"):
            required.append(spec["name"])
            if prop.get("type") == "string" and "enum" not in prop:
                prop["minLength"] = 1
        else:
            prop["nullable"] = True
        properties[spec["name"]] = prop
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def _server_owned(field: Any) -> dict[str, Any]:
    python_type = column_type(field).python_type
    if python_type is int:
        return {"type": "integer", "nullable": True}
    if python_type.__name__ == "Decimal":
        return {**DECIMAL, "nullable": True}
    if python_type is bool:
        return {"type": "boolean", "nullable": True}
    if python_type.__name__ == "date":
        return {"type": "string", "format": "date", "nullable": True}
    if python_type.__name__ == "datetime":
        return {"type": "string", "format": "date-time", "nullable": True}
    return {"type": "string", "nullable": True}


def _list_parameters(entity: Entity, property_of: Any) -> list[dict[str, Any]]:
    """Paging, search, sort and the entity's declared filters, typed as the server parses them."""
    sortable = [f.name for f in entity.fields if f.type not in ("table", "many") and not f.multiple]
    sortable += [n for n in SYSTEM_SORTABLE if n != "flow_status" or entity.has_flow]
    keys = {"type": "string", "enum": ["", *(k for n in sortable for k in (n, f"-{n}"))]}  # "": ignored
    chosen = {"type": "string", "enum": [f.name for f in entity.fields] + list(SYSTEM_SORTABLE)}
    parameters: list[dict[str, Any]] = [
        {
            "name": "q",
            "in": "query",
            "schema": {"type": "string", "maxLength": SEARCH_LENGTH},
            "description": "Free-text search",
        },
        {
            "name": "sort",
            "in": "query",
            "style": "form",
            "explode": False,
            "schema": {"type": "array", "items": keys, "maxItems": SORT_KEYS},
            "description": "Fields, '-' first for descending",
        },
        {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}},
        {"name": "page_size", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500}},
        {
            "name": "cursor",
            "in": "query",
            "schema": {"type": "string", "maxLength": PARAMETER_LENGTH},
            "description": "A next_cursor, with the same sort",
        },
        {
            "name": "fields",
            "in": "query",
            "style": "form",
            "explode": False,
            "schema": {"type": "array", "items": chosen, "minItems": 1},
            "description": "Fields to return",
        },
        {
            "name": "count",
            "in": "query",
            "schema": {"type": "string", "enum": ["exact", "auto", "none"]},
            "description": "auto (default): total exact up to 10000, then a lower bound; a cursor page "
            "is not counted again (total null) unless exact; none: total null",
        },
    ]
    if entity.list.views:
        parameters.append(
            {
                "name": "view",
                "in": "query",
                "schema": {"type": "string", "enum": [v.name for v in entity.list.views]},
                "description": "A saved view: its filter within the caller's scope, its sort unless "
                "sort is given; a view not offered to the caller (another role's) is forbidden (403)",
            }
        )
    for name in entity.list.filters:
        if not entity.has_field(name) or entity.field(name).type in ("table", "many"):
            continue
        schema = {k: v for k, v in property_of(entity, entity.field(name)).items() if k not in ("nullable",)}
        if schema.get("type") in ("object", "array"):
            continue
        if isinstance(schema.get("enum"), list):
            schema["enum"] = [v for v in schema["enum"] if v is not None]
        parameters.append({"name": name, "in": "query", "schema": schema, "description": "Equals"})
    return parameters


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": "OK", "content": {"application/json": {"schema": schema}}}


def _problem(description: str) -> dict[str, Any]:
    schema = {"$ref": "#/components/schemas/Problem"}
    return {"description": description, "content": {"application/problem+json": {"schema": schema}}}


def _errors(*codes: str) -> dict[str, Any]:
    """The problems of an operation; any may be 400, since every parameter is bounded (limits.py)."""
    return {code: _problem(ERRORS[code]) for code in sorted({"400", *codes})}
