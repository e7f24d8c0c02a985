"""Personal view routes: ``/views``, a user's own saved list views (我的视图, personal_views.py)."""

from __future__ import annotations

from flask import Blueprint
from flask import Response
from flask import jsonify
from flask import request

from .auth import require_actor
from .auth import services
from .i18n import BadParameter
from .records import existing_id
from .records import json_body

bp = Blueprint("views", __name__)


@bp.get("/views")
def list_views() -> Response:
    entity = request.args.get("entity")
    if not entity:
        raise BadParameter(
            "entity names the entity, such as crm.customer.", "entity 须为实体名称，例如 crm.customer。"
        )
    return jsonify({"items": services().personal_views.list_for(require_actor(), entity)})


@bp.post("/views")
def add_view() -> tuple[Response, int]:
    return jsonify(services().personal_views.add(json_body(), require_actor())), 201


@bp.patch("/views/<int:view_id>")
def rename_view(view_id: int) -> Response:
    return jsonify(services().personal_views.rename(existing_id(view_id), json_body(), require_actor()))


@bp.delete("/views/<int:view_id>")
def delete_view(view_id: int) -> tuple[str, int]:
    services().personal_views.delete(existing_id(view_id), require_actor())
    return "", 204
