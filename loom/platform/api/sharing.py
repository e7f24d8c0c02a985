"""Share routes: ``/<app>/<entity>/<id>/shares``, the users a record is shared with (团队成员)."""

from __future__ import annotations

from flask import Blueprint
from flask import Response
from flask import jsonify

from ..records.audit import jsonable
from .auth import require_actor
from .auth import services
from .records import entity_name
from .records import existing_id
from .records import json_body

bp = Blueprint("sharing", __name__)


@bp.get("/<app_name:app>/<entity>/<int:record_id>/shares")
def list_shares(app: str, entity: str, record_id: int) -> Response:
    shares = services().sharing.shares_of(entity_name(app, entity), existing_id(record_id), require_actor())
    return jsonify({"items": jsonable(shares)})


@bp.post("/<app_name:app>/<entity>/<int:record_id>/shares")
def share(app: str, entity: str, record_id: int) -> Response:
    name = entity_name(app, entity)
    shared = services().sharing.share(name, existing_id(record_id), json_body(), require_actor())
    return jsonify(jsonable(shared))


@bp.delete("/<app_name:app>/<entity>/<int:record_id>/shares/<int:user_id>")
def unshare(app: str, entity: str, record_id: int, user_id: int) -> Response:
    name = entity_name(app, entity)
    services().sharing.unshare(name, existing_id(record_id), existing_id(user_id), require_actor())
    return Response(status=204)
