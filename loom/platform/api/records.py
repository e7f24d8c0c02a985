"""Record routes: ``/<app>/<entity>`` and ``/<app>/<entity>/<id>``, thin over the service.

List parameters: ``q``, ``sort`` (``-amount,title``), ``page``/``page_size`` or
``cursor``, ``fields`` (``title,lines``), ``count`` (``exact|auto|none``), ``view`` (one of
the entity's saved views, within the caller's scope like every list); every other
parameter filters: ``status=draft``, ``amount__gt=5000``, ``customer.industry=it``,
``stage__in=won,lost``, ``closes_on__between=2026-01-01,2026-03-31``, ``notes__is_null=true``.
The record's ``version`` is its ETag; send it back in ``If-Match`` (or as ``version``)
to update or delete only the version you saw.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint
from flask import Response
from flask import jsonify
from flask import request
from werkzeug.exceptions import NotFound as HttpNotFound
from werkzeug.exceptions import PreconditionRequired

from ..limits import BadInput
from ..records.audit import jsonable
from ..records.errors import Conflict
from ..records.errors import FieldError
from ..records.query import Condition
from ..records.query import ListQuery
from ..records.schemas import MAX_ID
from .auth import require_actor
from .auth import services
from .i18n import BadParameter
from .i18n import BadPrecondition
from .i18n import text

bp = Blueprint("records", __name__)
LIST_PARAMETERS = frozenset({"q", "sort", "page", "page_size", "cursor", "fields", "count", "view", "lang"})
MULTI_VALUE = frozenset({"in", "not_in", "between"})
COUNTS = ("auto", "exact", "none")
WHOLE_NUMBER = re.compile(r"-?[0-9]{1,18}")
IF_MATCH_REQUIRED = {
    "en": "This site requires If-Match: send the ETag (version) of the record as you read it.",
    "zh": "本站要求 If-Match：请发送您读取记录时的 ETag（版本号）。",
}


def existing_id(record_id: int) -> int:
    """Ids are 64-bit; a larger one names no record (and must not reach the database)."""
    if record_id > MAX_ID:
        raise HttpNotFound()
    return record_id


def entity_name(app: str, entity: str) -> str:
    name = f"{app}.{entity}"
    found = services().runtime.catalog.entities.get(name)
    if found is None or found.child:
        raise HttpNotFound()
    return name


@bp.get("/<app_name:app>/<entity>")
def list_records(app: str, entity: str) -> Response:
    name = entity_name(app, entity)
    page = services().records.list(name, list_query(name), require_actor())
    return jsonify(
        {
            "items": [jsonable(r) for r in page.records],
            "page": page.page,
            "page_size": page.page_size,
            "total": page.total,
            "total_is_lower_bound": page.total_is_lower_bound,
            "next_cursor": page.next_cursor,
        }
    )


@bp.post("/<app_name:app>/<entity>")
def create_record(app: str, entity: str) -> Response:
    name = entity_name(app, entity)
    record = services().records.create(name, json_body(), require_actor())
    response = record_response(record, 201)
    response.headers["Location"] = f"{request.path.rstrip('/')}/{record['id']}"
    return response


@bp.get("/<app_name:app>/<entity>/<int:record_id>")
def get_record(app: str, entity: str, record_id: int) -> Response:
    name = entity_name(app, entity)
    record = services().records.get(name, existing_id(record_id), require_actor())
    if services().runtime.catalog.entity(name).has_flow:
        record["flow"] = services().flows.latest_summary(name, record_id)
    response = record_response(record)
    if request.if_none_match and str(record["version"]) in request.if_none_match:
        return Response(status=304, headers={"ETag": response.headers["ETag"]})
    return response


@bp.patch("/<app_name:app>/<entity>/<int:record_id>")
def update_record(app: str, entity: str, record_id: int) -> Response:
    name = entity_name(app, entity)
    changes = json_body()
    record = services().records.update(
        name, existing_id(record_id), changes, require_actor(), version=expected_version(changes)
    )
    return record_response(record)


@bp.delete("/<app_name:app>/<entity>/<int:record_id>")
def delete_record(app: str, entity: str, record_id: int) -> Response:
    name = entity_name(app, entity)
    services().records.delete(name, existing_id(record_id), require_actor(), version=expected_version({}))
    return Response(status=204)


def record_response(record: dict[str, Any], status: int = 200) -> Response:
    response = jsonify(jsonable(record))
    response.status_code = status
    response.set_etag(str(record["version"]))
    return response


def json_body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadParameter("The body must be a JSON object.", "请求体须为 JSON 对象。")
    return data


def expected_version(changes: dict[str, Any]) -> int | None:
    """The version the client saw: ``If-Match`` first, else the body's ``version``.

    A site with ``require_if_match`` refuses a write without If-Match naming a version (428),
    so no client overwrites what it has not read.
    """
    raw = request.headers.get("If-Match", "").strip()
    site = services().runtime.site
    if site is not None and site.settings.require_if_match and raw in ("", "*"):
        raise PreconditionRequired(text(IF_MATCH_REQUIRED))
    if raw and raw != "*":
        tag = raw.removeprefix("W/").strip('"')
        if not tag.isdigit() or len(tag) > 9:
            raise BadPrecondition(
                "If-Match takes one ETag as returned by GET.", "If-Match 只能带一个 GET 返回的 ETag。"
            )
        version = int(tag)
        if "version" in changes and changes["version"] != version:
            raise Conflict(expected=version, actual=changes["version"])
        return version
    sent = changes.get("version")
    return sent if isinstance(sent, int) and not isinstance(sent, bool) else None


def list_query(entity: str) -> ListQuery:
    args = request.args
    filters = []
    for key in args:
        if key in LIST_PARAMETERS:
            continue
        field, _, op = key.partition("__")
        op = op or "eq"
        for value in args.getlist(key):
            parsed: Any = value.split(",") if op in MULTI_VALUE else value
            filters.append(Condition(field, op, parsed))
    default_size = services().runtime.catalog.entity(entity).list.page_size
    count = args.get("count", "auto")
    if count not in COUNTS:
        raise BadInput([FieldError("count", "not_option", {"value": count, "allowed": ", ".join(COUNTS)})])
    return ListQuery(
        filters=tuple(filters),
        q=args.get("q") or None,
        sort=tuple(s for s in args.get("sort", "").split(",") if s),
        page=whole_number("page", 1),
        page_size=whole_number("page_size", default_size),
        cursor=args.get("cursor") or None,
        fields=tuple(args["fields"].split(",")) if "fields" in args else None,
        count=count,
        view=args.get("view") or None,
    )


def whole_number(parameter: str, default: int) -> int:
    """A query parameter that must be a whole number, e.g. ``page``."""
    raw = request.args.get(parameter)
    if raw is None:
        return default
    if not WHOLE_NUMBER.fullmatch(raw):
        raise BadInput([FieldError(parameter, "invalid", {"kind": "integer"})])
    return int(raw)
