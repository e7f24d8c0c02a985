"""Why a user may or may not do each operation on an entity (``loom explain-access``)."""

from __future__ import annotations

from typing import Any

from .permissions import OPERATIONS
from .records.errors import RecordError
from .records.rows import read_record
from .services import Services


def explain(services: Services, login: str, entity_name: str, record_id: int | None = None) -> dict[str, Any]:
    """Each operation's scope with the grants behind it, and whether the record falls in it."""
    catalog = services.runtime.catalog
    if entity_name not in catalog.entities or catalog.entity(entity_name).child:
        raise LookupError(f"no entity {entity_name!r}")
    entity = catalog.entity(entity_name)
    access = services.records.access
    tables = services.runtime.schema.of(entity_name)
    with services.runtime.engine.connect() as conn:
        user = services.identity.user_by_login(conn, login)
        actor = services.identity.actor(conn, user["id"]) if user else None
        if actor is None:
            raise LookupError(f"no active user {login!r}")
        operations = []
        for operation in OPERATIONS:
            decision = access.permissions.decide(actor, entity, operation)
            line: dict[str, Any] = {
                "operation": operation,
                "scope": decision.scope,
                "allowed": decision.allowed,
                "reasons": [{"role": r.role, "scope": r.scope} for r in decision.reasons],
            }
            if record_id is not None and decision.allowed and operation not in ("create", "export"):
                try:
                    read_record(conn, tables, record_id, where=access.clause(conn, actor, tables, decision))
                    line["note"] = " (this record: yes)"
                except RecordError:
                    line["allowed"] = False
                    line["note"] = " (this record: outside the scope)"
            operations.append(line)
    return {
        "user": login,
        "roles": sorted(access.permissions.roles_of(actor)),
        "operations": operations,
        "hidden": sorted(access.hidden(actor, entity)),
        "readonly": sorted(access.locked(actor, entity)),
    }
