"""Uploads and downloads. A file may be downloaded by its uploader, an admin, or anyone
who can read a record that holds it (in a field they may see, in one of its child rows, or
in its approval's comments and signatures); everyone else gets 404, as if it did not exist."""

from __future__ import annotations

from collections.abc import Iterator

from flask import Blueprint
from flask import Response
from flask import jsonify
from flask import request
from flask import send_file
from sqlalchemy import select

from ..actor import Actor
from ..records.audit import jsonable
from ..records.errors import NotFound
from ..records.errors import RecordError
from ..records.schemas import MAX_ID
from ..tables import RecordTables
from .auth import require_actor
from .auth import services
from .i18n import BadParameter

bp = Blueprint("files", __name__)
MAX_HOLDERS = 100  # records checked per field; a file is rarely held by more than one


@bp.post("/files")
def upload() -> Response:
    actor = require_actor()
    sent = request.files.get("file")
    if sent is None or not sent.filename:
        raise BadParameter(
            "Send the file as multipart form data in a field named 'file'.",
            "请以 multipart 表单上传文件，字段名为 file。",
        )
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
    """Whether the actor can read a record holding the file in a field they may see: the
    record's own file fields, and those of its child rows (an expense line's invoices)."""
    records = services().records
    if row["uploaded_by"] == actor.id or records.access.permissions.is_superuser(actor):
        return True
    for name, tables in services().runtime.schema.records.items():
        for field, holders in _holders(tables, row["id"]):
            if any(field in _seen(name, record_id, actor) for record_id in holders):
                return True
    return any(_seen(name, record_id, actor) for name, record_id in _approvals_holding(row["id"]))


def _approvals_holding(file_id: int) -> list[tuple[str, int]]:
    """The records whose approvals carry the file (a comment's attachment, a signature): it
    downloads for whoever may read the record, as the timeline shows it to them."""
    tables = services().runtime.schema.metadata.tables
    links, instances = tables["loom_flow_files"], tables["loom_flow_instances"]
    query = (
        select(instances.c.entity, instances.c.record_id)
        .join(links, links.c.instance_id == instances.c.id)
        .where(links.c.file_id == file_id)
        .limit(MAX_HOLDERS)
    )
    with services().runtime.engine.connect() as conn:
        return [(entity, record_id) for entity, record_id in conn.execute(query)]


def _holders(tables: RecordTables, file_id: int) -> Iterator[tuple[str, list[int]]]:
    """For each file field of the entity (a child table's counting as its table field): the
    ids of the records holding the file."""
    parts = [(tables, None), *((child, name) for name, child in tables.children.items())]
    with services().runtime.engine.connect() as conn:
        for part, table_field in parts:
            for field in part.entity.fields:
                if field.type not in ("file", "image"):
                    continue
                if field.name in part.links:
                    link = part.links[field.name]
                    rows = select(link.c.record_id).where(link.c.target_id == file_id)
                else:
                    rows = select(part.table.c.id).where(part.table.c[field.name] == file_id)
                if table_field is not None:  # child rows: their parents hold the file
                    rows = select(part.table.c.parent_id).where(part.table.c.id.in_(rows))
                holders = list(conn.execute(rows.limit(MAX_HOLDERS)).scalars())
                if holders:
                    yield table_field or field.name, holders


def _seen(entity: str, record_id: int, actor: Actor) -> dict:
    """The record as the actor sees it (hidden fields left out), or nothing."""
    try:
        return services().records.get(entity, record_id, actor)
    except RecordError:  # any refusal means "not through this record"
        return {}
