"""The 相关记录 section of a record page: what links to the record, one tab per linking entity."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from loom.metadata.catalog import Entity

from ..records.related import related
from .auth import actor
from .portal import may
from .portal import services
from .references import References

SHOWN = 5


@dataclass(frozen=True)
class Tab:
    entity: Entity
    field: str
    total: int | None
    items: list[dict[str, Any]]
    refs: References
    may_create: bool

    @property
    def key(self) -> str:
        return f"{self.entity.app}-{self.entity.name}-{self.field}"

    def title_of(self, record: dict[str, Any]) -> tuple[Any, Any]:
        """The record's title field and value, for ``text_of`` (None: show its number)."""
        name = self.entity.title_field
        return (self.entity.field(name), record.get(name)) if name else (None, None)


def related_tabs(entity: Entity, record_id: int) -> list[Tab]:
    """One tab per relation the user may read, with its first records' titles fetched;
    relations with records come first, so the tab that opens is never an empty one."""
    catalog, who = services().runtime.catalog, actor()
    tabs = []
    for found in related(services().records, entity.qualified_name, record_id, who, limit=SHOWN):
        other = catalog.entity(found["entity"])
        refs = References(services(), who).load(other, found["items"])
        tabs.append(Tab(other, found["field"], found["total"], found["items"], refs, may(other, "create")))
    return sorted(tabs, key=lambda tab: not tab.items)  # what has records first, else the Catalog's order
