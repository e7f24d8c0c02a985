"""Which records their approval has made read-only, and what stays editable and by whom.

A record in approval changes only through its flow; once the approval ends in a status its
flow's ``locked.statuses`` names (``approved`` unless the flow says otherwise), nobody changes it
any more, admins included, except the fields the flow's ``locked.editable`` grants to a role
(the cashier's payment date). The flow that counts is the one of the record's latest approval,
as the Catalog declares it now (or as it was when that approval started, if it has since been
removed). Writes by the system (automations that run as system, flow actions) are not locked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy import Table
from sqlalchemy import select

from loom.metadata.catalog import Catalog
from loom.metadata.catalog import Entity

from ..actor import Actor
from ..flows.snapshots import upgraded
from ..permissions import Permissions
from .errors import Conflict
from .errors import InApproval
from .errors import Locked

DEFAULT_LOCKED = ("approved",)
# The status labels of the refusal, in both languages.
STATUS_LABELS = {
    "in_approval": {"en": "in approval", "zh": "审批中"},
    "approved": {"en": "approved", "zh": "已通过"},
    "rejected": {"en": "rejected", "zh": "已驳回"},
    "withdrawn": {"en": "withdrawn", "zh": "已撤回"},
    "returned": {"en": "returned", "zh": "已退回"},
    "revoked": {"en": "revoked", "zh": "已撤销"},
}


@dataclass(frozen=True, slots=True)
class Lock:
    """A record's approval forbids changes; ``editable`` are the fields the actor may still change."""

    status: str
    editable: frozenset[str] = frozenset()


class Locks:
    def __init__(self, catalog: Catalog, permissions: Permissions, instances: Table) -> None:
        self.catalog = catalog
        self.permissions = permissions
        self.instances = instances

    def of(self, c: Connection, actor: Actor, entity: Entity, record: Mapping[str, Any]) -> Lock | None:
        """The lock on ``record`` for ``actor``, or None when they may change it as their rights allow."""
        status = record.get("flow_status")
        if actor.is_system or not entity.has_flow or status in (None, "draft"):
            return None
        if status == "in_approval":
            return Lock(status)
        spec = self.flow_spec(c, entity, record["id"])
        locked = spec.get("locked") or {}
        if status not in locked.get("statuses", DEFAULT_LOCKED):
            return None
        roles = self.permissions.roles_of(actor)
        editable = {
            name
            for grant in locked.get("editable", ())
            if roles & set(grant["roles"])
            for name in grant["fields"]
        }
        return Lock(status, frozenset(editable))

    def flow_spec(self, c: Connection, entity: Entity, record_id: int) -> Mapping[str, Any]:
        """The definition of the flow that last ran on the record (current, else as it started)."""
        instances = self.instances
        row = c.execute(
            select(instances.c.flow, instances.c.definition)
            .where(instances.c.entity == entity.qualified_name, instances.c.record_id == record_id)
            .order_by(instances.c.id.desc())
            .limit(1)
        ).first()
        if row is None:
            return {}
        current = self.catalog.definitions.get(("flow", row.flow))
        return current.spec if current is not None else upgraded(row.definition)


def lock_refusal(lock: Lock) -> Conflict:
    """A record in approval changes only through its flow (``in_approval``); a locked one not at all."""
    if lock.status == "in_approval":
        return InApproval()
    return Locked(status=STATUS_LABELS.get(lock.status, lock.status))
