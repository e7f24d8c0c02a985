"""A record's one-line summary (``summary`` of its entity) as a person reads it.

Inbox items carry the raw values their summaries name (``summary_values``, already without
what the reader may not see); this module fetches the titles those values refer to and
fills the template in the request's language, each value written as record pages write it.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from loom.metadata.catalog import SUMMARY_PLACEHOLDER
from loom.metadata.catalog import Catalog
from loom.metadata.catalog import Entity

from .i18n import label
from .references import References
from .references import target_of
from .widgets import as_cell
from .widgets import is_reference


def want_summary_titles(catalog: Catalog, items: Iterable[Mapping[str, Any]], refs: References) -> None:
    """Fetch, for a page of items, the titles of the references their summaries show."""
    wanted: dict[str, set[int]] = {}
    for item in items:
        entity = catalog.entities.get(item["entity"])
        for name, value in (item.get("summary_values") or {}).items():
            field = entity.field(name) if entity and entity.has_field(name) else None
            if field is not None and is_reference(field):
                ids = value if isinstance(value, list) else [value]
                wanted.setdefault(target_of(field), set()).update(ids)
    for target, ids in wanted.items():
        refs.want(target, ids)


def summary_text(
    entity: Entity | None, values: Mapping[str, Any] | None, refs: References, tz: ZoneInfo
) -> str:
    """The summary line, or "" when the entity declares none; a value left out reads as empty."""
    if entity is None or entity.summary is None or values is None:
        return ""

    def fill(match: Any) -> str:
        name = match.group(1)
        if not entity.has_field(name) or name not in values:
            return ""
        return as_cell(entity.field(name), values[name], refs.title, tz)

    return " ".join(SUMMARY_PLACEHOLDER.sub(fill, label(entity.summary)).split())
