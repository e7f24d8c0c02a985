"""Fields hidden from one actor beyond their roles' field permissions (an approval step's
``hidden`` fields), applied on every read path: get, list, export and pickers (which list),
and reports through :meth:`RecordService.visible`.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any
from typing import Protocol

from sqlalchemy import Connection

from loom.metadata.catalog import Entity

from ..actor import Actor


class HidingRule(Protocol):
    def of_records(
        self, c: Connection, actor: Actor, entity: Entity, records: Sequence[Mapping[str, Any]]
    ) -> list[frozenset[str]]:
        """For each record, the fields hidden from the actor."""
        ...

    def anywhere(self, c: Connection, actor: Actor, entity: Entity) -> frozenset[str]:
        """Fields hidden from the actor on some record of the entity: a list may not filter or
        sort on them, or the values would leak through which rows match."""
        ...
