"""Who may do what to which records, from the entities' ``permissions`` and the roles.

Pure logic over the Catalog: a role's grant gives each operation a scope (``all``,
``department``: records owned by anyone in my department or below, ``subordinates``: my own
records and those of the people I manage, ``own``, ``none``);
an actor gets the widest scope any of their roles (with inherited roles) grants. No
grant means no access: the rules fail closed. ``admin`` and the system actor see all.

A record shared with a user widens their ``read`` scope (any share) or ``write`` scope (a
``write`` share) to that record; it never grants an operation their roles do not grant.
"""

from __future__ import annotations

from dataclasses import dataclass

from loom.metadata.catalog import Catalog
from loom.metadata.catalog import Entity
from loom.metadata.catalog import Permission
from loom.metadata.expressions import Expression

from .actor import Actor

SCOPES = ("none", "own", "subordinates", "department", "all")
OPERATIONS = ("create", "read", "write", "delete", "submit", "export")
SHARE_LEVELS = ("read", "write")
# The share levels that widen each operation's scope; delete, submit and export stay the roles' alone.
SHARED_LEVELS = {"read": ("read", "write"), "write": ("write",)}


@dataclass(frozen=True, slots=True)
class Reason:
    """One line of an explanation: which role's grant gives which scope."""

    role: str
    scope: str


@dataclass(frozen=True, slots=True)
class Decision:
    operation: str
    scope: str
    reasons: tuple[Reason, ...]
    # Conditions whose records join a read scope short of ``all`` (grants' ``also_read``).
    also: tuple[Expression, ...] = ()

    @property
    def allowed(self) -> bool:
        return self.scope != "none"


class Permissions:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._inherits = {d.name: tuple(d.spec.get("inherits", ())) for d in catalog.of_kind("role")}

    def roles_of(self, actor: Actor) -> frozenset[str]:
        """The actor's roles with every role they inherit."""
        found: set[str] = set()
        stack = list(actor.roles)
        while stack:
            role = stack.pop()
            if role not in found:
                found.add(role)
                stack.extend(self._inherits.get(role, ()))
        return frozenset(found)

    def is_superuser(self, actor: Actor) -> bool:
        return actor.is_system or "admin" in self.roles_of(actor)

    def decide(self, actor: Actor, entity: Entity, operation: str) -> Decision:
        if self.is_superuser(actor):
            reason = Reason("system" if actor.is_system else "admin", "all")
            return Decision(operation, "all", (reason,))
        roles = self.roles_of(actor)
        grants = [grant for grant in self._grants(entity) if grant.role in roles]
        reasons = tuple(Reason(grant.role, _scope_of(grant, operation)) for grant in grants)
        scope = max((r.scope for r in reasons), key=SCOPES.index, default="none")
        also: tuple[Expression, ...] = ()
        if operation == "read" and scope not in ("none", "all"):
            also = tuple(g.also_read for g in grants if g.also_read is not None and g.read != "none")
        return Decision(operation, scope, reasons, also)

    def hidden_fields(self, actor: Actor, entity: Entity) -> frozenset[str]:
        """Fields hidden from the actor: hidden by every role of theirs that may read."""
        return self._field_rule(actor, entity, "hidden")

    def readonly_fields(self, actor: Actor, entity: Entity) -> frozenset[str]:
        return self._field_rule(actor, entity, "readonly") | self.hidden_fields(actor, entity)

    def _field_rule(self, actor: Actor, entity: Entity, kind: str) -> frozenset[str]:
        if self.is_superuser(actor):
            return frozenset()
        roles = self.roles_of(actor)
        grants = [g for g in self._grants(entity) if g.role in roles and _scope_of(g, "read") != "none"]
        if not grants:
            return frozenset()
        sets = [frozenset(getattr(g, kind)) for g in grants]
        return frozenset.intersection(*sets)

    def _grants(self, entity: Entity) -> tuple[Permission, ...]:
        if entity.child:
            raise ValueError(f"{entity.qualified_name} is a child entity: ask about its parent")
        return entity.permissions


def _scope_of(grant: Permission, operation: str) -> str:
    if operation == "create":
        return "all" if grant.create else "none"
    if operation == "export":
        return "all" if grant.export else "none"
    return getattr(grant, operation)
