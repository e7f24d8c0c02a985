"""Uploads and downloads. A file may be downloaded by its uploader, an admin, or anyone
who can read a record that holds it; everyone else gets 404, as if it did not exist."""

from __future__ import annotations

from flask import Blueprint
from flask import Response
from flask import jsonify
from flask import request
from flask import send_file
from sqlalchemy import select
from werkzeug.exceptions import BadRequest

from ..actor import Actor
from ..records.audit import jsonable
from ..records.errors import NotFound
from ..records.errors import RecordError
from ..records.query import Condition
from ..records.query import ListQuery
from ..records.schemas import MAX_ID
from .auth import require_actor
from .auth import services

bp = Blueprint("files", __name__)


@bp.post("/files")
def upload() -> Response:
    actor = require_actor()
    sent = request.files.get("file")
    if sent is None or not sent.filename:
        raise BadRequest("Send the file as multipart form data in a field named 'file'.")
    row = services().files.save(sent.stream, sent.filename, actor, sent.mimetype or None)
    response = jsonify(jsonable(row))
    response.status_code = 201
    return response


@bp.get("/files/<int:file_id>")
def download(file_id: int) -> Response:
    actor = require_actor()
    if file_id > MAX_ID:
        raise NotFound(id=file_id)
    row = services().files.describe(file_id)
    if not may_download(actor, row):
        raise NotFound(id=file_id)
    response = send_file(
        services().files.path_of(row["sha256"]),
        mimetype=row["content_type"],
        as_attachment=not row["content_type"].startswith("image/"),
        download_name=row["name"],
        etag=row["sha256"],
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox"
    return response


def may_download(actor: Actor, row: dict) -> bool:
    records = services().records
    if row["uploaded_by"] == actor.id or records.access.permissions.is_superuser(actor):
        return True
    schema = services().runtime.schema
    for name, tables in schema.records.items():
        for field in tables.entity.fields:
            if field.type not in ("file", "image"):
                continue
            if field.name in tables.links:
                link = tables.links[field.name]
                with services().runtime.engine.connect() as conn:
                    holders = conn.execute(
                        select(link.c.record_id).where(link.c.target_id == row["id"])
                    ).scalars()
                    holder_ids = list(holders)
                if any(_readable(name, record_id, actor) for record_id in holder_ids):
                    return True
            elif _visible_holder(name, field.name, row["id"], actor):
                return True
    return False


def _readable(entity: str, record_id: int, actor: Actor) -> bool:
    try:
        services().records.get(entity, record_id, actor)
    except RecordError:  # any refusal means "not through this record"
        return False
    return True


def _visible_holder(entity: str, field: str, file_id: int, actor: Actor) -> bool:
    query = ListQuery(filters=(Condition(field, "eq", file_id),), page_size=1, count="none", fields=())
    try:
        return bool(services().records.list(entity, query, actor).records)
    except RecordError:  # no read permission on this entity
        return False
