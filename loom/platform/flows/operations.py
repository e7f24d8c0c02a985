"""What people do to a running approval (approve, reject, return, withdraw, transfer, add
approver, comment, urge, CC, revoke), one method each, and the tables naming them.

``FlowService.act`` looks an operation up in ``OPERATIONS`` (``SYSTEM_OPERATIONS`` for what
only the platform does, a node's timeout); a name in neither table is no operation at all.
Adding an operation is one method here and one entry in its table. Each method receives the
run, locked and loaded, and the checked payload; it checks who may act, changes the tasks and
writes the timeline.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from sqlalchemy import select

from ..records.errors import FieldError
from ..records.errors import ValidationFailed
from ..records.service import RecordService
from .engine import Engine
from .engine import Run
from .errors import FlowError
from .errors import NotYourTask
from .nodes import Node
from .nodes import node_named
from .nodes import walk
from .notes import KEYS
from .notes import Notes
from .revocation import Revocations


class Operations:
    def __init__(
        self, engine: Engine, records: RecordService, notes: Notes, revocations: Revocations
    ) -> None:
        self.engine = engine
        self.records = records
        self.notes = notes
        self.revocations = revocations

    def approve(self, run: Run, payload: dict[str, Any]) -> None:
        task, node = self._my_task(run, payload)
        _require_comment(node, "approve", payload)
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

    def reject(self, run: Run, payload: dict[str, Any]) -> None:
        task, node = self._my_task(run, payload)
        _require_comment(node, "reject", payload)
        self.engine.close_task(run, task, "rejected", payload.get("comment"))
        self._noted_event(run, "reject", task["node"], payload)
        self.engine.finish(run, "rejected")

    def send_back(self, run: Run, payload: dict[str, Any]) -> None:
        """``return``: to the initiator, or to an earlier node the node allows."""
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

    def withdraw(self, run: Run, payload: dict[str, Any]) -> None:
        if run.actor.id != run.initiator:
            raise NotYourTask()
        policy = run.definition.get("withdraw", "until_acted")
        events = self.engine.events
        acted = run.conn.execute(
            select(events.c.id).where(
                events.c.instance_id == run.instance["id"],
                events.c.kind.in_(["approve", "reject", "return", "transfer", "add_approver"]),
            )
        ).first()
        if policy == "never" or (policy == "until_acted" and acted is not None):
            raise FlowError(state="acted")
        self.engine.event(run, "withdraw", None, run.actor.id, comment=payload.get("comment"))
        self.engine.finish(run, "withdrawn")

    def revoke(self, run: Run, payload: dict[str, Any]) -> None:
        self.revocations.request(run, payload)

    def transfer(self, run: Run, payload: dict[str, Any]) -> None:
        task, _ = self._my_task(run, payload)
        target = _user(run, payload.get("to"), "to")
        self.hand_over(run, task, target, payload.get("comment"))

    def hand_over(self, run: Run, task: dict[str, Any], target: int, comment: str | None) -> None:
        """Close ``task`` as transferred and give ``target`` a pending task in its place."""
        self.engine.close_task(run, task, "transferred", comment)
        new = self.engine.assign(
            run, task["node"], target, stage=task["stage"], stage_mode=task["stage_mode"],
            kind="approve", status="pending",
        )  # fmt: skip
        self.engine.notify(run, target, "task", node=task["node"], task=new)
        self.engine.event(run, "transfer", task["node"], run.actor.id, to=target, comment=comment)

    def add_approver(self, run: Run, payload: dict[str, Any]) -> None:
        task, _ = self._my_task(run, payload)
        users = [_user(run, u, "users") for u in payload.get("users") or []]
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

    def comment(self, run: Run, payload: dict[str, Any]) -> None:
        self._participant(run)
        if not payload.get("comment"):
            raise ValidationFailed([FieldError("comment", "required")])
        self._noted_event(run, "comment", None, payload)

    def urge(self, run: Run, payload: dict[str, Any]) -> None:
        if run.actor.id != run.initiator:
            raise NotYourTask()
        pending = self.pending(run)
        for task in pending:
            self.engine.notify(
                run, task["assignee_id"], "urge", node=task["node"], comment=payload.get("comment")
            )
        self.engine.event(run, "urge", None, run.actor.id, users=[t["assignee_id"] for t in pending])

    def cc(self, run: Run, payload: dict[str, Any]) -> None:
        self._participant(run)
        users = [_user(run, u, "users") for u in payload.get("users") or []]
        if not users:
            raise ValidationFailed([FieldError("users", "required")])
        node = next((t["node"] for t in self.pending(run)), None)
        self.engine.copy_to(run, node or "", users)

    def timeout(self, run: Run, payload: dict[str, Any]) -> None:
        """A node's timeout acts for its approver (system only; see flows.timeouts)."""
        task = next((t for t in self.pending(run) if t["id"] == payload.get("task")), None)
        if task is None:
            raise NotYourTask()
        outcome = payload.get("then", "approve")
        self.engine.close_task(run, task, "approved" if outcome == "approve" else "rejected", "timeout")
        self.engine.event(run, "timeout", task["node"], None, then=outcome, user=task["assignee_id"])
        if outcome == "approve":
            self.engine.advance(run)
        else:
            self.engine.finish(run, "rejected")

    def pending(self, run: Run) -> list[dict[str, Any]]:
        """The instance's approval tasks waiting for someone now."""
        rows = run.conn.execute(self.engine.sql.pending, {"b_instance": run.instance["id"]})
        return [dict(r) for r in rows.mappings()]

    def _my_task(self, run: Run, payload: dict[str, Any]) -> tuple[dict[str, Any], Node]:
        """The actor's pending task in this instance (``task`` picks one when there are several)."""
        mine = [t for t in self.pending(run) if t["assignee_id"] == run.actor.id]
        wanted = payload.get("task")
        if wanted is not None:
            mine = [t for t in mine if t["id"] == wanted]
        if not mine:
            raise NotYourTask()
        task = mine[0]
        return task, node_named(run.definition["nodes"], task["node"]) or {}

    def _noted_event(
        self, run: Run, kind: str, node: str | None, payload: dict[str, Any], **detail: Any
    ) -> None:
        """The actor's event with its comment and notes; then the notes' files are linked and
        the people mentioned notified."""
        notes = {key: payload[key] for key in KEYS if key in payload}
        comment = payload.get("comment")
        self.engine.event(run, kind, node, run.actor.id, comment=comment, **notes, **detail)
        self.notes.keep(run, node, notes, comment)

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


Handler = Callable[[Operations, Run, dict[str, Any]], None]
# What users may ask for, by the name the API and the portal use.
OPERATIONS: Mapping[str, Handler] = {
    "approve": Operations.approve,
    "reject": Operations.reject,
    "return": Operations.send_back,
    "withdraw": Operations.withdraw,
    "transfer": Operations.transfer,
    "add_approver": Operations.add_approver,
    "comment": Operations.comment,
    "urge": Operations.urge,
    "cc": Operations.cc,
    "revoke": Operations.revoke,
}
# What only the platform itself does (an actor with system rights).
SYSTEM_OPERATIONS: Mapping[str, Handler] = {"timeout": Operations.timeout}


def _require_comment(node: Node, operation: str, payload: dict[str, Any]) -> None:
    if operation in node.get("comment_required", []) and not (payload.get("comment") or "").strip():
        raise ValidationFailed([FieldError("comment", "required")])


def _user(run: Run, value: Any, field: str) -> int:
    if not isinstance(value, int) or value not in run.org.active:
        raise ValidationFailed([FieldError(field, "link_not_found", {"id": value})])
    return value
