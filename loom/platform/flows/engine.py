"""The approval engine: walks a flow's node tree and keeps its state in the database.

An instance's state is small and explicit: the nodes done, the nodes waiting on tasks,
and the lane each branch took. ``advance`` walks the tree from the top every time and
stops at the first node that is still waiting, so re-running it is harmless and nothing
lives in memory between requests. Node names are unique in a flow, which makes them the
keys of that state. What a node does when the walk reaches it belongs to its kind
(``nodes``); the engine keeps the state, the tasks, the timeline and the notifications.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from collections.abc import MutableMapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from sqlalchemy import Connection
from sqlalchemy import Table
from sqlalchemy import insert
from sqlalchemy import select

from loom.metadata.catalog import Entity
from loom.metadata.expressions import Expression

from ..actor import Actor
from ..records import logic
from ..records.audit import record_change
from ..records.changes import Change
from ..records.changes import note_write
from ..records.errors import Conflict
from ..records.service import RecordService
from ..runtime import Runtime
from .approvers import Org
from .approvers import resolve
from .delegations import delegate_on
from .nodes import kind_of
from .statements import Statements

# Called as (connection, instance, outcome, actor who made the last decision).
Hook = Callable[[Connection, dict[str, Any], str, Actor], None]


@dataclass
class Run:
    """One instance being advanced inside one transaction."""

    conn: Connection
    instance: dict[str, Any]
    entity: Entity
    record: dict[str, Any]
    load_org: Callable[[], Org]
    now: dt.datetime
    actor: Actor
    state: dict[str, Any] = dc_field(default_factory=dict)
    _org: Org | None = None
    # Timeline events and notifications waiting to be written together (see Engine.flush);
    # None writes each at once.
    deferred: list[tuple[Table, dict[str, Any]]] | None = None

    @property
    def org(self) -> Org:
        """The organisation, read only when a step needs people (most approvals do not)."""
        if self._org is None:
            self._org = self.load_org()
        return self._org

    @property
    def definition(self) -> dict[str, Any]:
        return self.instance["definition"]

    @property
    def initiator(self) -> int:
        return self.instance["initiator_id"]

    def done(self) -> set[str]:
        return set(self.state.setdefault("done", []))

    def mark_done(self, name: str) -> None:
        done = self.state.setdefault("done", [])
        if name not in done:
            done.append(name)
        if name in self.state.setdefault("active", []):
            self.state["active"].remove(name)


class Engine:
    def __init__(self, runtime: Runtime, records: RecordService) -> None:
        self.runtime = runtime
        self.records = records
        tables = runtime.schema.metadata.tables
        self.instances = tables["loom_flow_instances"]
        self.tasks = tables["loom_flow_tasks"]
        self.events = tables["loom_flow_events"]
        self.notifications = tables["loom_notifications"]
        self.delegations = tables["loom_delegations"]
        self.users = tables["loom_users"]
        self.audit = tables["loom_audit"]
        self.sql = Statements(self.instances, self.tasks, self.events)
        self.on_finish: list[Hook] = []

    # -- walking the tree ------------------------------------------------------------------

    def advance(self, run: Run) -> None:
        """Progress as far as the flow can go now; finish it when every node is done."""
        if self.run_nodes(run, run.definition["nodes"]):
            self.finish(run, "approved")
        else:
            self._save_state(run)

    def run_nodes(self, run: Run, nodes: list[dict[str, Any]]) -> bool:
        """Enter each node of a list in turn; True when all of them are done."""
        return all(self._run_node(run, node) for node in nodes)

    def _run_node(self, run: Run, node: dict[str, Any]) -> bool:
        name = node["name"]
        if name in run.done():
            return True
        if not kind_of(node).enter(self, run, node):
            return False
        run.mark_done(name)
        return True

    def variables(self, run: Run, expressions: list[Expression]) -> MutableMapping[str, Any]:
        """Names for ``expressions``: the record's fields, and the initiator if one reads it."""
        names = logic.variables(run.entity, run.record, run.actor, run.now)
        if any("initiator" in e.variables for e in expressions):
            names["initiator"] = self.initiator(run.conn, run.org, run.initiator)
        return names

    def initiator(self, conn: Connection, org: Org, user: int | None) -> dict[str, Any]:
        """``initiator`` as conditions see it: id, department (name and id) and roles."""
        department = org.department_of.get(user) if user is not None else None
        return {
            "id": user,
            "department_id": department,
            "department": self._department_name(conn, department),
            "roles": sorted(r for r, members in org.roles.items() if user in members),
        }

    def _department_name(self, conn: Connection, department: int | None) -> str | None:
        if department is None:
            return None
        table = self.runtime.schema.metadata.tables["loom_departments"]
        return conn.execute(select(table.c.name).where(table.c.id == department)).scalar()

    # -- tasks -----------------------------------------------------------------------------

    def people(self, run: Run, node: str, spec: dict[str, Any]) -> list[int]:
        """The active users an approver spec of ``node`` names for this run."""
        return resolve(
            spec,
            run.org,
            initiator=run.initiator,
            record=run.record,
            chosen=run.state.get("chosen", {}).get(node),
            conn=run.conn,
            runtime=self.runtime,
        )

    def assign(
        self,
        run: Run,
        node: str,
        user: int,
        *,
        stage: int,
        stage_mode: str,
        kind: str,
        status: str = "waiting",
    ) -> int:
        """A task for ``user`` (or their delegate today), waiting until its stage is reached."""
        assignee, behalf = self._delegate(run, user), None
        if assignee != user:
            behalf = user
        values = {
            "instance_id": run.instance["id"],
            "node": node,
            "kind": kind,
            "stage": stage,
            "stage_mode": stage_mode,
            "assignee_id": assignee,
            "on_behalf_of": behalf,
            "status": status,
            "created_at": run.now,
        }
        return run.conn.execute(insert(self.tasks).returning(self.tasks.c.id), values).scalar_one()

    def _delegate(self, run: Run, user: int) -> int:
        """The user's delegate for this flow today, if one is active; delegations do not chain."""
        delegate = delegate_on(run.conn, self.delegations, user, run.instance["flow"], run.now.date())
        return delegate if delegate in run.org.active else user

    def close_open_tasks(self, run: Run, node: str | None = None) -> None:
        """Cancel the open tasks of a node (or of the whole instance) in one statement."""
        if node is None:
            run.conn.execute(self.sql.close_open, {"b_instance": run.instance["id"]})
        else:
            run.conn.execute(self.sql.close_open_node, {"b_instance": run.instance["id"], "b_node": node})

    def node_tasks(self, run: Run, node: str) -> list[dict[str, Any]]:
        rows = run.conn.execute(self.sql.node_tasks, {"b_instance": run.instance["id"], "b_node": node})
        return [dict(r) for r in rows.mappings()]

    def set_task(self, run: Run, task_id: int, status: str, acted: bool = False) -> None:
        if acted:
            run.conn.execute(self.sql.act_task, {"b_task": task_id, "b_status": status, "b_at": run.now})
        else:
            run.conn.execute(self.sql.set_task, {"b_task": task_id, "b_status": status})

    # -- copies ----------------------------------------------------------------------------

    def copy_to(self, run: Run, node: str, users: list[int]) -> None:
        for user in users:
            task = self.assign(run, node, user, stage=0, stage_mode="all", kind="cc", status="cc")
            self.notify(run, user, "cc", node=node, task=task)
        if users:
            self.event(run, "cc", node, users=users)

    # -- finishing -------------------------------------------------------------------------

    def finish(self, run: Run, outcome: str) -> None:
        """End the instance: approved, rejected, withdrawn, returned or (after its approval)
        revoked; the record follows, and the ends a business acts on run the hooks."""
        if outcome != "approved":
            # Approved means every node is done, and a node is done only once its open tasks
            # were closed (``Approve._settle``, the return operation): there is nothing left to cancel.
            self.close_open_tasks(run)
        finished = run.now if outcome != "returned" else None
        parameters = {
            "b_instance": run.instance["id"],
            "b_status": outcome,
            "b_at": finished,
            "b_state": run.state,
        }
        run.conn.execute(self.sql.finish, parameters)
        run.instance.update(status=outcome, finished_at=finished, state=run.state)
        self.set_flow_status(run, outcome)
        if outcome in ("approved", "rejected", "revoked"):
            self.event(run, "finish", None, outcome=outcome)
            self.notify(run, run.initiator, "result", outcome=outcome)
            self.flush(run)  # what a hook reads is written
            for hook in self.on_finish:
                hook(run.conn, run.instance, outcome, run.actor)

    def set_flow_status(self, run: Run, status: str) -> None:
        tables = self.runtime.schema.of(run.entity.qualified_name)
        before = run.record.get("flow_status")
        parameters = {"b_record": run.record["id"], "b_status": status, "b_at": run.now}
        run.conn.execute(self.sql.flow_status(tables.table), parameters)
        note_write(run.conn, run.entity.qualified_name, run.record["id"])
        previous = dict(run.record)
        run.record["flow_status"] = status
        # Rollups may count records by approval status; automations have flow_finished instead.
        self.records.rollups(run.conn, Change(run.entity, "update", previous, run.record, run.actor, run.now))
        record_change(
            run.conn,
            self.audit,
            entity=run.entity.qualified_name,
            record_id=run.record["id"],
            action="flow",
            changes={"flow_status": {"before": before, "after": status}},
            user_id=run.actor.id,
            at=run.now,
        )

    def close_task(self, run: Run, task: dict[str, Any], status: str, comment: str | None) -> None:
        """Close a task only if nobody else did first (status and version both still match)."""
        parameters = {
            "b_task": task["id"],
            "b_version": task["version"],
            "b_status": status,
            "b_at": run.now,
            "b_comment": comment,
        }
        result = run.conn.execute(self.sql.close_task, parameters)
        if result.rowcount != 1:
            raise Conflict(expected=task["version"], actual=task["version"] + 1)

    def _save_state(self, run: Run) -> None:
        run.conn.execute(self.sql.save_state, {"b_instance": run.instance["id"], "b_state": run.state})

    # -- timeline and notifications --------------------------------------------------------

    def event(self, run: Run, kind: str, node: str | None, actor: int | None = None, **detail: Any) -> None:
        values = {
            "instance_id": run.instance["id"],
            "at": run.now,
            "actor_id": actor,
            "kind": kind,
            "node": node,
            "detail": detail,
        }
        self._insert(run, self.events, values)

    def notify(self, run: Run, user: int | None, kind: str, **message: Any) -> None:
        if user is None:
            return
        values = {
            "user_id": user,
            "at": run.now,
            "kind": kind,
            "entity": run.entity.qualified_name,
            "record_id": run.record["id"],
            "instance_id": run.instance["id"],
            "message": {"flow": run.instance["flow"], **message},
        }
        self._insert(run, self.notifications, values)

    def _insert(self, run: Run, table: Table, values: dict[str, Any]) -> None:
        if run.deferred is None:
            run.conn.execute(insert(table), values)
        else:
            run.deferred.append((table, values))

    def flush(self, run: Run) -> None:
        """Write the deferred events and notifications: one statement per table, in the order
        they were made (a timeline is ordered by id). An operation defers them so that its three or
        four timeline rows cost one round trip; it flushes before anything reads them."""
        if not run.deferred:
            return
        pending, run.deferred = run.deferred, []
        for table in dict.fromkeys(t for t, _ in pending):
            rows = [values for t, values in pending if t is table]
            run.conn.execute(insert(table), rows if len(rows) > 1 else rows[0])
