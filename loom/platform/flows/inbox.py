"""What a user sees of approvals: their inbox boxes, counts and notifications.

Boxes: ``todo`` (my open tasks), ``done`` (tasks I acted on), ``cc`` (copied to me),
``started`` (approvals I submitted). Each item carries the record's title so a list
can be shown without a query per row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update

from loom.metadata.catalog import Label
from loom.metadata.catalog import template_fields

from ..actor import Actor
from ..database import reading
from ..permissions import Permissions
from ..records.errors import FieldError
from ..records.errors import ValidationFailed
from ..records.schemas import MAX_ID
from ..runtime import Runtime
from .nodes import node_named
from .snapshots import upgraded

BOXES = ("todo", "done", "cc", "started")


@dataclass(frozen=True, slots=True)
class Narrowing:
    """The inbox's filters: one kind of record (``oa.leave_request``), one initiator, and what
    arrived at or after ``since``."""

    entity: str | None = None
    initiator: int | None = None
    since: dt.datetime | None = None


ACTED = ("approved", "rejected", "returned", "transferred")


class Inbox:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        tables = runtime.schema.metadata.tables
        self.instances = tables["loom_flow_instances"]
        self.tasks = tables["loom_flow_tasks"]
        self.notifications = tables["loom_notifications"]
        self.permissions = Permissions(runtime.catalog)

    def items(
        self,
        actor: Actor,
        box: str,
        *,
        page: int = 1,
        page_size: int = 50,
        only: Narrowing | None = None,
    ) -> dict[str, Any]:
        """A page of the box, newest first; ``only`` narrows it to one kind of record, one
        initiator or what arrived since a moment (the inbox's filters)."""
        if box not in BOXES:
            raise ValidationFailed(
                [FieldError("box", "not_option", {"value": box, "allowed": ", ".join(BOXES)})]
            )
        if not 1 <= page_size <= 200 or not 1 <= page <= 100_000:
            raise ValidationFailed([FieldError("page_size", "max", {"max": 200})])
        conditions = self._conditions(actor, box, only or Narrowing())
        query = self._query(box).where(*conditions)
        with reading(self.runtime.engine) as conn:
            joined = only is not None and (only.entity is not None or only.initiator is not None)
            total = conn.execute(self._count(box, joined).where(*conditions)).scalar_one()
            rows = [
                dict(r)
                for r in conn.execute(query.limit(page_size).offset((page - 1) * page_size)).mappings()
            ]
            for row in rows:
                if row.get("task_status") == "pending":  # may be approved with others (批量同意)
                    definition = upgraded(row["definition"])
                    row["batch_approve"] = bool(definition.get("batch_approve", False))
                    signed = _step(definition, row["node"]).get("signature") == "required"
                    row["signature_required"] = signed
            self._add_titles(conn, actor, rows)
        return {"box": box, "items": rows, "total": total, "page": page, "page_size": page_size}

    def facets(self, actor: Actor, box: str) -> dict[str, list[Any]]:
        """What the box's filters can offer: the kinds of record in it and who started them."""
        i = self.instances
        conditions = self._conditions(actor, box, Narrowing())
        base = self._count(box, joined=True).with_only_columns(i.c.entity, i.c.initiator_id)
        base = base.where(*conditions)
        with reading(self.runtime.engine) as conn:
            pairs = conn.execute(base.distinct()).all()
        return {
            "entities": sorted({p.entity for p in pairs}),
            "initiators": sorted({p.initiator_id for p in pairs if p.initiator_id is not None}),
        }

    def counts(self, actor: Actor) -> dict[str, int]:
        """Numbers for the navigation: open tasks, unread copies, unread notifications."""
        with reading(self.runtime.engine) as conn:
            todo = conn.execute(
                select(func.count()).where(
                    self.tasks.c.assignee_id == actor.id, self.tasks.c.status == "pending"
                )
            ).scalar_one()
            unread = conn.execute(
                select(func.count()).where(
                    self.notifications.c.user_id == actor.id, self.notifications.c.read_at.is_(None)
                )
            ).scalar_one()
        return {"todo": todo, "unread": unread}

    def _conditions(self, actor: Actor, box: str, only: Narrowing) -> list[Any]:
        t, i = self.tasks, self.instances
        if box == "started":
            conditions = [i.c.initiator_id == actor.id]
            arrived = i.c.started_at
        else:
            kind = {
                "todo": t.c.status == "pending",
                "cc": t.c.kind == "cc",
                "done": t.c.status.in_(ACTED),
            }[box]
            conditions, arrived = [t.c.assignee_id == actor.id, kind], t.c.created_at
        if only.entity is not None:
            conditions.append(i.c.entity == only.entity)
        if only.initiator is not None:
            conditions.append(i.c.initiator_id == only.initiator)
        if only.since is not None:
            conditions.append(arrived >= only.since)
        return conditions

    def _count(self, box: str, joined: bool):
        """Counting a box's tasks reads their approvals only when a condition is about them
        (every task has one): the count of 100,000 open tasks is then one index's entries."""
        t, i = self.tasks, self.instances
        if box == "started":
            return select(func.count()).select_from(i)
        return select(func.count()).select_from(t.join(i, i.c.id == t.c.instance_id) if joined else t)

    def _query(self, box: str):
        t, i = self.tasks, self.instances
        if box == "started":
            return select(
                i.c.id.label("instance_id"),
                i.c.flow,
                i.c.entity,
                i.c.record_id,
                i.c.status,
                i.c.initiator_id,
                i.c.started_at,
                i.c.finished_at,
            ).order_by(i.c.id.desc())
        columns = (
            t.c.id.label("task_id"),
            t.c.node,
            t.c.kind,  # approve, cc, or revoke: deciding a revocation
            t.c.status.label("task_status"),
            t.c.created_at,
            t.c.acted_at,
            t.c.on_behalf_of,
            i.c.id.label("instance_id"),
            i.c.flow,
            i.c.entity,
            i.c.record_id,
            i.c.status,
            i.c.initiator_id,
            i.c.definition,  # the steps' hidden fields, taken out of summaries
        )
        query = select(*columns).join(i, i.c.id == t.c.instance_id)
        if box == "done":
            return query.order_by(t.c.acted_at.desc(), t.c.id.desc())
        return query.order_by(t.c.created_at.desc(), t.c.id.desc())

    def _add_titles(
        self,
        conn: Connection,
        actor: Actor,
        rows: list[dict[str, Any]],
        node_of: Callable[[dict[str, Any]], str | None] = lambda row: row.get("node"),
    ) -> None:
        """One query per entity for the titles of the records listed and the values their
        summaries show (``summary_values``: the flow's summary where it declares one, else the
        entity's), less what the actor may not see (by their role, and by the step ``node_of``
        a row names)."""
        catalog = self.runtime.catalog
        shows: dict[tuple[str, str | None], Label | None] = {}  # (entity, flow): its summary
        by_entity: dict[str, set[int]] = {}
        for row in rows:
            by_entity.setdefault(row["entity"], set()).add(row["record_id"])
            entity = catalog.entities.get(row["entity"])
            if entity is not None and (row["entity"], row.get("flow")) not in shows:
                shows[(row["entity"], row.get("flow"))] = catalog.summary_of(entity, row.get("flow"))
        found: dict[tuple[str, int], dict[str, Any]] = {}
        for name, ids in by_entity.items():
            entity = catalog.entities.get(name)
            if entity is None:
                continue
            table = self.runtime.schema.of(name).table
            summed = frozenset().union(*(template_fields(t) for (e, _flow), t in shows.items() if e == name))
            wanted = summed - self.permissions.hidden_fields(actor, entity)
            columns = [c for c in (entity.title_field, *sorted(wanted)) if c and c in table.c]
            if columns:
                query = select(table.c.id, *(table.c[c] for c in columns)).where(table.c.id.in_(ids))
                found.update({(name, r["id"]): dict(r) for r in conn.execute(query).mappings()})
        for row in rows:
            entity = catalog.entities.get(row["entity"])
            values = found.get((row["entity"], row["record_id"]), {})
            row["title"] = values.get(entity.title_field) if entity and entity.title_field else None
            template = shows.get((row["entity"], row.get("flow")))
            if template is not None:
                fields = template_fields(template)
                stored = row.get("definition")
                hidden = _step_hidden(upgraded(stored) if stored else None, node_of(row))
                row["summary_values"] = {k: v for k, v in values.items() if k in fields and k not in hidden}
            row.pop("definition", None)

    def notifications_of(
        self, actor: Actor, unread_only: bool = False, limit: int = 50
    ) -> list[dict[str, Any]]:
        """The actor's notifications, unread ones first, then newest first, each with its record's
        title, who started the approval and the values its summary shows (as inbox items have them)."""
        n, i = self.notifications, self.instances
        query = (
            select(n, i.c.initiator_id, i.c.definition)
            .outerjoin(i, i.c.id == n.c.instance_id)
            .where(n.c.user_id == actor.id)
        )
        if unread_only:
            query = query.where(n.c.read_at.is_(None))
        unread_first = n.c.read_at.is_(None).desc()
        query = query.order_by(unread_first, n.c.id.desc()).limit(min(max(limit, 1), 200))
        with reading(self.runtime.engine) as conn:
            rows = [{**r, "flow": (r["message"] or {}).get("flow")} for r in conn.execute(query).mappings()]
            self._add_titles(conn, actor, rows, node_of=lambda row: (row["message"] or {}).get("node"))
        return rows

    def open_notification(self, actor: Actor, note_id: int) -> dict[str, Any] | None:
        """Mark one of the actor's notifications read and say what it is about (its ``entity``
        and ``record_id``); None when the actor has no such notification."""
        n = self.notifications
        with reading(self.runtime.engine) as conn:
            found = (
                conn.execute(
                    select(n.c.entity, n.c.record_id).where(n.c.id == note_id, n.c.user_id == actor.id)
                )
                .mappings()
                .first()
            )
        if found is None:
            return None
        self.mark_read(actor, [note_id])
        return dict(found)

    def mark_read(self, actor: Actor, ids: list[int] | None = None) -> int:
        n = self.notifications
        statement = update(n).where(n.c.user_id == actor.id, n.c.read_at.is_(None))
        if ids is not None:
            statement = statement.where(
                n.c.id.in_([i for i in ids if isinstance(i, int) and 0 < i <= MAX_ID])
            )
        with self.runtime.engine.begin() as conn:
            return conn.execute(statement.values(read_at=dt.datetime.now(dt.UTC))).rowcount


def _step_hidden(definition: dict[str, Any] | None, node: str | None) -> frozenset[str]:
    """The fields the actor's step hides from them (nothing for the initiator's own box)."""
    return frozenset(_step(definition, node).get("hidden", []))


def _step(definition: dict[str, Any] | None, node: str | None) -> dict[str, Any]:
    """The node of the definition named ``node`` ({} when there is none)."""
    if not definition or not node:
        return {}
    return node_named(definition.get("nodes", []), node) or {}
