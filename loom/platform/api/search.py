"""``GET /search?q=``: records of every entity the caller may read, grouped by entity."""

from __future__ import annotations

from flask import Blueprint
from flask import Response
from flask import jsonify
from flask import request

from ..records.audit import jsonable
from ..records.search import MAX_PER_ENTITY
from ..records.search import search
from .auth import require_actor
from .auth import services
from .i18n import BadParameter

bp = Blueprint("search", __name__)


@bp.get("/search")
def search_everything() -> Response:
    limit = request.args.get("limit", "5")
    if not limit.isdigit() or not 1 <= int(limit) <= MAX_PER_ENTITY:
        raise BadParameter(
            f"limit is a whole number from 1 to {MAX_PER_ENTITY}.",
            f"limit 须为 1 到 {MAX_PER_ENTITY} 之间的整数。",
        )
    groups = search(services().records, request.args.get("q", ""), require_actor(), per_entity=int(limit))
    return jsonify({"groups": jsonable(groups)})
