"""A record write as the work that follows it (rollups, automations) sees it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from loom.metadata.catalog import Entity

from ..actor import Actor


@dataclass(frozen=True, slots=True)
class Change:
    """One create, update or delete, inside the transaction that made it.

    ``before`` is None on create and ``after`` None on delete; both carry related rows.
    """

    entity: Entity
    action: str
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    actor: Actor
    now: dt.datetime

    @property
    def record(self) -> Mapping[str, Any]:
        """The record as it is now, or as it was when deleted."""
        return self.after if self.after is not None else self.before  # type: ignore[return-value]


# Returns whether it changed the written record itself, so the service reads it again.
AfterWrite = Callable[[Connection, Change], bool]
