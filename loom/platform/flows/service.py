"""Flow operations as users perform them: submit, act (approve, reject, return… see
``operations``), batch approve, and the summary clients read.

Each runs in one transaction with the record change it causes, checks who may do it,
and records a timeline event. Operations on one instance are serialized by locking the
instance row (PostgreSQL) or the write lock (SQLite), and every task update checks the
task's status and version, so two approvals of one task can never both win.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update

from loom.metadata.catalog import Definition
from loom.metadata.catalog import Entity
from loom.metadata.expressions import compile_expression

from ..actor import SYSTEM
from ..actor import Actor
from ..database import reading
from ..database import transaction
from ..files import FileStore
from ..records import logic
from ..records.errors import FieldError
from ..records.errors import NotFound
from ..records.errors import RecordError
from ..records.errors import ValidationFailed
from ..records.rows import read_record
from ..records.service import RecordService
from ..runtime import Runtime
from .approvers import Org
from .engine import Engine
from .engine import Run
from .errors import FlowError
from .errors import NoFlow
from .errors import NotYourTask
from .nodes import node_named
from .nodes import people_of
from .nodes import walk
from .notes import KEYS
from .notes import Notes
from .operations import OPERATIONS
from .operations import SYSTEM_OPERATIONS
from .operations import Operations
from .payloads import checked_payload
from .revocation import DECISIONS
from .revocation import Revocations
from .snapshots import snapshot
from .snapshots import upgraded

RESTARTABLE = frozenset({"draft", "rejected", "withdrawn", "revoked"})
# The instance status an operation acts on, when it is not a running approval.
ACTS_ON = {"revoke": "approved"}


class FlowService:
    def __init__(self, runtime: Runtime, records: RecordService, files: FileStore) -> None:
        self.runtime = runtime
        self.records = records
        self.engine = Engine(runtime, records)
        self.revocations = Revocations(self.engine, runtime.catalog)
        self.notes = Notes(self.engine, files)
        self.operations = Operations(self.engine, records, self.notes, self.revocations)
        self.clock = records.clock

    # -- starting --------------------------------------------------------------------------

    def submit(
        self,
        entity: str,
        record_id: int,
        actor: Actor,
        *,
        chosen: dict[str, list[int]] | None = None,
        comment: str | None = None,
        conn: Connection | None = None,
    ) -> dict[str, Any]:
        """Start the record's flow (or resume it after a return), as its initiator."""
        with transaction(self.runtime.engine, conn) as c:
            found = self._entity(entity)
            tables = self.runtime.schema.of(entity)
            decision = self.records.access.require(actor, found, "submit")
            # The record row's lock serializes submits of one record (PostgreSQL; SQLite's write lock does).
            where = self.records.access.clause(c, actor, tables, decision)
            record = read_record(c, tables, record_id, lock=True, where=where)
            status = record.get("flow_status")
            latest = self.latest(c, entity, record_id, lock=True)
            if latest is not None and latest["status"] == "running":
                raise FlowError(state="in_approval")
            self.records.validator.still_offered(c, found, record, actor)
            if latest is not None and latest["status"] == "returned":
                return self._resubmit(c, found, record, latest, actor, comment)
            if status not in RESTARTABLE and status != "returned":
                raise FlowError(state=status)
            flow = self._choose(c, found, record, actor)
            return self._start(c, found, record, flow, actor, chosen or {}, comment)

    def _choose(self, c: Connection, entity: Entity, record: dict[str, Any], actor: Actor) -> Definition:
        flows = sorted(
            self.runtime.catalog.flows_of(entity.qualified_name), key=lambda d: -d.spec.get("priority", 0)
        )
        names = logic.variables(entity, record, actor, self.clock())
        names["initiator"] = self.engine.initiator(c, Org.load(c, self.runtime), actor.id)
        for flow in flows:
            condition = flow.spec.get("when")
            if condition is None or logic.evaluate(compile_expression(condition), names) is True:
                return flow
        raise NoFlow(entity=entity.qualified_name)

    def _start(
        self,
        c: Connection,
        entity: Entity,
        record: dict[str, Any],
        flow: Definition,
        actor: Actor,
        chosen: dict[str, list[int]],
        comment: str | None,
    ) -> dict[str, Any]:
        now = self.clock()
        definition = snapshot(flow.spec)
        org = Org.load(c, self.runtime)
        state = {
            "done": [],
            "active": [],
            "branches": {},
            "chosen": self._checked_choice(definition, chosen, org),
        }
        values = {
            "flow": flow.qualified_name,
            "entity": entity.qualified_name,
            "record_id": record["id"],
            "initiator_id": actor.id,
            "status": "running",
            "definition": definition,
            "state": state,
            "started_at": now,
        }
        instance = dict(
            c.execute(insert(self.engine.instances).returning(*self.engine.instances.c), values)
            .mappings()
            .one()
        )
        run = Run(c, instance, entity, record, lambda: org, now, actor, state)
        self.engine.set_flow_status(run, "in_approval")
        self.engine.event(run, "start", None, actor.id, comment=comment)
        self.engine.advance(run)
        return self.summary(c, instance["id"], run.instance)

    def _checked_choice(
        self, definition: dict[str, Any], chosen: dict[str, list[int]], org: Org
    ) -> dict[str, list[int]]:
        """Approvers the initiator picked, for every node that asks for them."""
        errors, result = [], {}
        for node in walk(definition["nodes"]):
            spec = people_of(node)
            if "chosen" not in spec:
                continue
            users = chosen.get(node["name"]) or []
            rule = spec["chosen"] if isinstance(spec["chosen"], dict) else {}
            holders = org.roles.get(rule["role"], frozenset()) if "role" in rule else org.active
            enough = len(users) >= rule.get("min", 1)
            if not enough or not all(isinstance(u, int) and u in org.active and u in holders for u in users):
                errors.append(FieldError(f"chosen.{node['name']}", "bad_chosen"))
            elif "max" in rule and len(users) > rule["max"]:
                errors.append(FieldError(f"chosen.{node['name']}", "rows_max", {"max": rule["max"]}))
            result[node["name"]] = users
        if errors:
            raise ValidationFailed(errors)
        return result

    def _resubmit(
        self, c: Connection, entity: Entity, record: dict, instance: dict, actor: Actor, comment: str | None
    ) -> dict[str, Any]:
        if instance["initiator_id"] != actor.id and not actor.is_system:
            raise NotYourTask()
        definition = instance["definition"]
        if definition.get("resubmit", "restart") == "restart":
            c.execute(
                update(self.engine.instances)
                .where(self.engine.instances.c.id == instance["id"])
                .values(status="closed")
            )
            flow = self._choose(c, entity, record, actor)
            return self._start(c, entity, record, flow, actor, instance["state"].get("chosen", {}), comment)
        run = self._run(c, entity, record, instance, actor)
        returned_from = run.state.pop("returned_from", None)
        if returned_from in run.state.get("done", []):
            run.state["done"].remove(returned_from)
        # Their tasks were cancelled by the return: every waiting node (parallel lanes too) starts anew.
        run.state["active"] = []
        c.execute(
            update(self.engine.instances)
            .where(self.engine.instances.c.id == instance["id"])
            .values(status="running")
        )
        run.instance["status"] = "running"
        self.engine.set_flow_status(run, "in_approval")
        self.engine.event(run, "resubmit", returned_from, actor.id, comment=comment)
        self.engine.advance(run)
        return self.summary(c, instance["id"])

    # -- acting on a task ------------------------------------------------------------------

    def act(
        self,
        entity: str,
        record_id: int,
        actor: Actor,
        operation: str,
        payload: dict[str, Any] | None = None,
        *,
        conn: Connection | None = None,
    ) -> dict[str, Any]:
        """Run ``operation`` (approve, reject, return, withdraw, transfer, add_approver,
        comment, urge, cc) on the record's running approval; ``revoke`` on its approved one,
        and approve or reject on a revocation waiting for the actor (see ``revocation``)."""
        handler = OPERATIONS.get(operation) or (SYSTEM_OPERATIONS.get(operation) if actor.is_system else None)
        if handler is None:
            raise NotFound(operation=operation)
        payload = checked_payload(payload or {})
        with transaction(self.runtime.engine, conn) as c:
            found = self._entity(entity)
            instance = self.latest(c, entity, record_id, lock=True)
            status = instance["status"] if instance is not None else "draft"
            deciding = status == "revoking" and operation in DECISIONS
            if instance is None or (status != ACTS_ON.get(operation, "running") and not deciding):
                raise FlowError(state=status)
            record = self.records.get(entity, record_id, SYSTEM, conn=c)
            run = self._run(c, found, record, instance, actor)
            run.deferred = []
            notes = self.notes.checked(run, "decide" if deciding else operation, payload)
            payload = {**{k: v for k, v in payload.items() if k not in KEYS}, **notes}
            if deciding:
                self.revocations.decide(run, payload, operation)
            else:
                handler(self.operations, run, payload)
            self.engine.flush(run)
            return self.summary(c, instance["id"], run.instance)

    def reassign_pending(
        self, from_user: int, to_user: int, actor: Actor, reason: str, conn: Connection
    ) -> int:
        """Hand every pending task of ``from_user`` to ``to_user`` (an admin's 离职交接); each
        move is a transfer on the timeline, by the admin, with the reason. Returns how many."""
        tasks = self.engine.tasks
        rows = conn.execute(
            select(tasks.c.id, tasks.c.instance_id)
            .where(tasks.c.assignee_id == from_user, tasks.c.status == "pending", tasks.c.kind == "approve")
            .order_by(tasks.c.id)
        ).all()
        moved = 0
        for row in rows:
            instance = _read(
                conn.execute(
                    select(self.engine.instances)
                    .where(self.engine.instances.c.id == row.instance_id)
                    .with_for_update()
                )
                .mappings()
                .one()
            )
            record = self.records.get(instance["entity"], instance["record_id"], SYSTEM, conn=conn)
            run = self._run(conn, self._entity(instance["entity"]), record, instance, actor)
            task = next(t for t in self.operations.pending(run) if t["id"] == row.id)
            self.operations.hand_over(run, task, to_user, reason)
            moved += 1
        return moved

    def remind_once(self, task: dict[str, Any], now: dt.datetime) -> bool:
        """Remind a task's approver, unless they were reminded of it already."""
        with transaction(self.runtime.engine) as c:
            instance = self.latest(c, task["entity"], task["record_id"], lock=True)
            if instance is None or instance["id"] != task["instance_id"] or instance["status"] != "running":
                return False
            events = self.engine.events
            reminded = c.execute(
                select(events.c.detail).where(
                    events.c.instance_id == instance["id"],
                    events.c.kind == "remind",
                    events.c.node == task["node"],
                )
            ).scalars()
            if any(detail.get("task") == task["id"] for detail in reminded):
                return False
            entity = self._entity(task["entity"])
            record = self.records.get(task["entity"], task["record_id"], SYSTEM, conn=c)
            run = self._run(c, entity, record, instance, SYSTEM)
            self.engine.event(run, "remind", task["node"], None, task=task["id"], user=task["assignee_id"])
            self.engine.notify(run, task["assignee_id"], "remind", node=task["node"])
            return True

    def batch_approve(
        self, task_ids: list[int], actor: Actor, comment: str | None = None, signature: int | None = None
    ) -> list[dict[str, Any]]:
        """Approve several tasks, each in its own transaction; report each outcome. One
        ``signature`` (the actor's PNG), drawn once, signs the tasks whose step asks for one
        (``signature: required``; refused without it); the others are approved unsigned, as
        they would be one by one."""
        outcomes: list[dict[str, Any]] = []
        for task_id in task_ids:
            try:
                instance = self._instance_of_task(task_id, actor)
                if not instance["definition"].get("batch_approve", False):
                    raise FlowError(state="no_batch")
                step = node_named(instance["definition"]["nodes"], instance["node"]) or {}
                signs = step.get("signature")
                payload = {"task": task_id, "comment": comment, "signature": signature if signs else None}
                self.act(instance["entity"], instance["record_id"], actor, "approve", payload)
                outcomes.append({"task": task_id, "ok": True})
            except RecordError as exc:
                outcomes.append({"task": task_id, "ok": False, "code": exc.code})
        return outcomes

    def _instance_of_task(self, task_id: int, actor: Actor) -> dict[str, Any]:
        tasks, instances = self.engine.tasks, self.engine.instances
        query = (
            select(instances, tasks.c.node)
            .join(tasks, tasks.c.instance_id == instances.c.id)
            .where(tasks.c.id == task_id, tasks.c.assignee_id == actor.id)
        )
        with self.runtime.engine.connect() as c:
            row = c.execute(query).mappings().first()
        if row is None:
            raise NotYourTask()
        return _read(row)

    # -- helpers ---------------------------------------------------------------------------

    def _run(self, c: Connection, entity: Entity, record: dict, instance: dict, actor: Actor) -> Run:
        return Run(
            c,
            instance,
            entity,
            record,
            lambda: Org.load(c, self.runtime),
            self.clock(),
            actor,
            instance["state"],
        )

    def latest(self, c: Connection, entity: str, record_id: int, lock: bool = False) -> dict[str, Any] | None:
        locked = lock and c.dialect.name == "postgresql"
        query = self.engine.sql.latest_locked if locked else self.engine.sql.latest
        row = c.execute(query, {"b_entity": entity, "b_record": record_id}).mappings().first()
        return _read(row) if row else None

    def _entity(self, name: str) -> Entity:
        entity = self.runtime.catalog.entities.get(name)
        if entity is None or not entity.has_flow:
            raise NoFlow(entity=name)
        return entity

    def latest_summary(self, entity: str, record_id: int) -> dict[str, Any] | None:
        """The record's latest approval with its timeline, or None if never submitted."""
        with reading(self.runtime.engine) as c:
            latest = self.latest(c, entity, record_id)
            return self.summary(c, latest["id"]) if latest else None

    def summary(
        self, c: Connection, instance_id: int, instance: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """The instance as clients see it: status, open tasks and the timeline. An operation
        passes the instance row it kept up to date, which saves reading it again."""
        sql, key = self.engine.sql, {"b_instance": instance_id}
        if instance is None:
            instance = dict(c.execute(sql.instance, key).mappings().one())
        tasks = c.execute(sql.instance_tasks, key).mappings()
        events = c.execute(sql.instance_events, key).mappings()
        return {
            "id": instance["id"],
            "flow": instance["flow"],
            "status": instance["status"],
            "initiator": instance["initiator_id"],
            "started_at": instance["started_at"],
            "finished_at": instance["finished_at"],
            "tasks": [
                {
                    k: t[k]
                    for k in (
                        "id",
                        "node",
                        "kind",
                        "assignee_id",
                        "on_behalf_of",
                        "status",
                        "created_at",
                        "acted_at",
                        "comment",
                    )
                }
                for t in tasks
            ],
            "timeline": [
                {"at": e["at"], "kind": e["kind"], "node": e["node"], "actor": e["actor_id"], **e["detail"]}
                for e in events
            ],
        }


def _read(row: Mapping[Any, Any]) -> dict[str, Any]:
    """An instance row as operations use it, its definition in today's format."""
    return {**row, "definition": upgraded(row["definition"])}
