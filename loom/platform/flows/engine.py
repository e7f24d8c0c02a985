"""The approval engine: walks a flow's node tree and keeps its state in the database.

An instance's state is small and explicit: the nodes done, the nodes waiting on tasks,
and the lane each branch took. ``advance`` walks the tree from the top every time and
stops at the first node that is still waiting, so re-running it is harmless and nothing
lives in memory between requests. Node names are unique in a flow, which makes them the
keys of that state. Tasks within a node are grouped in stages: a stage completes when
one (``any``) or all (``all``) of its tasks are approved; ``sequence`` is one stage per
approver; adding an approver before or after oneself adds a stage.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import MutableMapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from sqlalchemy import Connection
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update

from loom.metadata.catalog import Entity
from loom.metadata.expressions import Expression
from loom.metadata.expressions import compile_expression

from ..actor import SYSTEM
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
from .statements import Statements

DONE_TASK = frozenset({"approved", "auto"})
OPEN_TASK = frozenset({"pending", "waiting"})
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
        if self._run_list(run, run.definition["nodes"]):
            self.finish(run, "approved")
        else:
            self._save_state(run)

    def _run_list(self, run: Run, nodes: list[dict[str, Any]]) -> bool:
        return all(self._run_node(run, node) for node in nodes)

    def _run_node(self, run: Run, node: dict[str, Any]) -> bool:
        name = node["name"]
        if name in run.done():
            return True
        if "approve" in node:
            return self._approve_node(run, node)
        if "cc" in node:
            self._cc(
                run,
                node,
                resolve(
                    node["cc"],
                    run.org,
                    initiator=run.initiator,
                    record=run.record,
                    chosen=self._chosen(run, name),
                    conn=run.conn,
                    runtime=self.runtime,
                ),
            )
        elif "branch" in node:
            lane = self._lane(run, node)
            if lane is not None and not self._run_list(run, lane):
                return False
        elif "parallel" in node:
            finished = [self._run_list(run, lane["nodes"]) for lane in node["parallel"]]
            if not all(finished):
                return False
        elif "action" in node:
            self._action(run, node)
        run.mark_done(name)
        return True

    def _lane(self, run: Run, node: dict[str, Any]) -> list[dict[str, Any]] | None:
        """The nodes of the lane this branch takes, decided once and remembered."""
        name = node["name"]
        taken = run.state.setdefault("branches", {})
        if name not in taken:
            conditions = [compile_expression(lane["when"]) for lane in node["branch"] if "when" in lane]
            names = self.variables(run, conditions)
            choice = None
            for index, lane in enumerate(node["branch"]):
                if "else" in lane or logic.evaluate(compile_expression(lane["when"]), names) is True:
                    choice = index
                    break
            taken[name] = choice
            label = node["branch"][choice].get("name") if choice is not None else None
            self.event(run, "branch", name, lane=choice, label=label)
        choice = taken[name]
        if choice is None:
            return None
        lane = node["branch"][choice]
        return lane.get("nodes", lane.get("else", []))

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

    # -- approve nodes ---------------------------------------------------------------------

    def _approve_node(self, run: Run, node: dict[str, Any]) -> bool:
        name = node["name"]
        if name not in run.state.setdefault("active", []):
            approvers = self._approvers(run, node)
            if not approvers:
                self.event(run, "skip", name, reason="no_approver")
                run.mark_done(name)
                return True
            run.state["active"].append(name)
            run.conn.execute(
                update(self.tasks)
                .where(self.tasks.c.instance_id == run.instance["id"], self.tasks.c.node == name)
                .values(superseded=True)
            )
            self._create_tasks(run, node, approvers)
        return self._settle(run, node)

    def _approvers(self, run: Run, node: dict[str, Any]) -> list[int]:
        spec = node["approve"]
        users = resolve(
            spec,
            run.org,
            initiator=run.initiator,
            record=run.record,
            chosen=self._chosen(run, node["name"]),
            conn=run.conn,
            runtime=self.runtime,
        )
        if run.initiator in users and node.get("self", "approve") != "approve":
            users = self._without_initiator(run, node, users)
            if not users and node["self"] != "manager":
                return []
        if not users and node.get("empty", "admin") == "admin":
            admin_role = run.definition.get("admin_role", "admin")
            users = sorted(run.org.roles.get(admin_role, frozenset()) & run.org.active)
            if users:
                self.event(run, "to_admin", node["name"], role=admin_role)
        return users

    def _without_initiator(self, run: Run, node: dict[str, Any], users: list[int]) -> list[int]:
        """The approvers with the initiator taken out (``pass``) or replaced by a manager above
        them: their level-1 manager (``manager``), or, for a ``manager: N`` node, the next
        level up (``next_level``, DingTalk's 自动跳至上一级). With nobody above, ``pass`` and
        ``next_level`` skip the node when no one else is left; ``manager`` lets ``empty`` decide."""
        policy, spec = node["self"], node["approve"]
        replacement = None
        if policy == "manager":
            replacement = run.org.manager_above(run.initiator)
        elif policy == "next_level":
            replacement = run.org.manager_above(run.initiator, spec.get("manager", 0))
        self.event(run, "auto_pass", node["name"], user=run.initiator, replaced_by=replacement)
        replaced = [replacement if u == run.initiator else u for u in users]
        return [u for u in dict.fromkeys(replaced) if u is not None]

    def _create_tasks(self, run: Run, node: dict[str, Any], users: list[int]) -> None:
        mode = node.get("mode", "all")
        for position, user in enumerate(users):
            stage = (position + 1) * 10 if mode == "sequence" else 10
            stage_mode = "any" if mode == "any" else "all"
            self.assign(run, node["name"], user, stage=stage, stage_mode=stage_mode, kind="approve")

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

    def _settle(self, run: Run, node: dict[str, Any]) -> bool:
        """Open the next stage of a node, auto-approving repeat approvers; True when done."""
        name = node["name"]
        while True:
            tasks = self.node_tasks(run, name)
            stages = sorted({t["stage"] for t in tasks})
            current = next(
                (s for s in stages if not _stage_complete([t for t in tasks if t["stage"] == s])), None
            )
            if current is None:
                self.close_open_tasks(run, name)
                run.mark_done(name)
                return True
            opened = False
            for task in tasks:
                if task["status"] in OPEN_TASK and task["stage"] < current:
                    self._set_task(run, task["id"], "cancelled")  # its any-stage is already decided
                if task["status"] == "pending" and task["stage"] > current:
                    self._set_task(run, task["id"], "waiting")
                if task["status"] == "waiting" and task["stage"] == current:
                    if self._deduped(run, node, task):
                        opened = True
                        continue
                    # Its turn starts now: timeouts count from here, not from the node's start.
                    run.conn.execute(self.sql.open_task, {"b_task": task["id"], "b_at": run.now})
                    self.notify(run, task["assignee_id"], "task", node=name)
            if not opened:
                return False

    def _deduped(self, run: Run, node: dict[str, Any], task: dict[str, Any]) -> bool:
        """An approver who already approved in this instance passes again automatically."""
        if not node.get("dedupe", run.definition.get("dedupe", True)):
            return False
        approved_before = run.conn.execute(
            select(self.tasks.c.id).where(
                self.tasks.c.instance_id == run.instance["id"],
                self.tasks.c.assignee_id == task["assignee_id"],
                self.tasks.c.status == "approved",
                self.tasks.c.node != task["node"],
            )
        ).first()
        if approved_before is None:
            return False
        self._set_task(run, task["id"], "auto", acted=True)
        self.event(run, "dedupe", task["node"], user=task["assignee_id"])
        return True

    def close_open_tasks(self, run: Run, node: str | None = None) -> None:
        """Cancel the open tasks of a node (or of the whole instance) in one statement."""
        if node is None:
            run.conn.execute(self.sql.close_open, {"b_instance": run.instance["id"]})
        else:
            run.conn.execute(self.sql.close_open_node, {"b_instance": run.instance["id"], "b_node": node})

    def node_tasks(self, run: Run, node: str) -> list[dict[str, Any]]:
        rows = run.conn.execute(self.sql.node_tasks, {"b_instance": run.instance["id"], "b_node": node})
        return [dict(r) for r in rows.mappings()]

    def _set_task(self, run: Run, task_id: int, status: str, acted: bool = False) -> None:
        if acted:
            run.conn.execute(self.sql.act_task, {"b_task": task_id, "b_status": status, "b_at": run.now})
        else:
            run.conn.execute(self.sql.set_task, {"b_task": task_id, "b_status": status})

    # -- cc and actions --------------------------------------------------------------------

    def _cc(self, run: Run, node: dict[str, Any], users: list[int]) -> None:
        self.copy_to(run, node["name"], users)

    def copy_to(self, run: Run, node: str, users: list[int]) -> None:
        for user in users:
            task = self.assign(run, node, user, stage=0, stage_mode="all", kind="cc", status="cc")
            self.notify(run, user, "cc", node=node, task=task)
        if users:
            self.event(run, "cc", node, users=users)

    def _action(self, run: Run, node: dict[str, Any]) -> None:
        action = node["action"]
        sources = [*action.get("set", {}).values(), *action.get("create", {}).get("values", {}).values()]
        names = self.variables(run, [compile_expression(v) for v in sources])
        if "set" in action:
            values = {
                k: _plain(logic.evaluate(compile_expression(v), names)) for k, v in action["set"].items()
            }
            run.record = self.records.update(
                run.entity.qualified_name, run.record["id"], values, SYSTEM, conn=run.conn
            )
        if "create" in action:
            create = action["create"]
            target = create["entity"] if "." in create["entity"] else f"{run.entity.app}.{create['entity']}"
            values = {
                k: _plain(logic.evaluate(compile_expression(v), names)) for k, v in create["values"].items()
            }
            created = self.records.create(target, {**values, "owner": run.initiator}, SYSTEM, conn=run.conn)
            self.event(run, "action", node["name"], created={"entity": target, "id": created["id"]})

    def _chosen(self, run: Run, node: str) -> list[int] | None:
        return run.state.get("chosen", {}).get(node)

    # -- finishing -------------------------------------------------------------------------

    def finish(self, run: Run, outcome: str) -> None:
        """End the instance: approved, rejected, withdrawn, returned or (after its approval)
        revoked; the record follows, and the ends a business acts on run the hooks."""
        self.close_open_tasks(run)
        finished = run.now if outcome != "returned" else None
        parameters = {
            "b_instance": run.instance["id"],
            "b_status": outcome,
            "b_at": finished,
            "b_state": run.state,
        }
        run.conn.execute(self.sql.finish, parameters)
        run.instance["status"] = outcome
        self.set_flow_status(run, outcome)
        if outcome in ("approved", "rejected", "revoked"):
            self.event(run, "finish", None, outcome=outcome)
            self.notify(run, run.initiator, "result", outcome=outcome)
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
        run.conn.execute(insert(self.events), values)

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
        run.conn.execute(insert(self.notifications), values)


def walk(nodes: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every node of a tree, in the order a record meets them (lanes in declaration order)."""
    for node in nodes:
        yield node
        for lane in node.get("branch", []):
            yield from walk(lane.get("nodes", lane.get("else", [])))
        for lane in node.get("parallel", []):
            yield from walk(lane["nodes"])


def _stage_complete(tasks: list[dict[str, Any]]) -> bool:
    approved = [t for t in tasks if t["status"] in DONE_TASK]
    if tasks and tasks[0]["stage_mode"] == "any":
        return bool(approved)
    return len(approved) == len(tasks)


def _plain(value: Any) -> Any:
    """A CEL result as the records service accepts it."""
    if value is logic.NOT_EVALUATED:
        return None
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value
