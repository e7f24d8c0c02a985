"""``/<app>/<entity>/<id>/related``: the records that link to one record, for mobile clients."""

from __future__ import annotations

from flask import Blueprint
from flask import Response
from flask import jsonify
from flask import request

from ..records.audit import jsonable
from ..records.related import MAX_LIMIT
from ..records.related import related
from .auth import require_actor
from .auth import services
from .i18n import BadParameter
from .records import entity_name
from .records import existing_id

bp = Blueprint("related", __name__)


@bp.get("/<app_name:app>/<entity>/<int:record_id>/related")
def related_records(app: str, entity: str, record_id: int) -> Response:
    limit = request.args.get("limit", "5")
    if not limit.isdigit() or not 1 <= int(limit) <= MAX_LIMIT:
        raise BadParameter(
            f"limit is a whole number from 1 to {MAX_LIMIT}.", f"limit 须为 1 到 {MAX_LIMIT} 之间的整数。"
        )
    name = entity_name(app, entity)
    found = related(services().records, name, existing_id(record_id), require_actor(), limit=int(limit))
    return jsonify({"items": jsonable(found)})
