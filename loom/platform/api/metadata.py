"""Live metadata routes (admins only): ``/metadata`` revisions, validate, plan, publish, rollback.

Changes are sent as documents by path, ``{"changes": {"overlays/acme.yaml": "kind: overlay…",
"apps/seal/app.yaml": "…", "overlays/old.yaml": null}}``: text adds or replaces a document of
the site's layer, null removes it. Nothing is applied before publish, which names the revision
the changes were made on (``parent``) and is refused as a conflict if another publish landed.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Mapping
from typing import Any

from flask import Blueprint
from flask import Response
from flask import jsonify
from flask import request
from werkzeug.exceptions import NotFound
from werkzeug.exceptions import PreconditionRequired
from werkzeug.exceptions import UnprocessableEntity

from loom.metadata.provenance import UnknownTarget

from ..actor import Actor
from ..records.audit import jsonable
from ..records.errors import PermissionDenied
from ..revisions import customizations
from ..revisions import drafts
from ..revisions import publish as pipeline
from ..revisions import store
from ..revisions.provenance import explain_on_site
from ..site import Site
from .auth import require_actor
from .auth import services
from .i18n import BadParameter
from .i18n import lang
from .i18n import text
from .problems import problem
from .records import expected_version
from .records import json_body

bp = Blueprint("metadata", __name__)
MAX_MESSAGE = 500
MAX_DOCUMENT = 2 * 1024 * 1024
ZIP_TYPES = ("application/zip", "application/octet-stream")
# LAYER_PATH of the loader, as the OpenAPI document states it in words (ECMA regex, no named groups).
PATH_PATTERN = (
    r"^(?:apps/[a-z][a-z0-9_]{0,62}|overlays)(?:/[A-Za-z0-9_-][A-Za-z0-9_.-]{0,99}){0,7}"
    r"/[A-Za-z0-9_-][A-Za-z0-9_.-]{0,94}\.(?:yaml|yml|json)$"
)


@bp.get("/metadata")
def current() -> Response:
    _admin()
    return jsonify(jsonable(store.current(services().runtime.engine).summary()))


@bp.get("/metadata/revisions")
def revisions() -> Response:
    _admin()
    limit = request.args.get("limit", "50")
    if not (limit.isdigit() and 1 <= int(limit) <= 500):
        raise BadParameter("limit is a number from 1 to 500.", "limit 须为 1 到 500 之间的数字。")
    with services().runtime.engine.connect() as conn:
        found = store.history(conn, int(limit))
    return jsonify({"items": [jsonable(r.summary()) for r in found]})


@bp.get("/metadata/revisions/<int:revision_id>")
def revision(revision_id: int) -> Response:
    _admin()
    found = _revision(revision_id)
    return jsonify(jsonable({**found.summary(), "documents": dict(found.documents)}))


@bp.get("/metadata/diff")
def diff() -> Response:
    """What changed from one revision to another, document by document, as unified diffs."""
    _admin()
    ends = []
    for name in ("from", "to"):
        raw = request.args.get(name, "")
        if not raw.isdigit() or len(raw) > 18:
            raise BadParameter(f"{name} is a revision number.", f"{name} 须为版本号。")
        ends.append(_revision(int(raw)))
    before, after = ends
    documents = []
    for change in store.changes(before.documents, after.documents):
        path = change["path"]
        lines = difflib.unified_diff(
            before.documents.get(path, "").splitlines(keepends=True),
            after.documents.get(path, "").splitlines(keepends=True),
            f"revision {before.id}: {path}",
            f"revision {after.id}: {path}",
        )
        documents.append({**change, "diff": "".join(lines)})
    return jsonify({"from": before.id, "to": after.id, "documents": documents})


@bp.get("/metadata/explain")
def explain() -> Response:
    """Which layer set each property of ``target`` (``app.name`` or ``app.entity.field``)."""
    _admin()
    target = request.args.get("target", "")
    if not 3 <= len(target) <= 200:
        raise BadParameter(
            "target names a document (app.name) or a field (app.entity.field).",
            "target 须为文档（应用.名称）或字段（应用.实体.字段）。",
        )
    try:
        rows = explain_on_site(_site(), services().runtime.engine, target)
    except UnknownTarget as exc:
        raise NotFound(str(exc)) from None
    return jsonify({"target": target, "items": jsonable(rows)})


@bp.get("/metadata/export")
def export() -> Response:
    """The site's customizations (overlay files and published layer) as one zip."""
    _admin()
    runtime = services().runtime
    data = customizations.export(_site(), runtime.engine, runtime.catalog)
    response = Response(data, mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="customizations-{runtime.revision}.zip"'
    return response


@bp.post("/metadata/import")
def import_() -> tuple[Response, int] | Response:
    """Publish an exported zip (the body, application/zip) as one revision on revision ``parent``."""
    actor = _admin()
    if request.mimetype not in ZIP_TYPES:
        raise BadParameter(
            "Send the exported zip as the body, with Content-Type: application/zip.",
            "请以导出的 zip 作为请求体，Content-Type 为 application/zip。",
        )
    args = {"parent": request.args.get("parent", ""), "force": request.args.get("force", "false")}
    if not args["parent"].isdigit() or len(args["parent"]) > 15 or args["force"] not in ("true", "false"):
        raise BadParameter(
            "parent is the current revision's number; force is true or false.",
            "parent 须为当前版本号；force 须为 true 或 false。",
        )
    try:
        found = customizations.read(request.get_data(cache=False))
    except pipeline.BadChanges as exc:  # well-formed, but names no document a site may hold
        raise UnprocessableEntity(str(exc)) from None
    runtime = services().runtime

    def run(site: Site, engine: Any) -> store.Revision:
        if store.head(engine) != int(args["parent"]):
            raise pipeline.Conflict(int(args["parent"]), store.head(engine))
        return customizations.import_(
            site, engine, runtime.catalog, found, author_id=actor.id, force=args["force"] == "true",
            message="import customizations",
        )  # fmt: skip

    try:
        return _published(run)
    except customizations.BaseDiffers as exc:
        detail = text({"en": str(exc), "zh": "定制所基于的应用版本与本站不同：" + "；".join(exc.differences)})
        return problem(409, detail, kind="base-differs", differences=exc.differences)


@bp.post("/metadata/validate")
def validate() -> Response:
    """The problems the changes would have, located in their documents; nothing is stored."""
    _admin()
    return _validated(_body({"changes"}, {"changes"}))


@bp.post("/metadata/plan")
def plan() -> Response:
    """The migration publishing the changes would run, destructive steps marked; nothing applied."""
    _admin()
    body = _body({"changes", "allow_destructive"}, {"changes"})
    return _planned(body, _flag(body, "allow_destructive"))


@bp.post("/metadata/publish")
def publish() -> tuple[Response, int] | Response:
    actor = _admin()
    body = _body({"changes", "parent", "message", "allow_destructive"}, {"changes", "parent", "message"})
    return _published(
        lambda site, engine: pipeline.publish(
            site,
            engine,
            _changes(body),
            parent=_parent(body),
            author_id=actor.id,
            message=_message(body),
            allow_destructive=_flag(body, "allow_destructive"),
        )
    )


@bp.get("/metadata/drafts")
def list_drafts() -> Response:
    _admin()
    with services().runtime.engine.connect() as conn:
        found = drafts.listed(conn)
    return jsonify({"items": [jsonable(d.summary()) for d in found]})


@bp.post("/metadata/drafts")
def create_draft() -> Response:
    """Keep changes on the server, made on the current revision (the draft's parent)."""
    actor = _admin()
    body = _body({"name", "changes"}, {"name", "changes"})
    name, changes = _name(body), _checked_changes(body)
    engine = services().runtime.engine
    with engine.begin() as conn:
        saved = drafts.create(
            conn, name=name, changes=changes, parent=store.head(engine), author_id=actor.id, now=_now()
        )
    response = _draft_response(saved, 201)
    response.headers["Location"] = f"{request.path.rstrip('/')}/{saved.id}"
    return response


@bp.get("/metadata/drafts/<int:draft_id>")
def get_draft(draft_id: int) -> Response:
    _admin()
    return _draft_response(_saved(draft_id))


@bp.put("/metadata/drafts/<int:draft_id>")
def replace_draft(draft_id: int) -> Response:
    """Save a new name and changes over the version the client read (If-Match, or ``version``)."""
    actor = _admin()
    body = _body({"name", "changes", "version"}, {"name", "changes"})
    name, changes = _name(body), _checked_changes(body)
    _saved(draft_id)
    version = _version(body, required=True)
    assert version is not None
    with services().runtime.engine.begin() as conn:
        saved = drafts.replace(
            conn, draft_id, version=version, name=name, changes=changes, author_id=actor.id, now=_now()
        )
    return _draft_response(saved)


@bp.delete("/metadata/drafts/<int:draft_id>")
def delete_draft(draft_id: int) -> Response:
    actor = _admin()
    _saved(draft_id)
    version = _version({}, required=False)
    with services().runtime.engine.begin() as conn:
        drafts.remove(conn, draft_id, version=version, author_id=actor.id, now=_now())
    return Response(status=204)


@bp.post("/metadata/drafts/<int:draft_id>/validate")
def validate_draft(draft_id: int) -> Response:
    """The problems the draft's changes have on the current revision."""
    _admin()
    return _validated({"changes": _saved(draft_id).changes})


@bp.post("/metadata/drafts/<int:draft_id>/plan")
def plan_draft(draft_id: int) -> Response:
    _admin()
    body = _body({"allow_destructive"}, set())
    return _planned({"changes": _saved(draft_id).changes}, _flag(body, "allow_destructive"))


@bp.post("/metadata/drafts/<int:draft_id>/publish")
def publish_draft(draft_id: int) -> tuple[Response, int] | Response:
    """Publish the draft on its parent (a conflict if another revision landed since, and the
    draft stays); the revision and the draft's deletion are one transaction."""
    actor = _admin()
    body = _body({"message", "allow_destructive", "version"}, set())
    saved = _saved(draft_id)
    message = _message(body) if "message" in body else saved.name
    version = _version(body, required=False) or saved.version

    def finish(conn: Any, landed: store.Revision) -> None:
        note = {"revision": landed.id}
        drafts.remove(
            conn, draft_id, version=version, author_id=actor.id, now=_now(), action="publish", note=note
        )

    return _published(
        lambda site, engine: pipeline.publish(
            site,
            engine,
            saved.changes,
            parent=saved.parent,
            author_id=actor.id,
            message=message,
            allow_destructive=_flag(body, "allow_destructive"),
            finish=finish,
        )
    )


def _validated(body: Mapping[str, Any]) -> Response:
    checked = _draft(body)
    return jsonify({"ok": not checked.problems, "problems": _problems(checked.problems)})


def _planned(body: Mapping[str, Any], allow_destructive: bool) -> Response:
    checked = _draft(body, allow_destructive=allow_destructive)
    return jsonify(
        {
            "ok": checked.ok,
            "revision": checked.base.id,
            "problems": _problems(checked.problems),
            "plan": checked.plan.as_dict() if checked.plan else None,
        }
    )


@bp.post("/metadata/revisions/<int:revision_id>/rollback")
def rollback(revision_id: int) -> tuple[Response, int] | Response:
    """Publish again the documents of an earlier revision, as a new revision."""
    actor = _admin()
    body = _body({"parent", "allow_destructive"}, {"parent"})
    _revision(revision_id)
    return _published(
        lambda site, engine: pipeline.rollback(
            site,
            engine,
            revision_id,
            parent=_parent(body),
            author_id=actor.id,
            allow_destructive=_flag(body, "allow_destructive"),
        )
    )


def _published(run: Any) -> tuple[Response, int] | Response:
    runtime = services().runtime
    try:
        landed = run(_site(), runtime.engine)
    except pipeline.Conflict as exc:
        return problem(409, _conflict_text(exc), kind="revision-conflict", revision=exc.head)
    except pipeline.Invalid as exc:
        detail = text({"en": str(exc), "zh": f"元数据有 {len(exc.problems)} 处错误，未发布。"})
        return problem(422, detail, kind="invalid-metadata", problems=_problems(exc.problems))
    except pipeline.NeedsConfirmation as exc:
        detail = text(
            {
                "en": "The change would convert or drop data: confirm with allow_destructive "
                "(the values are archived first).",
                "zh": "此次修改会转换或删除数据：确认后（allow_destructive）先归档再执行。",
            }
        )
        return problem(422, detail, kind="confirmation-needed", plan=exc.plan.as_dict())
    except pipeline.BadChanges as exc:  # well-formed, but names no document a site may hold
        raise UnprocessableEntity(str(exc)) from None
    return jsonify(jsonable(landed.summary())), 201


def _conflict_text(exc: pipeline.Conflict) -> str:
    return text(
        {
            "en": str(exc),
            "zh": f"在修订 {exc.parent} 之后已发布了修订 {exc.head}：请刷新，重新修改后再发布。",
        }
    )


def _admin() -> Actor:
    actor = require_actor()
    if not actor.is_admin:
        raise PermissionDenied()
    return actor


def _site() -> Site:
    site = services().runtime.site
    if site is None:
        raise BadParameter(
            "This server runs without a site folder: it has no metadata revisions.",
            "此服务器没有站点目录，因此没有元数据版本。",
        )
    return site


def _revision(revision_id: int) -> store.Revision:
    with services().runtime.engine.connect() as conn:
        found = store.get(conn, revision_id) if revision_id < 2**53 else None
    if found is None:
        raise NotFound(f"There is no revision {revision_id}.")
    return found


def _draft(body: Mapping[str, Any], allow_destructive: bool = False) -> pipeline.Draft:
    runtime = services().runtime
    try:
        return pipeline.draft(_site(), runtime.engine, _changes(body), allow_destructive=allow_destructive)
    except pipeline.BadChanges as exc:  # well-formed, but names no document a site may hold
        raise UnprocessableEntity(str(exc)) from None


def _saved(draft_id: int) -> drafts.Saved:
    with services().runtime.engine.connect() as conn:
        found = drafts.get(conn, draft_id) if draft_id < 2**53 else None
    if found is None:
        raise NotFound(f"There is no draft {draft_id}.")
    return found


def _draft_response(saved: drafts.Saved, status: int = 200) -> Response:
    response = jsonify(jsonable({**saved.summary(), "changes": dict(saved.changes)}))
    response.status_code = status
    response.set_etag(str(saved.version))
    return response


def _checked_changes(body: Mapping[str, Any]) -> dict[str, str | None]:
    """``changes`` as a draft keeps them: well-formed, and every path one a layer may hold."""
    changes = _changes(body)
    try:
        pipeline.apply_changes({}, changes)
    except pipeline.BadChanges as exc:
        raise UnprocessableEntity(str(exc)) from None
    return changes


def _name(body: Mapping[str, Any]) -> str:
    name = body.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > drafts.MAX_NAME:
        raise BadParameter(
            f"name says what the draft is for (1 to {drafts.MAX_NAME} characters).",
            f"name 说明草稿的用途（1 到 {drafts.MAX_NAME} 个字符）。",
        )
    return name.strip()


def _version(body: dict[str, Any], *, required: bool) -> int | None:
    """The draft version the client read: If-Match, else ``version``, as records take it."""
    if "version" in body and (type(body["version"]) is not int or not 0 < body["version"] < 2**31):
        raise BadParameter(
            "version is the draft's version as read (its ETag).", "version 须为读取时草稿的版本（其 ETag）。"
        )
    version = expected_version(body)
    if version is None and required:
        raise PreconditionRequired("Send the version of the draft as read: If-Match or version.")
    return version


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _body(allowed: set[str], required: set[str]) -> dict[str, Any]:
    body = json_body()
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise BadParameter(
            f"Unknown key(s): {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}.",
            f"未知的键：{'、'.join(unknown)}；可用：{'、'.join(sorted(allowed))}。",
        )
    missing = sorted(required - set(body))
    if missing:
        raise BadParameter(f"Missing: {', '.join(missing)}.", f"缺少：{'、'.join(missing)}。")
    return body


def _changes(body: Mapping[str, Any]) -> dict[str, str | None]:
    changes = body.get("changes")
    if not isinstance(changes, dict) or not changes:
        raise BadParameter(
            "changes maps document paths to their text (or null to remove one).",
            "changes 须将文档路径对应到其文本（null 表示删除）。",
        )
    for path, content in changes.items():
        if content is not None and not isinstance(content, str):
            raise BadParameter(
                f"changes[{path!r}] is the document's text, or null to remove it.",
                f"changes[{path!r}] 须为文档文本，或 null 表示删除。",
            )
        if content is not None and len(content) > MAX_DOCUMENT:
            raise BadParameter(
                f"changes[{path!r}] is larger than {MAX_DOCUMENT} characters.",
                f"changes[{path!r}] 超过 {MAX_DOCUMENT} 个字符。",
            )
    return changes


def _parent(body: Mapping[str, Any]) -> int:
    parent = body.get("parent")
    if type(parent) is not int or not 0 <= parent < 2**53:
        raise BadParameter(
            "parent is the number of the revision the changes were made on.",
            "parent 须为这些修改所基于的版本号。",
        )
    return parent


def _message(body: Mapping[str, Any]) -> str:
    message = body.get("message")
    if not isinstance(message, str) or not message.strip() or len(message) > MAX_MESSAGE:
        raise BadParameter(
            f"message says what the change is for (1 to {MAX_MESSAGE} characters).",
            f"message 说明修改的目的（1 到 {MAX_MESSAGE} 个字符）。",
        )
    return message.strip()


def _flag(body: Mapping[str, Any], name: str) -> bool:
    value = body.get(name, False)
    if not isinstance(value, bool):
        raise BadParameter(f"{name} is true or false.", f"{name} 须为 true 或 false。")
    return value


def _problems(problems: Any) -> list[dict[str, Any]]:
    return [p.as_dict(lang()) for p in problems]


def openapi_paths(api: Any, errors: Any) -> None:
    """The metadata routes in the OpenAPI document; ``errors`` builds their error responses."""

    def ok(schema: dict[str, Any], status: str = "200") -> dict[str, Any]:
        return {status: {"description": "OK", "content": {"application/json": {"schema": schema}}}}

    number = {"type": "integer", "minimum": 0, "maximum": 2**53 - 1}
    changes = {
        "type": "object",
        "minProperties": 1,
        "maxProperties": pipeline.MAX_CHANGES,
        "additionalProperties": {"type": "string", "nullable": True, "maxLength": MAX_DOCUMENT},
        "description": "Path → YAML text, or null to remove the document. A path matches "
        + PATH_PATTERN
        + " (OpenAPI 3.0 cannot state propertyNames); another is a 422",
    }
    revision = {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "parent": {"type": "integer"},
            "author_id": {"type": "integer", "nullable": True},
            "created_at": {"type": "string", "format": "date-time", "nullable": True},
            "message": {"type": "string"},
            "changes": {"type": "array", "items": {"type": "object"}},
            "digest": {"type": "string"},
            "rollback_of": {"type": "integer", "nullable": True},
        },
    }
    problems = {"type": "array", "items": {"type": "object"}}
    flag = {"type": "boolean", "description": "Allow steps that convert or drop data (archived first)"}

    def body(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
        schema = {"type": "object", "properties": properties, "additionalProperties": False}
        if required:  # OpenAPI 3.0 wants a non-empty list, or none
            schema["required"] = required
        return {"required": True, "content": {"application/json": {"schema": schema}}}

    message = {"type": "string", "minLength": 1, "maxLength": MAX_MESSAGE, "pattern": r"\S"}
    publishing = {**errors("401", "403", "409", "422")}
    paths: dict[str, dict[str, Any]] = {
        "/metadata": {
            "get": {
                "summary": "The current metadata revision",
                "responses": {**ok(revision), **errors("401", "403")},
            }
        },
        "/metadata/revisions": {
            "get": {
                "summary": "Metadata revisions, newest first",
                "parameters": [
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 500},
                    }
                ],
                "responses": {
                    **ok({"type": "object", "properties": {"items": {"type": "array", "items": revision}}}),
                    **errors("401", "403"),
                },
            }
        },
        "/metadata/diff": {
            "get": {
                "summary": "What changed between two revisions, document by document",
                "parameters": [
                    {"name": n, "in": "query", "required": True, "schema": number} for n in ("from", "to")
                ],
                "responses": {**ok({"type": "object"}), **errors("401", "403", "404")},
            }
        },
        "/metadata/explain": {
            "get": {
                "summary": "Which layer set each property: package, site overlay or revision",
                "parameters": [
                    {
                        "name": "target",
                        "in": "query",
                        "required": True,
                        "schema": {"type": "string", "minLength": 3, "maxLength": 200},
                        "description": "app.name, or app.entity.field",
                    }
                ],
                "responses": {**ok({"type": "object"}), **errors("401", "403", "404")},
            }
        },
        "/metadata/export": {
            "get": {
                "summary": "The site's customizations as one zip (overlay package)",
                "responses": {
                    "200": {
                        "description": "The zip",
                        "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
                    },
                    **errors("401", "403"),
                },
            }
        },
        "/metadata/import": {
            "post": {
                "summary": "Publish an exported zip of customizations as one revision",
                "parameters": [
                    {"name": "parent", "in": "query", "required": True, "schema": number},
                    {"name": "force", "in": "query", "schema": {"type": "string", "enum": ["true", "false"]}},
                ],
                "requestBody": {
                    "required": True,
                    "description": "The exported zip (sent as application/zip or application/octet-stream)",
                    "content": {
                        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
                    },
                },
                "responses": {**ok(revision, "201"), **publishing},
            }
        },
        "/metadata/validate": {
            "post": {
                "summary": "Check changes with the validator; nothing is stored",
                "requestBody": body({"changes": changes}, ["changes"]),
                "responses": {
                    **ok({"type": "object", "properties": {"ok": {"type": "boolean"}, "problems": problems}}),
                    **errors("401", "403", "422"),
                },
            }
        },
        "/metadata/plan": {
            "post": {
                "summary": "The migration plan that publishing the changes would run",
                "requestBody": body({"changes": changes, "allow_destructive": flag}, ["changes"]),
                "responses": {**ok({"type": "object"}), **errors("401", "403", "422")},
            }
        },
        "/metadata/publish": {
            "post": {
                "summary": "Publish changes made on revision `parent` (a conflict if another landed since)",
                "requestBody": body(
                    {"changes": changes, "parent": number, "message": message, "allow_destructive": flag},
                    ["changes", "parent", "message"],
                ),
                "responses": {**ok(revision, "201"), **publishing},
            }
        },
    }
    draft_summary = {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "author_id": {"type": "integer", "nullable": True},
        "author_name": {"type": "string", "nullable": True},
        "parent": {"type": "integer"},
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
        "version": {"type": "integer"},
    }
    draft = {"type": "object", "properties": {**draft_summary, "changes": {"type": "object"}}}
    name = {"type": "string", "minLength": 1, "maxLength": drafts.MAX_NAME, "pattern": r"\S"}
    version = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
    paths["/metadata/drafts"] = {
        "get": {
            "summary": "Metadata drafts kept on the server, the latest saved first",
            "responses": {
                **ok({"type": "object", "properties": {"items": {"type": "array", "items": {
                    "type": "object", "properties": draft_summary}}}}),
                **errors("401", "403"),
            },
        },
        "post": {
            "summary": "Keep changes as a draft made on the current revision",
            "requestBody": body({"name": name, "changes": changes}, ["name", "changes"]),
            "responses": {**ok(draft, "201"), **errors("401", "403", "422")},
        },
    }  # fmt: skip
    for path, operations in paths.items():
        api.path(path=path, operations=operations)
    path_id = {"name": "id", "in": "path", "required": True, "schema": number}
    if_match = {"name": "If-Match", "in": "header", "schema": {"type": "string"}}
    api.path(
        path="/metadata/drafts/{id}",
        parameters=[path_id],
        operations={
            "get": {
                "summary": "A draft with its changes",
                "responses": {**ok(draft), **errors("401", "403", "404")},
            },
            "put": {
                "summary": "Save a draft's name and changes over the version read (If-Match or version)",
                "parameters": [if_match],
                "requestBody": body(
                    {"name": name, "changes": changes, "version": version}, ["name", "changes"]
                ),
                "responses": {**ok(draft), **errors("401", "403", "404", "409", "412", "422", "428")},
            },
            "delete": {
                "summary": "Delete a draft (at the version in If-Match, when sent)",
                "parameters": [if_match],
                "responses": {"204": {"description": "Deleted"}, **errors("401", "403", "404", "409", "412")},
            },
        },
    )
    checked = {"type": "object", "properties": {"ok": {"type": "boolean"}, "problems": problems}}
    draft_paths = {
        "validate": {
            "summary": "Check a draft's changes on the current revision",
            "responses": {**ok(checked), **errors("401", "403", "404", "422")},
        },
        "plan": {
            "summary": "The migration plan that publishing a draft would run",
            "requestBody": body({"allow_destructive": flag}, []),
            "responses": {**ok({"type": "object"}), **errors("401", "403", "404", "422")},
        },
        "publish": {
            "summary": "Publish a draft on its parent revision, then delete it (a conflict keeps it)",
            "parameters": [if_match],
            "requestBody": body({"message": message, "allow_destructive": flag, "version": version}, []),
            "responses": {**ok(revision, "201"), **publishing, **errors("404", "412")},
        },
    }
    for action, operation in draft_paths.items():
        api.path(
            path=f"/metadata/drafts/{{id}}/{action}", parameters=[path_id], operations={"post": operation}
        )
    api.path(
        path="/metadata/revisions/{id}",
        parameters=[path_id],
        operations={
            "get": {
                "summary": "A revision with its documents",
                "responses": {**ok(revision), **errors("401", "403", "404")},
            }
        },
    )
    api.path(
        path="/metadata/revisions/{id}/rollback",
        parameters=[path_id],
        operations={
            "post": {
                "summary": "Publish again the documents of an earlier revision",
                "requestBody": body({"parent": number, "allow_destructive": flag}, ["parent"]),
                "responses": {**ok(revision, "201"), **publishing, **errors("404")},
            }
        },
    )
