"""Dry runs of a flow: which path and which approvers a record would get.

The simulation runs the real engine (so it cannot disagree with it) inside a transaction
that is always rolled back: it creates the record, submits it, and approves every task
as its assignee until the flow ends, noting each step. Nothing is written.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from loom.metadata.catalog import thaw

from ..services import Services
from .engine import walk

MAX_STEPS = 200


class SimulationError(LookupError):
    """The simulation could not start: unknown user or entity."""


def simulate(
    services: Services,
    entity: str,
    values: dict[str, Any],
    login: str,
    chosen: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    identity, flows = services.identity, services.flows
    with services.runtime.engine.connect() as conn:
        transaction = conn.begin()
        try:
            user = identity.user_by_login(conn, login)
            actor = identity.actor(conn, user["id"]) if user else None
            if actor is None:
                raise SimulationError(f"no active user {login!r}")
            names = _names(conn, identity.users)
            ids = {v: k for k, v in names.items()}
            picked = {node: [ids[u] for u in users if u in ids] for node, users in (chosen or {}).items()}
            record = services.records.create(entity, values, actor, conn=conn)
            summary = flows.submit(entity, record["id"], actor, chosen=picked, conn=conn)
            steps = 0
            while summary["status"] == "running" and steps < MAX_STEPS:
                task = next(t for t in summary["tasks"] if t["status"] == "pending")
                assignee = identity.actor(conn, task["assignee_id"])
                summary = flows.act(
                    entity,
                    record["id"],
                    assignee,
                    "approve",
                    {"task": task["id"], "comment": "simulation"},
                    conn=conn,
                )
                steps += 1
            nodes = services.runtime.catalog.definition("flow", summary["flow"]).spec["nodes"]
            return _report(summary, names, [n["name"] for n in walk(thaw(nodes))])
        finally:
            transaction.rollback()


def _names(conn, users) -> dict[int, str]:
    return dict(conn.execute(select(users.c.id, users.c.login)).all())


def _report(summary: dict[str, Any], names: dict[int, str], order: list[str]) -> dict[str, Any]:
    """The path as steps in flow order: node, who acts there, and what happened on the way."""
    steps: dict[str, dict[str, Any]] = {}

    def step(node: str, kind: str) -> dict[str, Any]:
        return steps.setdefault(node, {"node": node, "kind": kind, "users": [], "notes": []})

    for task in summary["tasks"]:
        who = names.get(task["assignee_id"], "?")
        if task["on_behalf_of"]:
            who += f" (for {names.get(task['on_behalf_of'], '?')})"
        users = step(task["node"], task["kind"])["users"]
        if who not in users:
            users.append(who)
    for event in summary["timeline"]:
        node = event.get("node")
        note = {
            "branch": f"takes lane {event.get('label') or event.get('lane')}",
            "skip": "no approver found: skipped",
            "auto_pass": "the initiator passes automatically",
            "dedupe": f"{names.get(event.get('user'), '?')} approved before: passes",
            "to_admin": f"no approver found: sent to role {event.get('role')}",
        }.get(event["kind"])
        if note and node:
            step(node, "branch" if event["kind"] == "branch" else "approve")["notes"].append(note)
    ordered = sorted(
        steps.values(), key=lambda s: order.index(s["node"]) if s["node"] in order else len(order)
    )
    return {"flow": summary["flow"], "outcome": summary["status"], "steps": ordered}
