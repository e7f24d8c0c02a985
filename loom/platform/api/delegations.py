"""Delegation routes: ``/delegations``, who approves for whom while someone is away (委托)."""

from __future__ import annotations

from flask import Blueprint
from flask import Response
from flask import jsonify
from flask import request

from ..records.audit import jsonable
from .auth import require_actor
from .auth import services
from .i18n import BadParameter
from .records import existing_id
from .records import json_body

bp = Blueprint("delegations", __name__)


@bp.get("/delegations")
def list_delegations() -> Response:
    user = request.args.get("user")
    if user is not None and not (user.isdigit() and int(user) > 0):
        raise BadParameter("user is a user id.", "user 须为用户编号。")
    current = request.args.get("current", "false")
    if current not in ("true", "false"):
        raise BadParameter("current is true or false.", "current 须为 true 或 false。")
    items = services().delegations.list_for(
        require_actor(), user_id=existing_id(int(user)) if user else None, current=current == "true"
    )
    return jsonify({"items": jsonable(items)})


@bp.post("/delegations")
def add_delegation() -> tuple[Response, int]:
    return jsonify(jsonable(services().delegations.add(json_body(), require_actor()))), 201


@bp.post("/delegations/<int:delegation_id>/end")
def end_delegation(delegation_id: int) -> Response:
    ended = services().delegations.end(existing_id(delegation_id), require_actor())
    return jsonify(jsonable(ended))
