"""Search across every entity a user may read (全局搜索): one records-service list per entity.

Each entity is searched with the list's own ``q`` (its ``search`` fields, else its title),
as the reader, so results, counts and hidden fields follow their permissions exactly as
the entity's list does. Entities with no searchable field the reader may see are skipped
rather than matching everything.
"""

from __future__ import annotations

from typing import Any

from ..actor import Actor
from .errors import FieldError
from .errors import ValidationFailed
from .query import ListQuery
from .query import search_fields
from .service import RecordService

MAX_TEXT = 100
MAX_PER_ENTITY = 20


def search(records: RecordService, text: str, actor: Actor, *, per_entity: int = 5) -> list[dict[str, Any]]:
    """Groups of hits, one per entity with any, in the Catalog's order: label, total, records."""
    text = text.strip()
    if not text or len(text) > MAX_TEXT:
        raise ValidationFailed([FieldError("q", "too_long" if text else "required", {"max": MAX_TEXT})])
    query = ListQuery(q=text, page_size=min(max(per_entity, 1), MAX_PER_ENTITY))
    groups = []
    for entity in records.runtime.catalog.entities.values():
        if entity.child or not records.access.permissions.decide(actor, entity, "read").allowed:
            continue
        if not set(search_fields(entity)) - records.access.hidden(actor, entity):
            continue
        page = records.list(entity.qualified_name, query, actor)
        if page.records:
            groups.append(
                {
                    "entity": entity.qualified_name,
                    "label": {"zh": entity.label.zh, "en": entity.label.en},
                    "title_field": entity.title_field,
                    "total": page.total,
                    "total_is_lower_bound": page.total_is_lower_bound,
                    "items": page.records,
                }
            )
    return groups
