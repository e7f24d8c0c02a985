"""A record write as the work that follows it (rollups, automations) sees it."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from contextlib import contextmanager
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


AfterWrite = Callable[[Connection, Change], None]

# Writes of records on a connection, by (entity, id), while after-write work runs: comparing a
# record's count before and after that work tells whether it changed the record. Kept in the
# connection's info, and emptied when the outermost work ends, so it holds one write's records.
_WRITES = "loom.record_writes"
_DEPTH = "loom.follow_depth"


def note_write(c: Connection, entity: str, record_id: int) -> None:
    """Count one write of a record: every path that updates a record's row calls this."""
    writes: Counter[tuple[str, int]] = c.info.setdefault(_WRITES, Counter())
    writes[entity, record_id] += 1


@contextmanager
def watching(c: Connection, entity: str, record_id: int) -> Iterator[Callable[[], bool]]:
    """Inside: the work that follows a write. Yields a test of whether it wrote the record."""
    writes: Counter[tuple[str, int]] = c.info.setdefault(_WRITES, Counter())
    depth = c.info.get(_DEPTH, 0)
    before = writes[entity, record_id]
    c.info[_DEPTH] = depth + 1
    try:
        yield lambda: writes[entity, record_id] != before
    finally:
        c.info[_DEPTH] = depth
        if depth == 0:
            writes.clear()
