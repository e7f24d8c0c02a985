"""What an approver sees of a record: the step's ``hidden`` fields are left out for them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING
from typing import Any

from sqlalchemy import Connection
from sqlalchemy import select

from loom.metadata.catalog import Entity

from ..actor import Actor
from .engine import walk

if TYPE_CHECKING:
    from .service import FlowService


def hidden_at_steps(
    flows: FlowService, c: Connection, actor: Actor, entity: Entity, record: Mapping[str, Any]
) -> frozenset[str]:
    """An approver sees the record without the fields their step hides (not the initiator)."""
    if not entity.has_flow or actor.is_system or record.get("owner") == actor.id:
        return frozenset()
    latest = flows.latest(c, entity.qualified_name, record["id"])
    if latest is None or latest["initiator_id"] == actor.id:
        return frozenset()
    tasks = flows.engine.tasks
    nodes = set(
        c.execute(
            select(tasks.c.node).where(tasks.c.instance_id == latest["id"], tasks.c.assignee_id == actor.id)
        ).scalars()
    )
    hidden: set[str] = set()
    for node in walk(latest["definition"]["nodes"]):
        if node["name"] in nodes:
            hidden |= set(node.get("hidden", []))
    return frozenset(hidden)
