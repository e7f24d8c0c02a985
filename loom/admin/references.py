"""Users and departments shown by name, not id, in lists and details.

The names of one page's references are read in one query per kind when the page's rows
are read, and kept for the request in ``g``; the cell formatters only look them up.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping
from typing import Any

from flask import g
from sqlalchemy import select

from loom.metadata.catalog import Entity
from loom.platform.api.auth import services

from .rows import Row

KINDS = ("user", "department")
USER_COLUMNS = ("created_by", "updated_by", "owner")


def referring(entity: Entity) -> dict[str, str]:
    """Column → kind (user or department) of every reference shown by name."""
    found = {f.name: f.type for f in entity.fields if f.type in KINDS}
    return found | dict.fromkeys(USER_COLUMNS, "user")


def remember_names(columns: Mapping[str, str], rows: Iterable[Mapping[str, Any]]) -> None:
    """Read the names of the users and departments ``rows`` refer to through ``columns``."""
    wanted: dict[str, set[int]] = {kind: set() for kind in KINDS}
    for row in rows:
        for column, kind in columns.items():
            value = row.get(column)
            wanted[kind].update(value if isinstance(value, list) else [value] if value is not None else [])
    tables = services().runtime.schema.metadata.tables
    users, departments = tables["loom_users"], tables["loom_departments"]
    names: dict[tuple[str, int], str] = {}
    with services().runtime.engine.connect() as conn:
        if wanted["user"]:
            query = select(users.c.id, users.c.name, users.c.login).where(users.c.id.in_(wanted["user"]))
            names |= {("user", i): f"{name} ({login})" for i, name, login in conn.execute(query)}
        if wanted["department"]:
            query = select(departments.c.id, departments.c.name).where(
                departments.c.id.in_(wanted["department"])
            )
            names |= {("department", row.id): row.name for row in conn.execute(query)}
    g.loom_admin_names = names


def by_name(kind: str) -> Any:
    """A cell formatter showing a user's or department's name (its id if it is gone)."""

    def format_cell(view: Any, context: Any, model: Row, name: str) -> Any:
        value = getattr(model, name)
        names = g.get("loom_admin_names", {})
        if isinstance(value, list):
            return ", ".join(names.get((kind, v), str(v)) for v in value)
        return names.get((kind, value), value) if value is not None else ""

    return format_cell
