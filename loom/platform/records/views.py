"""Saved views (场景): an entity's ``list.views``, offered per actor and applied to a list.

A view narrows a list with its CEL filter inside the actor's read scope, never instead of
it. The part of the filter Loom can turn into SQL goes into the query; when some of it
cannot (``days_between(today, next_contact_at) <= 7``, ``current_user in attendees``), the
records that the SQL part and the scope admit are read and the whole filter is evaluated on
each of them, so the view always selects exactly what its filter says.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import ColumnElement
from sqlalchemy import Connection
from sqlalchemy import bindparam
from sqlalchemy import false
from sqlalchemy import select

from loom.metadata.catalog import Entity
from loom.metadata.catalog import ListView

from ..actor import Actor
from ..tables import RecordTables
from .cel_filter import matches
from .cel_filter import sql_filter
from .errors import FieldError
from .errors import PermissionDenied
from .errors import ValidationFailed
from .logic import cel_value
from .logic import variables
from .rows import read_related
from .rows import related_subset


def offered(entity: Entity, roles: Iterable[str], superuser: bool, hidden: frozenset[str]) -> list[ListView]:
    """The views an actor may use: those for their roles, whose filter reads nothing hidden from them.

    A filter on a hidden field would tell the actor which records hold which hidden value.
    """
    held = set(roles)
    return [
        view
        for view in entity.list.views
        if (not view.roles or superuser or held & set(view.roles))
        and not (view.filter is not None and view.filter.variables & hidden)
    ]


def chosen(entity: Entity, views: list[ListView], name: str) -> ListView:
    """The view called ``name`` among the ``views`` offered to the actor. A view the entity has
    but does not offer them is forbidden (403); a name it has no view of is the ``view``
    parameter's error (422)."""
    for view in views:
        if view.name == name:
            return view
    if any(view.name == name for view in entity.list.views):
        raise PermissionDenied(operation="view", entity=entity.qualified_name)
    allowed = ", ".join(v.name for v in views) or "-"
    raise ValidationFailed([FieldError("view", "not_option", {"value": name, "allowed": allowed})])


def clause(
    c: Connection,
    view: ListView,
    tables: RecordTables,
    actor: Actor,
    now: dt.datetime,
    scope: ColumnElement[bool] | None,
) -> ColumnElement[bool] | None:
    """The records of ``view`` as a WHERE clause (None: the view has no filter)."""
    if view.filter is None:
        return None
    entity, table = tables.entity, tables.table
    names = {"current_user": actor.id, "now": cel_value(now), "today": now.date().isoformat()}
    pushed = sql_filter(view.filter, entity, table, names)
    if pushed.exact:
        return pushed.clause
    read = [n for n in sorted(view.filter.variables) if n in table.c]
    statement = select(table.c.id, *(table.c[n] for n in read if n != "id")).where(pushed.clause)
    if scope is not None:
        statement = statement.where(scope)
    rows = [dict(r) for r in c.execute(statement).mappings()]
    related = related_subset(tables, tuple(view.filter.variables))
    if rows and (related.children or related.links):
        read_related(c, related, rows)
    ids = [r["id"] for r in rows if matches(view.filter, variables(entity, r, actor, now))]
    if not ids:
        return false()
    # Whole numbers from the database, written into the statement: no bound-parameter limit.
    return table.c.id.in_(bindparam("view_ids", ids, expanding=True, literal_execute=True))
