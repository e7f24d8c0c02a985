"""Dry runs of a flow: which path and which approvers a record would get.

The simulation runs the real engine (so it cannot disagree with it) inside a transaction
that is always rolled back: it creates the record (or applies the edit to a draft), submits
it, and approves every task as its assignee until the flow ends, noting each step. Nothing
is written, and no mail leaves: mail goes through an outbox the rollback empties.

Two readers use it: ``loom flow simulate`` (people by login, notes in words) and the form's
approval-chain preview (people by name, notes as codes the portal translates).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection
from sqlalchemy import select

from loom.metadata.catalog import Label
from loom.metadata.catalog import thaw

from ..actor import Actor
from ..services import Services
from .nodes import KINDS
from .nodes import walk

MAX_STEPS = 200
# The timeline events a dry run notes, each with the node kind that writes it.
NOTED_BY = {event: kind for kind in KINDS.values() for event in kind.notes}


class SimulationError(LookupError):
    """The simulation could not start: unknown user or entity."""


def simulate(
    services: Services,
    entity: str,
    values: dict[str, Any],
    login: str,
    chosen: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """The path for ``login`` submitting ``values``, people named by login (the CLI's report)."""
    with _dry_run(services) as conn:
        user = services.identity.user_by_login(conn, login)
        actor = services.identity.actor(conn, user["id"]) if user else None
        if actor is None:
            raise SimulationError(f"no active user {login!r}")
        names = _logins(conn, services.identity.users)
        ids = {v: k for k, v in names.items()}
        picked = {node: [ids[u] for u in users if u in ids] for node, users in (chosen or {}).items()}
        summary, steps = _walk_through(services, conn, entity, values, actor, picked, None)
    return {"flow": summary["flow"], "outcome": summary["status"], "steps": _in_words(steps, names)}


def preview(
    services: Services,
    entity: str,
    values: dict[str, Any],
    actor: Actor,
    chosen: dict[str, list[int]] | None = None,
    record_id: int | None = None,
) -> dict[str, Any]:
    """The approval chain ``actor`` would get by submitting ``values`` now (a new record, or
    ``record_id`` as edited), for the form to show before submitting: steps with node labels,
    people by id and name, and note codes. Invalid values raise the records service's errors."""
    with _dry_run(services) as conn:
        summary, steps = _walk_through(services, conn, entity, values, actor, chosen or {}, record_id)
        names = _names(conn, services.identity.users, _people(steps))
    flow = services.runtime.catalog.definition("flow", summary["flow"])
    labels = {n["name"]: n.get("label") for n in walk(thaw(flow.spec["nodes"]))}
    for step in steps:
        step["label"] = _label(labels.get(step["node"]), step["node"])
        step["users"] = [{"id": u, "name": names.get(u, "?"), "on_behalf_of": b} for u, b in step["users"]]
        for note in step["notes"]:
            if "user" in note:
                note["user"] = names.get(note["user"], "?")
    return {
        "flow": summary["flow"],
        "label": _label(flow.spec.get("label"), summary["flow"]),
        "outcome": summary["status"],
        "steps": steps,
    }


@contextmanager
def _dry_run(services: Services) -> Iterator[Connection]:
    """A transaction that is always rolled back, whatever happens inside it."""
    with services.runtime.engine.connect() as conn:
        transaction = conn.begin()
        try:
            yield conn
        finally:
            transaction.rollback()


def _walk_through(
    services: Services,
    conn: Connection,
    entity: str,
    values: dict[str, Any],
    actor: Actor,
    chosen: dict[str, list[int]],
    record_id: int | None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Save, submit and approve every step as its assignee; the flow's summary and its steps."""
    records, flows = services.records, services.flows
    if record_id is None:
        record = records.create(entity, values, actor, conn=conn)
    else:
        record = records.update(entity, record_id, values, actor, conn=conn)
    summary = flows.submit(entity, record["id"], actor, chosen=chosen, conn=conn)
    for _ in range(MAX_STEPS):
        task = next((t for t in summary["tasks"] if t["status"] == "pending"), None)
        if summary["status"] != "running" or task is None:
            break
        assignee = services.identity.actor(conn, task["assignee_id"])
        if assignee is None:  # the assignee left: the flow waits for a reassignment
            break
        payload = {"task": task["id"], "comment": "simulation"}
        summary = flows.act(entity, record["id"], assignee, "approve", payload, conn=conn)
    nodes = services.runtime.catalog.definition("flow", summary["flow"]).spec["nodes"]
    return summary, _steps(summary, [n["name"] for n in walk(thaw(nodes))])


def _steps(summary: dict[str, Any], order: list[str]) -> list[dict[str, Any]]:
    """The path as steps in flow order: node, who acts there (user id, on whose behalf), and
    what happened on the way (note codes with their values)."""
    steps: dict[str, dict[str, Any]] = {}

    def step(node: str, kind: str) -> dict[str, Any]:
        return steps.setdefault(node, {"node": node, "kind": kind, "users": [], "notes": []})

    for task in summary["tasks"]:
        users = step(task["node"], task["kind"])["users"]
        who = (task["assignee_id"], task["on_behalf_of"])
        if who not in users:
            users.append(who)
    for event in summary["timeline"]:
        node, owner = event.get("node"), NOTED_BY.get(event["kind"])
        if owner is None or not node:
            continue
        step(node, owner.key)["notes"].append(owner.note(event))
    return sorted(steps.values(), key=lambda s: order.index(s["node"]) if s["node"] in order else len(order))


def _in_words(steps: list[dict[str, Any]], logins: dict[int, str]) -> list[dict[str, Any]]:
    def who(user: int, behalf: int | None) -> str:
        return logins.get(user, "?") + (f" (for {logins.get(behalf, '?')})" if behalf else "")

    def words(note: dict[str, Any]) -> str:
        label = note.get("label")
        return (
            NOTED_BY[note["code"]]
            .notes[note["code"]]
            .format(
                label=label.get("en") if isinstance(label, dict) else label,
                user=logins.get(note.get("user") or 0, "?"),
                role=note.get("role"),
            )
        )

    return [
        {**s, "users": [who(*u) for u in s["users"]], "notes": [words(n) for n in s["notes"]]} for s in steps
    ]


def _label(value: Any, fallback: str) -> dict[str, str]:
    label = Label.of(thaw(value), fallback)
    return {"zh": label.zh, "en": label.en}


def _people(steps: list[dict[str, Any]]) -> set[int]:
    ids = {u for s in steps for pair in s["users"] for u in pair if u}
    return ids | {n["user"] for s in steps for n in s["notes"] if n.get("user")}


def _logins(conn: Connection, users) -> dict[int, str]:
    return dict(conn.execute(select(users.c.id, users.c.login)).all())


def _names(conn: Connection, users, ids: set[int]) -> dict[int, str]:
    rows = conn.execute(select(users.c.id, users.c.name).where(users.c.id.in_(ids))).all() if ids else []
    return dict(rows)
