"""Record buttons: which ones the caller may press on a record, and pressing one."""

from __future__ import annotations

from flask import Blueprint
from flask import Response
from flask import jsonify

from .auth import require_actor
from .auth import services
from .flows import body
from .records import entity_name
from .records import existing_id
from .records import record_response

bp = Blueprint("automations", __name__)


@bp.get("/<app_name:app>/<entity>/<int:record_id>/buttons")
def buttons(app: str, entity: str, record_id: int) -> Response:
    found = services().automations.buttons(entity_name(app, entity), existing_id(record_id), require_actor())
    return jsonify({"items": found})


@bp.post("/<app_name:app>/<entity>/<int:record_id>/buttons/<path:name>")
def press(app: str, entity: str, record_id: int, name: str) -> Response:
    record = services().automations.press(
        entity_name(app, entity), existing_id(record_id), name, body(), require_actor()
    )
    return record_response(record) if record is not None else Response(status=204)
