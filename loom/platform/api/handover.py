"""``POST /users/<id>/handover``: an admin hands a leaving user's tasks and records over (离职交接)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask import Response
from flask import jsonify

from ..handover import hand_over
from .auth import require_actor
from .auth import services
from .i18n import BadParameter
from .records import MAX_ID
from .records import existing_id
from .records import json_body

bp = Blueprint("handover", __name__)


@bp.post("/users/<int:user_id>/handover")
def handover(user_id: int) -> Response:
    body = json_body()
    unknown = sorted(set(body) - {"to", "reason"})
    if unknown:
        raise BadParameter(
            f"Unknown key(s): {', '.join(unknown)}; allowed: reason, to.",
            f"未知的键：{'、'.join(unknown)}；可用：reason、to。",
        )
    to, reason = body.get("to"), body.get("reason")
    if type(to) is not int or not 0 < to <= MAX_ID or not isinstance(reason, str):
        raise BadParameter(
            "to is the successor's user id; reason says why.", "to 为接替人的用户编号，reason 说明原因。"
        )
    report = hand_over(services(), existing_id(user_id), to, require_actor(), reason)
    return jsonify(report.as_dict())


def openapi_paths(api: Any, errors: Any) -> None:
    """The hand-over route in the OpenAPI document."""
    user = {"type": "integer", "minimum": 1}
    body = {
        "type": "object",
        "properties": {"to": user, "reason": {"type": "string", "minLength": 1, "maxLength": 500}},
        "required": ["to", "reason"],
        "additionalProperties": False,
    }
    done = {
        "type": "object",
        "properties": {
            "tasks": {"type": "integer"},
            "records": {"type": "object", "additionalProperties": {"type": "integer"}},
        },
    }
    api.path(
        path="/users/{id}/handover",
        parameters=[{"name": "id", "in": "path", "required": True, "schema": user}],
        operations={
            "post": {
                "summary": "Hand a leaving user's pending tasks and owned records to a successor (admins)",
                "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
                "responses": {
                    "200": {"description": "OK", "content": {"application/json": {"schema": done}}},
                    **errors("401", "403", "404", "422"),
                },
            }
        },
    )
