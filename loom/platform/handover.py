"""离职交接: hand everything a leaving user holds to a successor in one operation.

Their pending approval tasks move to the successor (each a transfer on the record's timeline,
by the admin, with the reason) and the records they own become the successor's, written
through the records service, so permissions, audit, versions and automations apply as to any
change of owner. All in one transaction: a failure hands over nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace

from sqlalchemy import select

from .actor import Actor
from .records.errors import FieldError
from .records.errors import PermissionDenied
from .records.errors import ValidationFailed
from .services import Services

MAX_REASON = 500


@dataclass
class Handover:
    tasks: int = 0
    records: dict[str, int] = field(default_factory=dict)  # per entity, records whose owner changed

    def as_dict(self) -> dict[str, object]:
        return {"tasks": self.tasks, "records": dict(self.records)}


def hand_over(services: Services, from_user: int, to_user: int, actor: Actor, reason: str) -> Handover:
    """Move ``from_user``'s pending tasks and owned records to ``to_user`` (admins only)."""
    if not actor.is_admin:
        raise PermissionDenied()
    problems = _problems(services, from_user, to_user, reason)
    if problems:
        raise ValidationFailed(problems)
    report = Handover()
    as_admin = replace(actor, is_system=True)  # may assign owners; the audit still names the admin
    runtime = services.runtime
    with runtime.engine.begin() as conn:
        report.tasks = services.flows.reassign_pending(from_user, to_user, actor, reason, conn)
        for entity in runtime.catalog.entities.values():
            if entity.child:
                continue
            table = runtime.schema.of(entity.qualified_name).table
            ids = conn.execute(
                select(table.c.id).where(table.c.owner == from_user).order_by(table.c.id)
            ).scalars()
            count = 0
            for record_id in list(ids):
                services.records.update(
                    entity.qualified_name, record_id, {"owner": to_user}, as_admin, conn=conn
                )
                count += 1
            if count:
                report.records[entity.qualified_name] = count
    return report


def _problems(services: Services, from_user: int, to_user: int, reason: str) -> list[FieldError]:
    found = []
    with services.runtime.engine.connect() as conn:
        source, target = services.identity.user(conn, from_user), services.identity.user(conn, to_user)
    if source is None:
        found.append(FieldError("from", "no_such_user"))
    if target is None or not target["active"]:
        found.append(FieldError("to", "no_such_user"))
    elif from_user == to_user:
        found.append(FieldError("to", "same_user"))
    if not reason.strip() or len(reason) > MAX_REASON:
        found.append(FieldError("reason", "required"))
    return found
