"""What an approver sees of a record: the step's ``hidden`` fields are left out for them.

Applied to many records at once (a page of a list) with two queries, and only for entities
whose flows hide fields at some step.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from typing import TYPE_CHECKING
from typing import Any

from sqlalchemy import Connection
from sqlalchemy import func
from sqlalchemy import select

from loom.metadata.catalog import Entity
from loom.metadata.catalog import thaw

from ..actor import Actor
from .nodes import walk
from .snapshots import upgraded

if TYPE_CHECKING:
    from .service import FlowService


class StepHiding:
    """The records service's hiding rule for the ``hidden`` fields of approval steps."""

    def __init__(self, flows: FlowService) -> None:
        self.flows = flows
        self.instances = flows.engine.instances
        self.tasks = flows.engine.tasks
        self._hiding: dict[str, bool] = {}

    def of_records(
        self, c: Connection, actor: Actor, entity: Entity, records: Sequence[Mapping[str, Any]]
    ) -> list[frozenset[str]]:
        """An approver sees a record without the fields their steps in its latest approval hide
        (not when they own the record or started that approval)."""
        nothing = [frozenset[str]()] * len(records)
        if not self._hides(entity) or actor.is_system or actor.id is None:
            return nothing
        others = [r["id"] for r in records if r.get("owner") != actor.id]
        if not others:
            return nothing
        instances, tasks = self.instances, self.tasks
        latest = (
            select(func.max(instances.c.id))
            .where(instances.c.entity == entity.qualified_name, instances.c.record_id.in_(others))
            .group_by(instances.c.record_id)
        )
        mine = c.execute(
            select(instances.c.record_id, instances.c.definition, tasks.c.node)
            .join(tasks, tasks.c.instance_id == instances.c.id)
            .where(
                instances.c.id.in_(latest),
                tasks.c.assignee_id == actor.id,
                instances.c.initiator_id != actor.id,
            )
        )
        hidden: dict[int, set[str]] = {}
        for row in mine:
            hidden.setdefault(row.record_id, set()).update(_hidden_at(upgraded(row.definition), {row.node}))
        return [frozenset(hidden.get(r["id"], ())) for r in records]

    def anywhere(self, c: Connection, actor: Actor, entity: Entity) -> frozenset[str]:
        if not self._hides(entity) or actor.is_system or actor.id is None:
            return frozenset()
        instances, tasks = self.instances, self.tasks
        nodes = c.execute(
            select(instances.c.flow, tasks.c.node)
            .join(tasks, tasks.c.instance_id == instances.c.id)
            .where(instances.c.entity == entity.qualified_name, tasks.c.assignee_id == actor.id)
            .distinct()
        )
        by_flow: dict[str, set[str]] = {}
        for flow, node in nodes:
            by_flow.setdefault(flow, set()).add(node)
        hidden: set[str] = set()
        for flow in self.flows.runtime.catalog.flows_of(entity.qualified_name):
            hidden |= _hidden_at(thaw(flow.spec), by_flow.get(flow.qualified_name, set()))
        return frozenset(hidden)

    def _hides(self, entity: Entity) -> bool:
        """Whether any flow of the entity hides fields at a step (most do not: no query then)."""
        name = entity.qualified_name
        if name not in self._hiding:
            flows = self.flows.runtime.catalog.flows_of(name) if entity.has_flow else ()
            self._hiding[name] = any(_hidden_at(thaw(f.spec), None) for f in flows)
        return self._hiding[name]


def _hidden_at(definition: Mapping[str, Any], nodes: set[str] | None) -> set[str]:
    """Fields the named nodes of a flow definition hide (every node's, when ``nodes`` is None)."""
    hidden: set[str] = set()
    for node in walk(definition["nodes"]):
        if nodes is None or node["name"] in nodes:
            hidden |= set(node.get("hidden", []))
    return hidden
