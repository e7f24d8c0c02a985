"""Flow operations as users perform them: submit, approve, reject, return, withdraw,
transfer, add approver, comment, urge, CC, batch approve.

Each runs in one transaction with the record change it causes, checks who may do it,
and records a timeline event. Operations on one instance are serialized by locking the
instance row (PostgreSQL) or the write lock (SQLite), and every task update checks the
task's status and version, so two approvals of one task can never both win.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from sqlalchemy import Connection
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update

from loom.metadata.catalog import Definition
from loom.metadata.catalog import Entity
from loom.metadata.catalog import thaw
from loom.metadata.expressions import compile_expression

from ..actor import SYSTEM
from ..actor import Actor
from ..database import reading
from ..database import transaction
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
from .engine import walk
from .errors import FlowError
from .errors import NoFlow
from .errors import NotYourTask
from .notes import KEYS
from .notes import Notes
from .payloads import checked_payload
from .revocation import DECISIONS
from .revocation import Revocations

RESTARTABLE = frozenset({"draft", "rejected", "withdrawn", "revoked"})
# The instance status an operation acts on, when it is not a running approval.
ACTS_ON = {"revoke": "approved"}


class FlowService:
    def __init__(self, runtime: Runtime, records: RecordService) -> None:
        self.runtime = runtime
        self.records = records
        self.engine = Engine(runtime, records)
        self.revocations = Revocations(self.engine, runtime.catalog)
        self.notes = Notes(self.engine)
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
        definition = thaw(flow.spec)
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
        return self.summary(c, instance["id"])

    def _checked_choice(
        self, definition: dict[str, Any], chosen: dict[str, list[int]], org: Org
    ) -> dict[str, list[int]]:
        """Approvers the initiator picked, for every node that asks for them."""
        errors, result = [], {}
        for node in walk(definition["nodes"]):
            spec = node.get("approve") or node.get("cc") or {}
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
        handler = getattr(self, f"_{operation}", None)
        internal = operation == "timeout" and actor.is_system
        if not (operation in OPERATIONS or internal) or handler is None:
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
            notes = self.notes.checked(run, "decide" if deciding else operation, payload)
            payload = {**{k: v for k, v in payload.items() if k not in KEYS}, **notes}
            if deciding:
                self.revocations.decide(run, payload, operation)
            else:
                handler(run, payload)
            return self.summary(c, instance["id"])

    def _approve(self, run: Run, payload: dict[str, Any]) -> None:
        task, node = self._my_task(run, payload)
        self._require_comment(node, "approve", payload)
        if node.get("signature") == "required" and "signature" not in payload:
            raise ValidationFailed([FieldError("signature", "signature_required")])
        values = payload.get("values") or {}
        if values:
            editable = set(node.get("editable", []))
            refused = [FieldError(k, "readonly") for k in values if k not in editable]
            if refused:
                raise ValidationFailed(refused)
            # The step may edit these whatever the approver's own rights; the audit names the approver.
            as_step = replace(run.actor, is_system=True)
            run.record = self.records.update(
                run.entity.qualified_name, run.record["id"], values, as_step, conn=run.conn
            )
        self.engine.close_task(run, task, "approved", payload.get("comment"))
        self._noted_event(run, "approve", task["node"], payload, on_behalf_of=task["on_behalf_of"])
        self.engine.advance(run)

    def _reject(self, run: Run, payload: dict[str, Any]) -> None:
        task, node = self._my_task(run, payload)
        self._require_comment(node, "reject", payload)
        self.engine.close_task(run, task, "rejected", payload.get("comment"))
        self._noted_event(run, "reject", task["node"], payload)
        self.engine.finish(run, "rejected")

    def _return(self, run: Run, payload: dict[str, Any]) -> None:
        task, node = self._my_task(run, payload)
        target = payload.get("to", "initiator")
        allowed = node.get("return_to", ["initiator"])
        order = [n["name"] for n in walk(run.definition["nodes"])]
        if target not in allowed or (target != "initiator" and target not in run.state.get("done", [])):
            raise ValidationFailed([FieldError("to", "bad_target", {"allowed": ", ".join(allowed)})])
        self.engine.close_task(run, task, "returned", payload.get("comment"))
        self._noted_event(run, "return", task["node"], payload, to=target)
        if target == "initiator":
            run.state["returned_from"] = task["node"]
            self.engine.finish(run, "returned")
            self.engine.notify(run, run.initiator, "returned", node=task["node"])
            return
        later = set(order[order.index(target) :])
        run.state["done"] = [n for n in run.state.get("done", []) if n not in later]
        run.state["active"] = [n for n in run.state.get("active", []) if n not in later]
        run.state["branches"] = {k: v for k, v in run.state.get("branches", {}).items() if k not in later}
        for name in later:
            self.engine.close_open_tasks(run, name)
        self.engine.advance(run)

    def _withdraw(self, run: Run, payload: dict[str, Any]) -> None:
        if run.actor.id != run.initiator:
            raise NotYourTask()
        policy = run.definition.get("withdraw", "until_acted")
        acted = run.conn.execute(
            select(self.engine.events.c.id).where(
                self.engine.events.c.instance_id == run.instance["id"],
                self.engine.events.c.kind.in_(["approve", "reject", "return", "transfer", "add_approver"]),
            )
        ).first()
        if policy == "never" or (policy == "until_acted" and acted is not None):
            raise FlowError(state="acted")
        self.engine.event(run, "withdraw", None, run.actor.id, comment=payload.get("comment"))
        self.engine.finish(run, "withdrawn")

    def _revoke(self, run: Run, payload: dict[str, Any]) -> None:
        self.revocations.request(run, payload)

    def _transfer(self, run: Run, payload: dict[str, Any]) -> None:
        task, _ = self._my_task(run, payload)
        target = self._user(run, payload.get("to"), "to")
        self.engine.close_task(run, task, "transferred", payload.get("comment"))
        new = self.engine.assign(
            run,
            task["node"],
            target,
            stage=task["stage"],
            stage_mode=task["stage_mode"],
            kind="approve",
            status="pending",
        )
        self.engine.notify(run, target, "task", node=task["node"], task=new)
        self.engine.event(
            run, "transfer", task["node"], run.actor.id, to=target, comment=payload.get("comment")
        )

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
            instance = (
                conn.execute(
                    select(self.engine.instances)
                    .where(self.engine.instances.c.id == row.instance_id)
                    .with_for_update()
                )
                .one()
                ._asdict()
            )
            record = self.records.get(instance["entity"], instance["record_id"], SYSTEM, conn=conn)
            run = self._run(conn, self._entity(instance["entity"]), record, instance, actor)
            task = next(t for t in self._pending(run) if t["id"] == row.id)
            self.engine.close_task(run, task, "transferred", reason)
            new = self.engine.assign(
                run, task["node"], to_user, stage=task["stage"], stage_mode=task["stage_mode"],
                kind="approve", status="pending",
            )  # fmt: skip
            self.engine.notify(run, to_user, "task", node=task["node"], task=new)
            self.engine.event(run, "transfer", task["node"], actor.id, to=to_user, comment=reason)
            moved += 1
        return moved

    def _add_approver(self, run: Run, payload: dict[str, Any]) -> None:
        task, _ = self._my_task(run, payload)
        users = [self._user(run, u, "users") for u in payload.get("users") or []]
        if not users:
            raise ValidationFailed([FieldError("users", "required")])
        position = payload.get("position", "after")
        offsets = {"before": -1, "after": 1, "with": 0}  # every one of POSITIONS: the payload was checked
        mode = task["stage_mode"] if position == "with" else payload.get("mode", "all")
        for user in users:
            self.engine.assign(
                run,
                task["node"],
                user,
                stage=task["stage"] + offsets[position],
                stage_mode=mode,
                kind="approve",
            )
        self.engine.event(
            run, "add_approver", task["node"], run.actor.id, users=users, position=position, mode=mode
        )
        self.engine.advance(run)

    def _comment(self, run: Run, payload: dict[str, Any]) -> None:
        self._participant(run)
        if not payload.get("comment"):
            raise ValidationFailed([FieldError("comment", "required")])
        self._noted_event(run, "comment", None, payload)

    def _urge(self, run: Run, payload: dict[str, Any]) -> None:
        if run.actor.id != run.initiator:
            raise NotYourTask()
        pending = self._pending(run)
        for task in pending:
            self.engine.notify(
                run, task["assignee_id"], "urge", node=task["node"], comment=payload.get("comment")
            )
        self.engine.event(run, "urge", None, run.actor.id, users=[t["assignee_id"] for t in pending])

    def _cc(self, run: Run, payload: dict[str, Any]) -> None:
        self._participant(run)
        users = [self._user(run, u, "users") for u in payload.get("users") or []]
        if not users:
            raise ValidationFailed([FieldError("users", "required")])
        node = next((t["node"] for t in self._pending(run)), None)
        self.engine.copy_to(run, node or "", users)

    def _timeout(self, run: Run, payload: dict[str, Any]) -> None:
        """A node's timeout acts for its approver (system only; see flows.timeouts)."""
        task = next((t for t in self._pending(run) if t["id"] == payload.get("task")), None)
        if task is None:
            raise NotYourTask()
        outcome = payload.get("then", "approve")
        self.engine.close_task(run, task, "approved" if outcome == "approve" else "rejected", "timeout")
        self.engine.event(run, "timeout", task["node"], None, then=outcome, user=task["assignee_id"])
        if outcome == "approve":
            self.engine.advance(run)
        else:
            self.engine.finish(run, "rejected")

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
        self, task_ids: list[int], actor: Actor, comment: str | None = None
    ) -> list[dict[str, Any]]:
        """Approve several tasks, each in its own transaction; report each outcome."""
        outcomes: list[dict[str, Any]] = []
        for task_id in task_ids:
            try:
                instance = self._instance_of_task(task_id, actor)
                if not instance["definition"].get("batch_approve", False):
                    raise FlowError(state="no_batch")
                payload = {"task": task_id, "comment": comment}
                self.act(instance["entity"], instance["record_id"], actor, "approve", payload)
                outcomes.append({"task": task_id, "ok": True})
            except RecordError as exc:
                outcomes.append({"task": task_id, "ok": False, "code": exc.code})
        return outcomes

    def _instance_of_task(self, task_id: int, actor: Actor) -> dict[str, Any]:
        tasks, instances = self.engine.tasks, self.engine.instances
        query = (
            select(instances)
            .join(tasks, tasks.c.instance_id == instances.c.id)
            .where(tasks.c.id == task_id, tasks.c.assignee_id == actor.id)
        )
        with self.runtime.engine.connect() as c:
            row = c.execute(query).mappings().first()
        if row is None:
            raise NotYourTask()
        return dict(row)

    # -- helpers ---------------------------------------------------------------------------

    def _my_task(self, run: Run, payload: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """The actor's pending task in this instance (``task`` picks one when there are several)."""
        mine = [t for t in self._pending(run) if t["assignee_id"] == run.actor.id]
        wanted = payload.get("task")
        if wanted is not None:
            mine = [t for t in mine if t["id"] == wanted]
        if not mine:
            raise NotYourTask()
        task = mine[0]
        return task, _node(run.definition["nodes"], task["node"])

    def _noted_event(
        self, run: Run, kind: str, node: str | None, payload: dict[str, Any], **detail: Any
    ) -> None:
        """The actor's event with its comment and notes; then the notes' files are linked and
        the people mentioned notified."""
        notes = {key: payload[key] for key in KEYS if key in payload}
        comment = payload.get("comment")
        self.engine.event(run, kind, node, run.actor.id, comment=comment, **notes, **detail)
        self.notes.keep(run, node, notes, comment)

    def _pending(self, run: Run) -> list[dict[str, Any]]:
        rows = run.conn.execute(self.engine.sql.pending, {"b_instance": run.instance["id"]})
        return [dict(r) for r in rows.mappings()]

    def _require_comment(self, node: dict[str, Any], operation: str, payload: dict[str, Any]) -> None:
        if operation in node.get("comment_required", []) and not (payload.get("comment") or "").strip():
            raise ValidationFailed([FieldError("comment", "required")])

    def _participant(self, run: Run) -> None:
        if run.actor.id == run.initiator:
            return
        tasks = self.engine.tasks
        found = run.conn.execute(
            select(tasks.c.id).where(
                tasks.c.instance_id == run.instance["id"], tasks.c.assignee_id == run.actor.id
            )
        ).first()
        if found is None:
            raise NotYourTask()

    def _user(self, run: Run, value: Any, field: str) -> int:
        if not isinstance(value, int) or value not in run.org.active:
            raise ValidationFailed([FieldError(field, "link_not_found", {"id": value})])
        return value

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
        return dict(row) if row else None

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

    def summary(self, c: Connection, instance_id: int) -> dict[str, Any]:
        """The instance as clients see it: status, open tasks and the timeline."""
        sql, key = self.engine.sql, {"b_instance": instance_id}
        instance = c.execute(sql.instance, key).mappings().one()
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


OPERATIONS = frozenset(
    {"approve", "reject", "return", "withdraw", "transfer", "add_approver", "comment", "urge", "cc", "revoke"}
)


def _node(nodes: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(n for n in walk(nodes) if n["name"] == name)
