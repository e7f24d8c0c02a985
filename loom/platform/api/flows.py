"""Approval routes: flow operations on a record, the task inbox and notifications."""

from __future__ import annotations

import datetime as dt
import re

from flask import Blueprint
from flask import Response
from flask import jsonify
from flask import request

from ..flows import simulate
from ..flows.inbox import Inbox
from ..flows.inbox import Narrowing
from ..flows.payloads import checked_payload
from ..limits import BATCH_TASKS
from ..limits import BadInput
from ..records.audit import jsonable
from ..records.errors import FieldError
from ..records.errors import ValidationFailed
from ..records.schemas import MAX_ID
from ..web.i18n import current_lang
from ..web.references import References
from ..web.summary import Reader
from ..web.summary import headline
from ..web.summary import summary_text
from ..web.summary import want_summary_titles
from .auth import require_actor
from .auth import services
from .i18n import BadParameter
from .records import entity_name
from .records import existing_id
from .records import whole_number

bp = Blueprint("flows", __name__)
PREVIEW_KEYS = frozenset({"values", "record", "chosen"})
ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def inbox() -> Inbox:
    return Inbox(services().runtime)


def body() -> dict:
    data = request.get_json(silent=True)
    if data is None and not request.data:
        return {}
    if not isinstance(data, dict):
        raise BadParameter("The body must be a JSON object.", "请求体须为 JSON 对象。")
    return data


@bp.post("/<app_name:app>/<entity>/<int:record_id>/flow/submit")
def submit(app: str, entity: str, record_id: int) -> Response:
    data = checked_payload(body())
    chosen = data.get("chosen") or {}
    summary = services().flows.submit(
        entity_name(app, entity),
        existing_id(record_id),
        require_actor(),
        chosen=chosen,
        comment=data.get("comment"),
    )
    return jsonify(jsonable(summary))


@bp.post("/<app_name:app>/<entity>/flow/preview")
def preview(app: str, entity: str) -> Response:
    """The approval chain a submit would get now: for a form before it is saved or submitted."""
    who = require_actor()
    data = checked_payload(body())
    unknown = sorted(set(data) - PREVIEW_KEYS)
    if unknown:
        raise ValidationFailed([FieldError(key, "unknown") for key in unknown])
    record = data.get("record")
    if record is not None and not _is_id(record):
        raise BadInput([FieldError("record", "invalid", {"kind": "id"})])
    chain = simulate.preview(
        services(),
        entity_name(app, entity),
        data.get("values") or {},
        who,
        chosen=data.get("chosen") or {},
        record_id=record,
    )
    return jsonify(chain)


@bp.post("/<app_name:app>/<entity>/<int:record_id>/flow/<operation>")
def operate(app: str, entity: str, record_id: int, operation: str) -> Response:
    summary = services().flows.act(
        entity_name(app, entity), existing_id(record_id), require_actor(), operation, body()
    )
    return jsonify(jsonable(summary))


@bp.get("/<app_name:app>/<entity>/<int:record_id>/flow")
def timeline(app: str, entity: str, record_id: int) -> Response:
    name = entity_name(app, entity)
    services().records.get(name, existing_id(record_id), require_actor())  # may the caller see it?
    return jsonify(jsonable(services().flows.latest_summary(name, record_id)))


@bp.get("/tasks")
def tasks() -> Response:
    page = whole_number("page", 1)
    page_size = whole_number("page_size", 50)
    box = request.args.get("box", "todo")
    found = inbox().items(require_actor(), box, page=page, page_size=page_size, only=narrowing())
    add_summaries(found["items"])
    return jsonify(jsonable(found))


def narrowing() -> Narrowing:
    """The inbox filters of the query: ``entity`` (one with a flow), ``initiator`` (a user id)
    and ``since`` (a date: what arrived from its start, in the site's zone)."""
    entity, since = request.args.get("entity"), request.args.get("since")
    errors = []
    found = services().runtime.catalog.entities.get(entity or "")
    if entity is not None and (found is None or not found.has_flow):
        errors.append(
            FieldError("entity", "not_option", {"value": entity, "allowed": ", ".join(flow_entities())})
        )
    raw = request.args.get("initiator")
    initiator = int(raw) if raw is not None and raw.isascii() and raw.isdigit() else None
    if raw is not None and (initiator is None or not _is_id(initiator)):
        errors.append(FieldError("initiator", "invalid", {"kind": "id"}))
    start = None
    if since is not None:
        try:
            if not ISO_DAY.fullmatch(since):  # the document's `date`: YYYY-MM-DD, nothing else
                raise ValueError(since)
            day = dt.date.fromisoformat(since)
            start = dt.datetime.combine(day, dt.time(), tzinfo=services().records.schemas.tz)
        except ValueError:
            errors.append(FieldError("since", "invalid", {"kind": "date"}))
    if errors:
        raise ValidationFailed(errors)
    return Narrowing(entity=entity, initiator=initiator, since=start)


def flow_entities() -> list[str]:
    return sorted(e.qualified_name for e in services().runtime.catalog.entities.values() if e.has_flow)


def add_summaries(items: list[dict]) -> None:
    """Each item's summary line and who asked for what, in the request's language, in place of
    the values the line shows."""
    catalog = services().runtime.catalog
    refs = References(services(), require_actor())
    want_summary_titles(catalog, items, refs)
    refs.want("user", [item.get("initiator_id") for item in items])
    reader = Reader.of(services(), current_lang())
    for item in items:
        entity = catalog.entities.get(item["entity"])
        values = item.pop("summary_values", None)
        item["summary"] = summary_text(entity, values, refs, reader, item.get("flow")) or None
        name = refs.name("user", item["initiator_id"]) if item.get("initiator_id") else None
        item["initiator_name"] = name
        item["headline"] = headline(entity, name, reader) if entity and name else None


@bp.get("/tasks/counts")
def counts() -> Response:
    return jsonify(inbox().counts(require_actor()))


@bp.post("/tasks/approve")
def batch_approve() -> Response:
    data = checked_payload(body())
    ids = data.get("tasks")
    if not isinstance(ids, list) or not all(_is_id(i) for i in ids):
        raise BadInput([FieldError("tasks", "invalid", {"kind": "id"})])
    if len(ids) > BATCH_TASKS:
        raise BadInput([FieldError("tasks", "rows_max", {"max": BATCH_TASKS})])
    signature = data.get("signature")  # an id, checked_payload says
    results = services().flows.batch_approve(ids, require_actor(), data.get("comment"), signature)
    return jsonify({"results": results})


@bp.get("/notifications")
def notifications() -> Response:
    flag = request.args.get("unread", "false").lower()
    if flag not in ("1", "true", "0", "false"):
        raise BadInput([FieldError("unread", "invalid", {"kind": "boolean"})])
    unread = flag in ("1", "true")
    items = inbox().notifications_of(require_actor(), unread_only=unread)
    add_summaries(items)
    return jsonify({"items": jsonable(items)})


@bp.post("/notifications/read")
def mark_read() -> Response:
    ids = body().get("ids")
    if ids is not None and not (isinstance(ids, list) and all(_is_id(i) for i in ids)):
        raise BadInput([FieldError("ids", "invalid", {"kind": "id"})])
    return jsonify({"marked": inbox().mark_read(require_actor(), ids)})


def _is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID
