"""A record's audit history as the signed-in user may see it.

The audit log holds every field's before and after; fields hidden from the user (by their
role, or from everyone by the field's ``hidden``) are left out of each entry, so the history
tells nothing the record page would not.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from loom.metadata.catalog import Entity
from loom.metadata.catalog import Field

from ..actor import Actor
from ..database import reading
from ..services import Services

LIMIT = 50


@dataclass(frozen=True, slots=True)
class Change:
    field: Field
    before: Any
    after: Any


@dataclass(frozen=True, slots=True)
class Entry:
    at: Any
    user_id: int | None
    action: str
    changes: tuple[Change, ...]


def history(services: Services, entity: Entity, record_id: int, actor: Actor) -> list[Entry]:
    """The latest entries, newest first; call only after the user was allowed to read the record."""
    audit = services.runtime.schema.metadata.tables["loom_audit"]
    hidden = services.records.access.hidden(actor, entity)
    query = (
        select(audit.c.at, audit.c.user_id, audit.c.action, audit.c.changes)
        .where(audit.c.entity == entity.qualified_name, audit.c.record_id == record_id)
        .order_by(audit.c.id.desc())
        .limit(LIMIT)
    )
    with reading(services.runtime.engine) as conn:
        rows = conn.execute(query).all()
    return [
        Entry(
            row.at,
            row.user_id,
            row.action,
            tuple(
                Change(field, stored(field, change.get("before")), stored(field, change.get("after")))
                for name, change in (row.changes or {}).items()
                if entity.has_field(name)
                and name not in hidden
                and (field := entity.field(name)).type != "table"
                and not field.hidden  # kept for the system (a contract's state before approval)
                and not (_empty(change.get("before")) and _empty(change.get("after")))
            ),
        )
        for row in rows
    ]


def stored(field: Field, value: Any) -> Any:
    """An audited value back in the type it has on the record, so it is shown the same way
    (the log keeps dates, times and exact decimals as ISO text)."""
    if not isinstance(value, str):
        return value
    parse = _PARSERS.get(field.type)
    try:
        return parse(value) if parse else value
    except (ValueError, decimal.InvalidOperation):
        return value


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


_PARSERS: dict[str, Callable[[str], Any]] = {
    "datetime": dt.datetime.fromisoformat,
    "date": dt.date.fromisoformat,
    "time": dt.time.fromisoformat,
    "decimal": decimal.Decimal,
    "money": decimal.Decimal,
    "percent": decimal.Decimal,
}
