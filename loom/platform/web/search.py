"""The search page (全局搜索): one box over every entity the user may read, hits by entity."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint
from flask import render_template
from flask import request

from loom.metadata.catalog import Entity

from ..records.errors import ValidationFailed
from ..records.query import search_fields
from ..records.search import MAX_TEXT
from ..records.search import search
from .auth import actor
from .i18n import current_lang
from .i18n import label
from .portal import services
from .portal import site_zone
from .widgets import as_cell
from .widgets import bare_title

bp = Blueprint("search", __name__)
PER_ENTITY = 5


@bp.get("/search")
def index() -> str:
    text = request.args.get("q", "").strip()[:MAX_TEXT]
    groups, refused = [], False
    if text:
        try:
            groups = search(services().records, text, actor(), per_entity=PER_ENTITY)
        except ValidationFailed:
            refused = True
    catalog = services().runtime.catalog
    return render_template(
        "search.html",
        text=text,
        groups=groups,
        refused=refused,
        max_text=MAX_TEXT,
        entity_of=lambda name: catalog.entities[name],
        details=details,
    )


def details(entity: Entity, record: Mapping[str, Any]) -> str:
    """The searchable values of a hit besides its title, so a person sees why it matched."""
    shown, colon = [], "：" if current_lang() == "zh" else ": "
    for name in search_fields(entity):
        field = entity.field(name)
        if name != entity.title_field and record.get(name) not in (None, ""):
            value = as_cell(field, record[name], bare_title, site_zone())
            shown.append(f"{label(field.label)}{colon}{value}")
    return " · ".join(shown)
