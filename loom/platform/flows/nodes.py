"""The kinds of flow node, one class each, and the registry the engine dispatches through.

A node is a dict from the flow's YAML; the key naming its kind (``approve``, ``cc``,
``branch``, ``parallel``, ``action``) picks its class in ``KINDS``. Each class owns what
happens when a record's approval reaches such a node (``enter``), which node lists it holds
(``lanes``, what ``walk`` descends into), who it names (``people``) and what its timeline
events say in a dry run (``notes``). Adding a kind is one class here, its entry in
``flow.schema.json`` and its semantic check in ``loom.metadata.checks.flows``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from collections.abc import Mapping
from typing import TYPE_CHECKING
from typing import Any
from typing import ClassVar

from sqlalchemy import select
from sqlalchemy import update

from loom.metadata.expressions import compile_expression

from ..actor import SYSTEM
from ..records import logic

if TYPE_CHECKING:
    from .engine import Engine
    from .engine import Run

Node = dict[str, Any]
DONE_TASK = frozenset({"approved", "auto"})
OPEN_TASK = frozenset({"pending", "waiting"})


class NodeKind:
    """What every kind of node does; the defaults suit a node that holds nothing."""

    key: ClassVar[str]  # the node's key that names its kind
    # Timeline events this kind writes that a dry run shows, with their wording for the CLI.
    notes: ClassVar[Mapping[str, str]] = {}

    def enter(self, engine: Engine, run: Run, node: Node) -> bool:
        """Do what the node does now; True when it is done, False while it waits."""
        raise NotImplementedError

    def lanes(self, node: Node) -> list[list[Node]]:
        """The node lists inside this node, in declaration order."""
        return []

    def people(self, node: Node) -> Mapping[str, Any] | None:
        """The approver spec naming who this node involves, if it names anyone."""
        return None

    def note(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """One of this kind's ``notes`` events as a dry run's note: its code and values."""
        return {"code": event["kind"]}


KINDS: dict[str, NodeKind] = {}


def register(cls: type[NodeKind]) -> type[NodeKind]:
    """Make a node kind known by its key."""
    KINDS[cls.key] = cls()
    return cls


def kind_of(node: Mapping[str, Any]) -> NodeKind:
    """The kind of a node (a checked flow's node has exactly one kind key)."""
    return next(kind for key, kind in KINDS.items() if key in node)


def walk(nodes: list[Node]) -> Iterator[Node]:
    """Every node of a tree, in the order a record meets them (lanes in declaration order)."""
    for node in nodes:
        yield node
        for lane in kind_of(node).lanes(node):
            yield from walk(lane)


def node_named(nodes: list[Node], name: str) -> Node | None:
    """The node called ``name``, wherever it is in the tree (names are unique in a flow)."""
    return next((node for node in walk(nodes) if node["name"] == name), None)


def people_of(node: Node) -> Mapping[str, Any]:
    """Who a node names ({} for a node that names nobody)."""
    return kind_of(node).people(node) or {}


@register
class Approve(NodeKind):
    """Approvers decide, in stages: a stage completes when one (``any``) or all (``all``) of
    its tasks are approved; ``sequence`` is one stage per approver; adding an approver before
    or after oneself adds a stage."""

    key = "approve"
    notes: ClassVar[Mapping[str, str]] = {
        "skip": "no approver found: skipped",
        "auto_pass": "the initiator passes automatically",
        "dedupe": "{user} approved before: passes",
        "to_admin": "no approver found: sent to role {role}",
    }

    def enter(self, engine: Engine, run: Run, node: Node) -> bool:
        name = node["name"]
        if name not in run.state.setdefault("active", []):
            approvers = self._approvers(engine, run, node)
            if not approvers:
                engine.event(run, "skip", name, reason="no_approver")
                return True
            run.state["active"].append(name)
            run.conn.execute(
                update(engine.tasks)
                .where(engine.tasks.c.instance_id == run.instance["id"], engine.tasks.c.node == name)
                .values(superseded=True)
            )
            self._create_tasks(engine, run, node, approvers)
        return self._settle(engine, run, node)

    def people(self, node: Node) -> Mapping[str, Any]:
        return node["approve"]

    def note(self, event: Mapping[str, Any]) -> dict[str, Any]:
        note = {"code": event["kind"]}
        if event["kind"] == "dedupe":
            note["user"] = event.get("user")
        elif event["kind"] == "to_admin":
            note["role"] = event.get("role")
        return note

    def _approvers(self, engine: Engine, run: Run, node: Node) -> list[int]:
        users = engine.people(run, node["name"], node["approve"])
        if run.initiator in users and node.get("self", "approve") != "approve":
            users = self._without_initiator(engine, run, node, users)
            if not users and node["self"] != "manager":
                return []
        if not users and node.get("empty", "admin") == "admin":
            admin_role = run.definition.get("admin_role", "admin")
            users = sorted(run.org.roles.get(admin_role, frozenset()) & run.org.active)
            if users:
                engine.event(run, "to_admin", node["name"], role=admin_role)
        return users

    def _without_initiator(self, engine: Engine, run: Run, node: Node, users: list[int]) -> list[int]:
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
        engine.event(run, "auto_pass", node["name"], user=run.initiator, replaced_by=replacement)
        replaced = [replacement if u == run.initiator else u for u in users]
        return [u for u in dict.fromkeys(replaced) if u is not None]

    def _create_tasks(self, engine: Engine, run: Run, node: Node, users: list[int]) -> None:
        mode = node.get("mode", "all")
        for position, user in enumerate(users):
            stage = (position + 1) * 10 if mode == "sequence" else 10
            stage_mode = "any" if mode == "any" else "all"
            engine.assign(run, node["name"], user, stage=stage, stage_mode=stage_mode, kind="approve")

    def _settle(self, engine: Engine, run: Run, node: Node) -> bool:
        """Open the next stage of a node, auto-approving repeat approvers; True when done."""
        name = node["name"]
        while True:
            tasks = engine.node_tasks(run, name)
            stages = sorted({t["stage"] for t in tasks})
            current = next(
                (s for s in stages if not _stage_complete([t for t in tasks if t["stage"] == s])), None
            )
            if current is None:
                if any(t["status"] in OPEN_TASK for t in tasks):
                    engine.close_open_tasks(run, name)
                return True
            opened = False
            for task in tasks:
                if task["status"] in OPEN_TASK and task["stage"] < current:
                    engine.set_task(run, task["id"], "cancelled")  # its any-stage is already decided
                if task["status"] == "pending" and task["stage"] > current:
                    engine.set_task(run, task["id"], "waiting")
                if task["status"] == "waiting" and task["stage"] == current:
                    if self._deduped(engine, run, node, task):
                        opened = True
                        continue
                    # Its turn starts now: timeouts count from here, not from the node's start.
                    run.conn.execute(engine.sql.open_task, {"b_task": task["id"], "b_at": run.now})
                    engine.notify(run, task["assignee_id"], "task", node=name)
            if not opened:
                return False

    def _deduped(self, engine: Engine, run: Run, node: Node, task: dict[str, Any]) -> bool:
        """An approver who already approved in this instance passes again automatically."""
        if not node.get("dedupe", run.definition.get("dedupe", True)):
            return False
        tasks = engine.tasks
        approved_before = run.conn.execute(
            select(tasks.c.id).where(
                tasks.c.instance_id == run.instance["id"],
                tasks.c.assignee_id == task["assignee_id"],
                tasks.c.status == "approved",
                tasks.c.node != task["node"],
            )
        ).first()
        if approved_before is None:
            return False
        engine.set_task(run, task["id"], "auto", acted=True)
        engine.event(run, "dedupe", task["node"], user=task["assignee_id"])
        return True


@register
class Copy(NodeKind):
    """CC: the people named get a copy to read and the flow moves straight on."""

    key = "cc"

    def enter(self, engine: Engine, run: Run, node: Node) -> bool:
        engine.copy_to(run, node["name"], engine.people(run, node["name"], node["cc"]))
        return True

    def people(self, node: Node) -> Mapping[str, Any]:
        return node["cc"]


@register
class Branch(NodeKind):
    """The first lane whose ``when`` holds (or the ``else`` lane) runs; the choice is made
    once and remembered, so a later edit of the record does not switch lanes midway."""

    key = "branch"
    notes: ClassVar[Mapping[str, str]] = {"branch": "takes lane {label}"}

    def enter(self, engine: Engine, run: Run, node: Node) -> bool:
        lane = self._lane(engine, run, node)
        return lane is None or engine.run_nodes(run, lane)

    def lanes(self, node: Node) -> list[list[Node]]:
        return [_lane_nodes(lane) for lane in node["branch"]]

    def note(self, event: Mapping[str, Any]) -> dict[str, Any]:
        return {"code": "branch", "label": event.get("label") or event.get("lane")}

    def _lane(self, engine: Engine, run: Run, node: Node) -> list[Node] | None:
        """The nodes of the lane this branch takes, decided once and remembered."""
        name = node["name"]
        taken = run.state.setdefault("branches", {})
        if name not in taken:
            conditions = [compile_expression(lane["when"]) for lane in node["branch"] if "when" in lane]
            names = engine.variables(run, conditions)
            choice = None
            for index, lane in enumerate(node["branch"]):
                if "else" in lane or logic.evaluate(compile_expression(lane["when"]), names) is True:
                    choice = index
                    break
            taken[name] = choice
            label = node["branch"][choice].get("name") if choice is not None else None
            engine.event(run, "branch", name, lane=choice, label=label)
        choice = taken[name]
        return None if choice is None else _lane_nodes(node["branch"][choice])


@register
class Parallel(NodeKind):
    """Every lane runs at once; the node is done when all of them are."""

    key = "parallel"

    def enter(self, engine: Engine, run: Run, node: Node) -> bool:
        finished = [engine.run_nodes(run, lane) for lane in self.lanes(node)]
        return all(finished)

    def lanes(self, node: Node) -> list[list[Node]]:
        return [lane["nodes"] for lane in node["parallel"]]


@register
class Action(NodeKind):
    """The flow itself writes: it sets fields of the record or creates a record, as the system."""

    key = "action"

    def enter(self, engine: Engine, run: Run, node: Node) -> bool:
        action = node["action"]
        sources = [*action.get("set", {}).values(), *action.get("create", {}).get("values", {}).values()]
        names = engine.variables(run, [compile_expression(v) for v in sources])
        if "set" in action:
            values = {
                k: _plain(logic.evaluate(compile_expression(v), names)) for k, v in action["set"].items()
            }
            run.record = engine.records.update(
                run.entity.qualified_name, run.record["id"], values, SYSTEM, conn=run.conn
            )
        if "create" in action:
            create = action["create"]
            target = create["entity"] if "." in create["entity"] else f"{run.entity.app}.{create['entity']}"
            values = {
                k: _plain(logic.evaluate(compile_expression(v), names)) for k, v in create["values"].items()
            }
            created = engine.records.create(target, {**values, "owner": run.initiator}, SYSTEM, conn=run.conn)
            engine.event(run, "action", node["name"], created={"entity": target, "id": created["id"]})
        return True


def _lane_nodes(lane: Mapping[str, Any]) -> list[Node]:
    return lane.get("nodes", lane.get("else", []))


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
