"""The OpenAPI 3 document, generated from the Catalog with apispec's marshmallow plugin.

Entity schemas come from the same marshmallow schemas that validate writes, plus the
read-only values the server adds (system columns, computed fields, numbers). Decimals
travel as strings so no client loses a cent to floating point. The document is built
once per Catalog revision.
"""

from __future__ import annotations

from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint
from flask import Response
from flask import current_app
from flask import jsonify
from marshmallow import fields as mf

from loom import __version__
from loom.metadata.catalog import Catalog
from loom.metadata.catalog import Entity

from ..automations.definitions import automation
from ..flows.service import OPERATIONS as FLOW_OPERATIONS
from ..permissions import SHARE_LEVELS
from ..records.query import OPERATORS
from ..records.schemas import SERVER_OWNED
from ..records.schemas import Schemas
from ..services import Services
from ..tables import column_type

bp = Blueprint("openapi", __name__)
DECIMAL = {"type": "string", "format": "decimal", "pattern": r"^-?[0-9]+(\.[0-9]+)?$"}
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
    "enum": ["draft", "in_approval", "approved", "rejected", "withdrawn", "returned"],
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
ERRORS = {
    "400": "Malformed request",
    "401": "Not signed in",
    "403": "Forbidden",
    "404": "Not found",
    "409": "Version conflict",
    "412": "If-Match does not name one version",
    "413": "Too large",
    "422": "Invalid record",
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


class _Builder:
    def __init__(self, catalog: Catalog, schemas: Schemas) -> None:
        self.catalog = catalog
        self.schemas = schemas
        self.plugin = MarshmallowPlugin(schema_name_resolver=lambda schema: None)
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

    def spec(self) -> dict[str, Any]:
        buttons: dict[str, list[str]] = {}
        for definition in self.catalog.of_kind("automation"):
            found = automation(definition)
            if found.trigger == "button":
                buttons.setdefault(found.target, []).append(found.name)
        for entity in self.catalog.entities.values():
            if entity.child:
                continue
            self._entity_component(entity)
            self._entity_paths(entity)
            self._share_paths(entity)
            if buttons.get(entity.qualified_name):
                self._button_paths(entity, buttons[entity.qualified_name])
            if entity.has_flow:
                self._flow_paths(entity)
        self._fixed_paths()
        document = self.api.to_dict()
        document["security"] = [{"bearer": []}, {"session": []}]
        document["servers"] = [{"url": "/api/v1"}]
        return document

    # -- components ------------------------------------------------------------------------

    def _entity_component(self, entity: Entity) -> str:
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
        schema = self.schemas.of(entity.qualified_name)
        converted = self.plugin.converter.schema2jsonschema(schema)["properties"]
        for field in entity.fields:
            if field.type in SERVER_OWNED:
                properties[field.name] = {**_server_owned(field), "readOnly": True}
            elif field.type == "table":
                child = _component_name(self.catalog.entity(field.entity or ""))
                properties[field.name] = {"type": "array", "items": {"$ref": f"#/components/schemas/{child}"}}
            else:
                properties[field.name] = _adjust(converted[field.name], schema.fields[field.name])
        self.api.components.schema(name, {"type": "object", "properties": properties})
        return name

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
                "total": {"type": "integer", "nullable": True},
                "total_is_lower_bound": {"type": "boolean"},
                "next_cursor": {"type": "string", "nullable": True},
            },
        }
        self.api.path(
            path=collection,
            operations={
                "get": {
                    "summary": f"List {label}",
                    "tags": [entity.app],
                    "parameters": _list_parameters(entity),
                    "responses": {"200": _json(page), **_errors("400", "401", "403", "422")},
                },
                "post": {
                    "summary": f"Create a {label}",
                    "tags": [entity.app],
                    "requestBody": {"required": True, "content": {"application/json": {"schema": ref}}},
                    "responses": {"201": _json(ref), **_errors("400", "401", "403", "409", "422")},
                },
            },
        )
        item_parameter = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
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
                    "requestBody": {"required": True, "content": {"application/json": {"schema": ref}}},
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
        record_id = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
        user_id = {"name": "user_id", "in": "path", "required": True, "schema": {"type": "integer"}}
        share = {"$ref": "#/components/schemas/Share"}
        grant = {
            "type": "object",
            "properties": {
                "user_id": {"type": "integer"},
                "level": {"type": "string", "enum": list(SHARE_LEVELS), "default": "read"},
                "expires_at": {"type": "string", "format": "date-time", "nullable": True},
            },
            "required": ["user_id"],
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

    def _button_paths(self, entity: Entity, names: list[str]) -> None:
        base = f"/{entity.app}/{entity.name}/{{id}}/buttons"
        record_id = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
        name = {"name": "name", "in": "path", "required": True, "schema": {"type": "string", "enum": names}}
        button = {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "label": {"type": "object"},
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
        self.api.path(
            path=f"{base}/{{name}}",
            parameters=[record_id, name],
            operations={
                "post": {
                    "summary": "Press a button: run its automation with these parameters",
                    "tags": [entity.app],
                    "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
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
        record_id = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
        operation = {
            "name": "operation",
            "in": "path",
            "required": True,
            "schema": {"type": "string", "enum": ["submit", *sorted(FLOW_OPERATIONS)]},
        }
        payload = {
            "type": "object",
            "properties": {
                "comment": {"type": "string"},
                "to": {},
                "users": {"type": "array", "items": {"type": "integer"}},
                "position": {"type": "string", "enum": ["before", "after", "with"]},
                "values": {"type": "object"},
                "chosen": {"type": "object"},
                "task": {"type": "integer"},
            },
        }
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
                    "comment, urge or copy",
                    "tags": [entity.app],
                    "requestBody": {"content": {"application/json": {"schema": payload}}},
                    "responses": {"200": instance, **_errors("400", "401", "403", "404", "409", "422")},
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
                "tasks": {"type": "array", "items": {"type": "integer"}},
                "comment": {"type": "string"},
            },
            "required": ["tasks"],
        }
        routes = {
            "/tasks": ("get", "My approval inbox", [box], None, ("400", "401", "422")),
            "/tasks/counts": ("get", "Open tasks and unread notifications", [], None, ("401",)),
            "/tasks/approve": ("post", "Approve several tasks", [], batch, ("400", "401")),
            "/notifications": ("get", "My notifications", [], None, ("401",)),
            "/notifications/read": ("post", "Mark notifications read", [], None, ("400", "401")),
        }
        for path, (method, summary, parameters, request_body, errors) in routes.items():
            operation: dict[str, Any] = {
                "summary": summary,
                "parameters": parameters,
                "responses": {"200": anything, **_errors(*errors)},
            }
            if request_body:
                operation["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": request_body}},
                }
            self.api.path(path=path, operations={method: operation})

    def _fixed_paths(self) -> None:
        self._inbox_paths()
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
                "get": {"summary": "This document", "security": [], "responses": {"200": _json(anything)}}
            },
        )


def _component_name(entity: Entity) -> str:
    return f"{entity.app}.{entity.name}"


def _adjust(prop: dict[str, Any], field: mf.Field) -> dict[str, Any]:
    """Decimals are strings on the wire; everything a client may send may also be null."""
    if isinstance(field, mf.Decimal):
        kept = {k: v for k, v in prop.items() if k in ("nullable", "description")}
        return {**DECIMAL, **kept}
    return prop


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


def _list_parameters(entity: Entity) -> list[dict[str, Any]]:
    text = {"type": "string"}
    parameters = [
        {"name": "q", "in": "query", "schema": text, "description": "Free-text search"},
        {"name": "sort", "in": "query", "schema": text, "description": "Fields, '-' first for descending"},
        {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
        {"name": "page_size", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500}},
        {"name": "cursor", "in": "query", "schema": text},
        {"name": "fields", "in": "query", "schema": text, "description": "Comma-separated fields to return"},
        {"name": "count", "in": "query", "schema": {"type": "string", "enum": ["exact", "auto", "none"]}},
    ]
    for name in entity.list.filters:
        parameters.append({"name": name, "in": "query", "schema": text, "description": "Equals"})
    parameters.append(
        {
            "name": "filters",
            "in": "query",
            "style": "form",
            "explode": True,
            "schema": {"type": "object", "additionalProperties": {"type": "string"}},
            "description": f"Any field as field__op=value; ops: {', '.join(OPERATORS)}",
        }
    )
    return parameters


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": "OK", "content": {"application/json": {"schema": schema}}}


def _problem(description: str) -> dict[str, Any]:
    schema = {"$ref": "#/components/schemas/Problem"}
    return {"description": description, "content": {"application/problem+json": {"schema": schema}}}


def _errors(*codes: str) -> dict[str, Any]:
    return {code: _problem(ERRORS[code]) for code in codes}
