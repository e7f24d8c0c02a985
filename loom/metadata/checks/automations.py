"""Semantic checks of automation documents: triggers, guards and actions."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ..index import Index
from ..problems import Problem
from ..source import Document
from . import common
from .flows import assignments

CONTEXT_VARIABLES = ("record", "old", "params", "user", "now", "today")
_CRON_FIELD = re.compile(r"^(\*|\d+(-\d+)?)(/\d+)?(,(\*|\d+(-\d+)?)(/\d+)?)*$|^[A-Za-z]{3}(-[A-Za-z]{3})?$")


def trigger_entity(index: Index, doc: Document) -> tuple[str, str] | None:
    """The (app, entity) whose records fire this automation, if the trigger names one."""
    trigger = doc.data["on"]
    kind, value = next(iter(trigger.items()))
    app = doc.app or ""
    if kind in ("created", "updated", "deleted"):
        return index.split(value, app)
    if kind in ("changed", "button", "schedule"):
        return index.split(value["entity"], app)
    if kind == "flow_finished":
        flow = index.resolve("flow", value, app).document
        if flow is not None:
            return index.split(flow.data["entity"], flow.app or "")
    return None


def check_automation(doc: Document, index: Index) -> Iterator[Problem]:
    trigger = doc.data["on"]
    kind, value = next(iter(trigger.items()))
    entity, problems = _trigger_target(doc, index, kind, value)
    yield from problems
    members = {"record": entity, "old": entity}
    variables = set(CONTEXT_VARIABLES)
    yield from _check_trigger(doc, index, kind, value, variables, members)
    if "outcome" in doc.data and kind != "flow_finished":
        yield doc.problem(
            "schema.invalid",
            "/outcome",
            detail={
                "en": "'outcome' goes with a flow_finished trigger",
                "zh": "outcome 只能与 flow_finished 触发器一起使用",
            },
        )
    yield from common.expression(doc, "/if", doc.data.get("if"), variables, members)
    for i, action in enumerate(doc.data["do"]):
        yield from _check_action(doc, index, f"/do/{i}", action, entity, variables, members)


def _trigger_target(
    doc: Document, index: Index, kind: str, value: Any
) -> tuple[Document | None, list[Problem]]:
    if kind == "flow_finished":
        found = index.resolve("flow", value, doc.app or "")
        if found.missing:
            return None, [
                doc.problem(
                    "ref.unknown_flow",
                    "/on/flow_finished",
                    ref=value,
                    hint=index.suggest("flow", value, doc.app or ""),
                )
            ]
        if found.undeclared:
            owner = index.split(value, doc.app or "")[0]
            return None, [
                doc.problem(
                    "ref.undeclared_dependency", "/on/flow_finished", ref=value, app=owner, owner=doc.app
                )
            ]
        flow = found.document
        if flow is None:
            return None, []
        return index.resolve("entity", flow.data["entity"], flow.app or "").document, []
    ref = value if isinstance(value, str) else value["entity"]
    pointer = f"/on/{kind}" if isinstance(value, str) else f"/on/{kind}/entity"
    return common.entity_ref(index, doc, pointer, ref, child=False)


def _check_trigger(
    doc: Document,
    index: Index,
    kind: str,
    value: Any,
    variables: set[str],
    members: dict[str, Document | None],
) -> Iterator[Problem]:
    entity = members["record"]
    here = f"/on/{kind}"
    if kind == "changed":
        yield from common.field_ref(doc, f"{here}/field", value["field"], entity)
        for key in ("from", "to"):
            yield from common.expression(doc, f"{here}/{key}", value.get(key), variables, members)
    elif kind == "button":
        for i, role in enumerate(value.get("roles", [])):
            yield from common.role_ref(index, doc, f"{here}/roles/{i}", role)
        yield from common.expression(doc, f"{here}/when", value.get("when"), variables, members)
    elif kind == "schedule":
        if not _valid_cron(value["cron"]):
            yield doc.problem("automation.cron", f"{here}/cron", cron=value["cron"])
        yield from common.expression(
            doc, f"{here}/where", value.get("where"), common.entity_variables(entity)
        )


def _valid_cron(cron: str) -> bool:
    parts = cron.split()
    return len(parts) == 5 and all(_CRON_FIELD.match(p) for p in parts)


def _check_action(
    doc: Document,
    index: Index,
    pointer: str,
    action: dict[str, Any],
    entity: Document | None,
    variables: set[str],
    members: dict[str, Document | None],
) -> Iterator[Problem]:
    kind, value = next(iter(action.items()))
    here = f"{pointer}/{kind}"
    if kind == "set":
        yield from assignments(doc, here, value, entity, variables, members)
    elif kind in ("create", "update"):
        target, problems = common.entity_ref(index, doc, f"{here}/entity", value["entity"], child=False)
        yield from problems
        scope = variables | (common.entity_variables(target) if kind == "update" else set())
        if kind == "update":
            yield from common.expression(doc, f"{here}/where", value["where"], scope, members)
        yield from assignments(
            doc,
            f"{here}/{'values' if kind == 'create' else 'set'}",
            value["values" if kind == "create" else "set"],
            target,
            scope,
            members,
        )
    elif kind == "start_flow":
        found = index.resolve("flow", value, doc.app or "")
        if found.missing:
            yield doc.problem(
                "ref.unknown_flow", here, ref=value, hint=index.suggest("flow", value, doc.app or "")
            )
    elif kind == "notify":
        if "role" in value:
            yield from common.role_ref(index, doc, f"{here}/role", value["role"])
        yield from common.expression(doc, f"{here}/users", value.get("users"), variables, members)
