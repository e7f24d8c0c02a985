"""Approvers and CC recipients the initiator chooses on the form (发起人自选).

A flow step declared ``chosen`` is filled by the initiator at submit; the form shows a person
picker for each such step of the entity's flows, posted as ``chosen-<node>``, and both the chain
preview and 提交 pass what was picked to the flow service, which checks it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flask import request
from sqlalchemy import select

from loom.metadata.catalog import Entity
from loom.metadata.catalog import Label
from loom.metadata.catalog import thaw

from ..database import reading
from ..flows.nodes import people_of
from ..flows.nodes import walk
from .portal import services

PREFIX = "chosen-"


@dataclass(frozen=True, slots=True)
class ChosenStep:
    """A step whose people the initiator picks; ``picked`` are (id, name) as posted."""

    name: str
    label: Label
    cc: bool
    required: bool
    multiple: bool
    role: str | None
    picked: tuple[tuple[int, str], ...] = ()


def chosen_steps(entity: Entity, posted: dict[str, list[int]] | None = None) -> list[ChosenStep]:
    """The steps of the entity's flows that the initiator fills, in flow order, once per name."""
    steps: dict[str, ChosenStep] = {}
    names = _names({u for users in (posted or {}).values() for u in users})
    for node in _chosen_nodes(entity):
        spec = people_of(node)
        rule = spec["chosen"] if isinstance(spec["chosen"], dict) else {}
        picked = tuple((u, names[u]) for u in (posted or {}).get(node["name"], []) if u in names)
        steps.setdefault(
            node["name"],
            ChosenStep(
                name=node["name"],
                label=Label.of(node.get("label"), node["name"]),
                cc="cc" in node,
                required=rule.get("min", 1) > 0,
                multiple=rule.get("max") != 1,
                role=rule.get("role"),
                picked=picked,
            ),
        )
    return list(steps.values())


def posted_chosen(entity: Entity) -> dict[str, list[int]]:
    """The people picked for each chosen step, as ids (what is not an id is left out: the flow
    service then says the step still needs someone)."""
    chosen = {}
    for node in _chosen_nodes(entity):
        ids = [int(v) for v in request.form.getlist(PREFIX + node["name"]) if v.isdigit()]
        if ids:
            chosen[node["name"]] = list(dict.fromkeys(ids))
    return chosen


def _chosen_nodes(entity: Entity) -> Iterator[dict[str, Any]]:
    for flow in services().runtime.catalog.flows_of(entity.qualified_name):
        for node in walk(thaw(flow.spec)["nodes"]):
            if "chosen" in people_of(node):
                yield node


def _names(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    users = services().identity.users
    with reading(services().runtime.engine) as conn:
        return dict(conn.execute(select(users.c.id, users.c.name).where(users.c.id.in_(ids))).all())
