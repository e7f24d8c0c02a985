"""Checks of values that name a person (a share's user, a delegate): an active user, by id."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection
from sqlalchemy import Table
from sqlalchemy import select

from .errors import FieldError
from .schemas import MAX_ID


def active_user_errors(c: Connection, users: Table, key: str, user_id: Any) -> list[FieldError]:
    """``key`` must hold the id of an active user; an unknown one reads as a missing link."""
    if user_id is None:
        return [FieldError(key, "required")]
    if isinstance(user_id, bool) or not isinstance(user_id, int) or not 0 < user_id <= MAX_ID:
        return [FieldError(key, "invalid", {"kind": "id"})]
    if c.execute(select(users.c.id).where(users.c.id == user_id, users.c.active)).first() is None:
        return [FieldError(key, "link_not_found", {"id": user_id})]
    return []
