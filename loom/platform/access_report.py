"""Why a user may or may not do each operation on an entity (``loom explain-access``).

With a record, each operation says whether the record is inside the user's scope, and
whether it is inside only because it is shared with them (``loom_shares``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from .actor import Actor
from .permissions import OPERATIONS
from .records.access import Access
from .records.audit import jsonable
from .records.errors import RecordError
from .records.rows import read_record
from .records.sharing import Sharing
from .services import Services
from .tables import RecordTables


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
        held = None
        if record_id is not None:
            held = Sharing(services.records).held(conn, entity_name, record_id, actor)
        operations = [_line(conn, access, actor, tables, op, record_id, held) for op in OPERATIONS]
    return {
        "user": login,
        "roles": sorted(access.permissions.roles_of(actor)),
        "operations": operations,
        "hidden": sorted(access.hidden(actor, entity)),
        "readonly": sorted(access.locked(actor, entity)),
        "shares": [jsonable(held)] if held else [],
    }


def _line(
    conn: Connection,
    access: Access,
    actor: Actor,
    tables: RecordTables,
    operation: str,
    record_id: int | None,
    held: dict[str, Any] | None,
) -> dict[str, Any]:
    decision = access.permissions.decide(actor, tables.entity, operation)
    line: dict[str, Any] = {
        "operation": operation,
        "scope": decision.scope,
        "allowed": decision.allowed,
        "reasons": [{"role": r.role, "scope": r.scope} for r in decision.reasons],
    }
    if record_id is None or not decision.allowed or operation in ("create", "export"):
        return line
    if _covers(conn, tables, record_id, access.role_scope(conn, actor, tables, decision)):
        line["note"] = " (this record: yes)"
    elif _covers(conn, tables, record_id, access.clause(conn, actor, tables, decision)):
        if held:
            until = f" until {held['expires_at'].isoformat()}" if held["expires_at"] else ""
            line["note"] = f" (this record: shared with them to {held['level']}{until})"
        else:
            conditions = " or ".join(condition.source for condition in decision.also)
            line["note"] = f" (this record: yes, as it matches {conditions})"
    else:
        line["allowed"] = False
        line["note"] = " (this record: outside the scope)"
    return line


def _covers(conn: Connection, tables: RecordTables, record_id: int, where: Any) -> bool:
    try:
        read_record(conn, tables, record_id, where=where)
    except RecordError:
        return False
    return True
