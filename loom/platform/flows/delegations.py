"""Delegation (委托/代理审批): a user away has the approvals that reach them go to someone else.

A delegation names its user, the delegate, a range of dates (inclusive, in the site's zone)
and optionally the flows it covers. Tasks created inside the range go to the delegate with
``on_behalf_of`` set (the engine asks ``delegate_on``); tasks created before stay where they
are. Users manage their own delegations, admins anyone's. Two delegations of one user may
not overlap on a day and a flow, so who receives a task is never a matter of row order.
Every change is audited, since it moves who decides.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection
from sqlalchemy import Table
from sqlalchemy import insert
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update

from ..actor import Actor
from ..database import transaction
from ..records.audit import jsonable
from ..records.audit import record_change
from ..records.errors import FieldError
from ..records.errors import NotFound
from ..records.errors import PermissionDenied
from ..records.errors import ValidationFailed
from ..records.people import active_user_errors
from ..records.service import RecordService

KEYS = ("user_id", "delegate_id", "starts_on", "ends_on", "flows", "reason")
ENTITY = "loom.delegation"  # how delegations appear in the audit log
MAX_DAYS = 366
MAX_REASON = 500


def delegate_on(conn: Connection, table: Table, user: int, flow: str, day: dt.date) -> int | None:
    """The delegate who receives ``user``'s tasks of ``flow`` on ``day``, if any."""
    query = select(table.c.delegate_id, table.c.flows).where(
        table.c.user_id == user,
        table.c.starts_on <= day,
        table.c.ends_on >= day,
        table.c.ended_at.is_(None),
    )
    for row in conn.execute(query.order_by(table.c.id.desc())):
        if row.flows is None or flow in row.flows:
            return row.delegate_id
    return None


class Delegations:
    """Delegations under the records service's clock, with the admin role as the only override."""

    def __init__(self, records: RecordService) -> None:
        self.records = records
        self.runtime = records.runtime
        tables = records.runtime.schema.metadata.tables
        self.table = tables["loom_delegations"]
        self.users = tables["loom_users"]
        self.audit = tables["loom_audit"]

    def list_for(
        self, actor: Actor, *, user_id: int | None = None, current: bool = False
    ) -> list[dict[str, Any]]:
        """Delegations the actor gave or received; an admin sees anyone's (``user_id`` narrows)."""
        table = self.table
        query = self._select()
        if user_id is not None:
            if user_id != actor.id and not actor.is_admin:
                raise PermissionDenied(operation="read", entity=ENTITY)
            query = query.where(table.c.user_id == user_id)
        elif not actor.is_admin:
            query = query.where(or_(table.c.user_id == actor.id, table.c.delegate_id == actor.id))
        if current:
            today = self.records.clock().date()
            query = query.where(table.c.ends_on >= today, table.c.ended_at.is_(None))
        with self.runtime.engine.connect() as c:
            rows = c.execute(query.order_by(table.c.starts_on.desc(), table.c.id.desc())).mappings()
            return [self._public(row) for row in rows]

    def add(self, data: Mapping[str, Any], actor: Actor, *, conn: Connection | None = None) -> dict[str, Any]:
        """Delegate ``user_id``'s approvals (the actor's own by default) to ``delegate_id``."""
        now = self.records.clock()
        with transaction(self.runtime.engine, conn) as c:
            values = self._parse(c, data, actor, now.date())
            if values["user_id"] != actor.id and not actor.is_admin:
                raise PermissionDenied(operation="delegate", entity=ENTITY)
            self._refuse_overlap(c, values)
            row = {**values, "created_by": actor.id, "created_at": now}
            new_id = c.execute(insert(self.table).returning(self.table.c.id), row).scalar_one()
            self._audit_entry(c, new_id, "create", None, values, actor, now)
            return self._one(c, new_id)

    def end(self, delegation_id: int, actor: Actor, *, conn: Connection | None = None) -> dict[str, Any]:
        """End a delegation now: tasks created from here on reach its user again."""
        now = self.records.clock()
        with transaction(self.runtime.engine, conn) as c:
            before = self._one(c, delegation_id)
            if actor.id != before["user_id"] and not actor.is_admin:
                raise PermissionDenied(operation="delegate", entity=ENTITY)
            if before["ended_at"] is None:
                ended = {"ended_at": now, "ended_by": actor.id}
                c.execute(update(self.table).where(self.table.c.id == delegation_id), ended)
                self._audit_entry(c, delegation_id, "end", before, ended, actor, now)
            return self._one(c, delegation_id)

    # -- checks ----------------------------------------------------------------------------

    def _parse(self, c: Connection, data: Mapping[str, Any], actor: Actor, today: dt.date) -> dict[str, Any]:
        """The delegation's values, or every problem with them at once (422)."""
        errors = [FieldError(key, "unknown") for key in data if key not in KEYS]
        user_id = data.get("user_id", actor.id)
        errors += active_user_errors(c, self.users, "user_id", user_id)
        delegate_id = data.get("delegate_id")
        errors += active_user_errors(c, self.users, "delegate_id", delegate_id)
        if not errors and delegate_id == user_id:
            errors.append(FieldError("delegate_id", "delegate_self"))
        starts_on, ends_on = (_date(data.get(key)) for key in ("starts_on", "ends_on"))
        for key, value in (("starts_on", starts_on), ("ends_on", ends_on)):
            if value is None:
                code = "required" if data.get(key) is None else "invalid"
                errors.append(FieldError(key, code, {"kind": "date"}))
        if starts_on and ends_on:
            if ends_on < max(starts_on, today):
                errors.append(FieldError("ends_on", "min", {"min": max(starts_on, today).isoformat()}))
            elif (ends_on - starts_on).days >= MAX_DAYS:
                latest = starts_on + dt.timedelta(MAX_DAYS - 1)
                errors.append(FieldError("ends_on", "max", {"max": latest.isoformat()}))
        flows = data.get("flows")
        errors += self._flow_errors(flows)
        reason = data.get("reason")
        if reason is not None and (not isinstance(reason, str) or len(reason) > MAX_REASON):
            errors.append(FieldError("reason", "too_long", {"max": MAX_REASON}))
        if errors:
            raise ValidationFailed(errors)
        return {
            "user_id": user_id,
            "delegate_id": delegate_id,
            "starts_on": starts_on,
            "ends_on": ends_on,
            "flows": sorted(set(flows)) if flows else None,
            "reason": reason or None,
        }

    def _flow_errors(self, flows: Any) -> list[FieldError]:
        if flows is None:
            return []
        if not isinstance(flows, list) or not all(isinstance(f, str) for f in flows):
            return [FieldError("flows", "invalid", {"kind": "list of flow names"})]
        known = {qualified for kind, qualified in self.runtime.catalog.definitions if kind == "flow"}
        allowed = ", ".join(sorted(known))
        return [
            FieldError(f"flows.{i}", "not_option", {"value": name, "allowed": allowed})
            for i, name in enumerate(flows)
            if name not in known
        ]

    def _refuse_overlap(self, c: Connection, values: Mapping[str, Any]) -> None:
        """Two running delegations of one user may not cover the same day and flow."""
        table = self.table
        query = select(table.c.id, table.c.flows).where(
            table.c.user_id == values["user_id"],
            table.c.ended_at.is_(None),
            table.c.starts_on <= values["ends_on"],
            table.c.ends_on >= values["starts_on"],
        )
        mine = set(values["flows"] or ())
        for row in c.execute(query):
            theirs = set(row.flows or ())
            if not mine or not theirs or mine & theirs:
                raise ValidationFailed([FieldError("starts_on", "delegation_overlap", {"id": row.id})])

    # -- rows ------------------------------------------------------------------------------

    def _select(self) -> Any:
        table, users = self.table, self.users
        user, delegate = users.alias("delegator"), users.alias("delegate")
        return (
            select(table, user.c.name.label("user_name"), delegate.c.name.label("delegate_name"))
            .join(user, user.c.id == table.c.user_id)
            .join(delegate, delegate.c.id == table.c.delegate_id)
        )

    def _one(self, c: Connection, delegation_id: int) -> dict[str, Any]:
        row = c.execute(self._select().where(self.table.c.id == delegation_id)).mappings().first()
        if row is None:
            raise NotFound(id=delegation_id)
        return self._public(row)

    def _public(self, row: Mapping[Any, Any]) -> dict[str, Any]:
        return {**dict(row), "state": (state := self._state(row)), "active": state == "active"}

    def _state(self, row: Mapping[str, Any]) -> str:
        """ended (early, by hand), planned, active or over, by the site's date."""
        today = self.records.clock().date()
        if row["ended_at"] is not None:
            return "ended"
        if today < row["starts_on"]:
            return "planned"
        return "active" if today <= row["ends_on"] else "over"

    def _audit_entry(
        self,
        c: Connection,
        delegation_id: int,
        action: str,
        before: Mapping[str, Any] | None,
        after: Mapping[str, Any],
        actor: Actor,
        now: dt.datetime,
    ) -> None:
        changes = {
            key: {"before": jsonable((before or {}).get(key)), "after": jsonable(value)}
            for key, value in after.items()
        }
        record_change(
            c, self.audit, entity=ENTITY, record_id=delegation_id, action=action,
            changes=changes, user_id=actor.id, at=now,
        )  # fmt: skip


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or len(value) != 10:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None
