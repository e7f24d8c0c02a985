"""Related records: what links to a record (a customer's contacts, opportunities, contracts…).

Derived from the Catalog: every top-level entity with a ``link`` field to the record's
entity is one relation. Each is read through the records service as the reader, so a
relation shows only records they may read, and a relation whose entity they may not read,
or whose link field is hidden from them, is left out (filtering on a hidden field would
tell them its value).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from loom.metadata.catalog import Catalog
from loom.metadata.catalog import Entity
from loom.metadata.catalog import Label

from ..actor import Actor
from .query import Condition
from .query import ListQuery
from .service import RecordService

MAX_LIMIT = 20


@dataclass(frozen=True, slots=True)
class Relation:
    """Records of ``entity`` whose ``field`` points at the record."""

    entity: Entity
    field: str


def relations_of(catalog: Catalog, target: str) -> Iterator[Relation]:
    """Every link to ``target`` from a top-level entity, in the Catalog's order."""
    for entity in catalog.entities.values():
        if entity.child:
            continue
        for field in entity.fields:
            if field.type == "link" and field.entity == target:
                yield Relation(entity, field.name)


def related(
    records: RecordService, entity: str, record_id: int, actor: Actor, *, limit: int = 5
) -> list[dict[str, Any]]:
    """For each relation the actor may read: its size and its latest ``limit`` records.

    Reading the record first keeps a reader from learning what links to a record they
    may not see; the relations are listed even when empty, so a page can offer 新建.
    """
    records.get(entity, record_id, actor)
    found = []
    for relation in relations_of(records.runtime.catalog, entity):
        decision = records.access.permissions.decide(actor, relation.entity, "read")
        if not decision.allowed or relation.field in records.access.hidden(actor, relation.entity):
            continue
        query = ListQuery(
            filters=(Condition(relation.field, "eq", record_id),),
            sort=("-created_at",),
            page_size=min(max(limit, 1), MAX_LIMIT),
        )
        page = records.list(relation.entity.qualified_name, query, actor)
        found.append(
            {
                "entity": relation.entity.qualified_name,
                "field": relation.field,
                "label": _pair(relation.entity.label),
                "field_label": _pair(relation.entity.field(relation.field).label),
                "total": page.total,
                "total_is_lower_bound": page.total_is_lower_bound,
                "items": page.records,
            }
        )
    return found


def _pair(label: Label) -> dict[str, str]:
    return {"zh": label.zh, "en": label.en}
