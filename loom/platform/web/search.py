"""The search page (全局搜索): one box over every entity the user may read, hits by entity, and
above them the forms (表单) whose name holds the text that the user may fill in: "请假" finds
the leave form as well as leave requests."""

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
from .portal import may
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
        forms=forms_named(text) if text else [],
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


def forms_named(text: str) -> list[Entity]:
    """The entities whose label (in either language) holds ``text`` that the user may create."""
    wanted = text.casefold()
    return [
        entity
        for entity in services().runtime.catalog.entities.values()
        if not entity.child
        and any(wanted in name.casefold() for name in (entity.label.zh, entity.label.en) if name)
        and may(entity, "create")
    ][:PER_ENTITY]
