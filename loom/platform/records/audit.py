"""The audit log: who changed which record when, with the before and after of each field."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection
from sqlalchemy import Table
from sqlalchemy import insert


def jsonable(value: Any) -> Any:
    """A value as the audit log stores it: exact decimals and ISO dates as text."""
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {k: jsonable(v) for k, v in value.items()}
    return value


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """``{field: {"before": …, "after": …}}`` for every field whose value changed."""
    changes = {}
    for key in sorted(set(before) | set(after)):
        old, new = jsonable(before.get(key)), jsonable(after.get(key))
        if old != new:
            changes[key] = {"before": old, "after": new}
    return changes


def differs(old: Any, new: Any) -> bool:
    """Whether a value changed, not merely came back as read; child rows are compared on the
    values both sides hold, without their ids."""
    if isinstance(old, list) and isinstance(new, list) and all(isinstance(r, Mapping) for r in old + new):
        if len(old) != len(new):
            return True
        for was, now in zip(old, new, strict=True):
            keys = (set(was) & set(now)) - {"id", "parent_id"}
            if any(jsonable(was[k]) != jsonable(now[k]) for k in keys):
                return True
        return False
    return jsonable(old) != jsonable(new)


def record_change(
    conn: Connection,
    table: Table,
    *,
    entity: str,
    record_id: int,
    action: str,
    changes: Mapping[str, Any],
    user_id: int | None,
    at: dt.datetime,
) -> None:
    conn.execute(insert(table), change_row(entity, record_id, action, changes, user_id, at))


def change_row(
    entity: str,
    record_id: int,
    action: str,
    changes: Mapping[str, Any],
    user_id: int | None,
    at: dt.datetime,
) -> dict[str, Any]:
    """One audit entry as a row of the log (entries of many records go in with one INSERT)."""
    row = {"at": at, "user_id": user_id, "entity": entity, "record_id": record_id, "action": action}
    return {**row, "changes": dict(changes)}
