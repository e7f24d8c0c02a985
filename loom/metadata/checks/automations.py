"""Semantic checks of automation documents: triggers, guards and actions."""

from __future__ import annotations

import re
from collections.abc import Generator
from collections.abc import Iterator
from typing import Any

from ..index import Index
from ..problems import Problem
from ..source import Document
from . import common
from .flows import assignments

CONTEXT_VARIABLES = (
    "record",
    "old",
    "params",
    "user",
    "user_roles",
    "user_department",
    "now",
    "today",
    "created",
    "linked",
)


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
    if doc.data.get("outcome") == "revoked" and kind == "flow_finished":
        yield from _revocable(doc, index, value)
    yield from common.expression(doc, "/if", doc.data.get("if"), variables, members)
    for i, action in enumerate(doc.data["do"]):
        yield from _check_action(doc, index, f"/do/{i}", action, entity, variables, members)


def _revocable(doc: Document, index: Index, flow_name: str) -> Iterator[Problem]:
    """An automation on revocations of a flow that cannot be revoked would never run."""
    flow, _ = common.flow_ref(index, doc, "/on/flow_finished", flow_name)
    if flow is not None and not (flow.data.get("revoke") or {}).get("allowed", False):
        yield doc.problem(
            "schema.invalid",
            "/outcome",
            detail={
                "en": f"flow '{flow_name}' does not allow revoke (revoke: {{allowed: true}}): never runs",
                "zh": f"流程 {flow_name} 未允许撤销（revoke: {{allowed: true}}），此自动化永远不会执行",
            },
        )


def _trigger_target(
    doc: Document, index: Index, kind: str, value: Any
) -> tuple[Document | None, list[Problem]]:
    if kind == "flow_finished":
        flow, problems = common.flow_ref(index, doc, "/on/flow_finished", value)
        if flow is None:
            return None, problems
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


_CRON_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))
_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    )
}
_WEEKDAYS = {d: i for i, d in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}
_CRON_NAMES: tuple[dict[str, int], ...] = ({}, {}, {}, _MONTHS, _WEEKDAYS)
_CRON_PART = re.compile(r"^(\*|[0-9a-z]+(?:-[0-9a-z]+)?)(?:/([0-9]+))?$")


def _valid_cron(cron: str) -> bool:
    """Five fields (minute hour day month weekday), each value within its range."""
    fields = cron.lower().split()
    if len(fields) != 5:
        return False
    return all(
        all(_valid_cron_part(part, low, high, names) for part in text.split(","))
        for text, (low, high), names in zip(fields, _CRON_RANGES, _CRON_NAMES, strict=True)
    )


def _valid_cron_part(part: str, low: int, high: int, names: dict[str, int]) -> bool:
    match = _CRON_PART.match(part)
    if not match:
        return False
    span, step = match.groups()
    if step is not None and int(step) == 0:
        return False
    if span == "*":
        return True
    bounds = [names.get(v, int(v) if v.isdigit() else -1) for v in span.split("-")]
    return all(low <= b <= high for b in bounds) and bounds == sorted(bounds)


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
        yield from _owner(doc, here, value, variables, members)
        yield from assignments(doc, here, _without_owner(value), entity, variables, members)
    elif kind in ("create", "update"):
        target, problems = common.entity_ref(index, doc, f"{here}/entity", value["entity"], child=False)
        yield from problems
        scope = variables | (common.entity_variables(target) if kind == "update" else set())
        if kind == "update":
            yield from common.expression(doc, f"{here}/where", value["where"], scope, members)
        if "for_each" in value:
            members = yield from _for_each(doc, index, f"{here}/for_each", value["for_each"], scope, members)
            scope = scope | {"item"}
        key = "values" if kind == "create" else "set"
        yield from _owner(doc, f"{here}/{key}", value[key], scope, members)
        yield from assignments(doc, f"{here}/{key}", _without_owner(value[key]), target, scope, members)
    elif kind == "start_flow":
        yield from common.flow_ref(index, doc, here, value)[1]
    elif kind == "notify":
        if "role" in value:
            yield from common.role_ref(index, doc, f"{here}/role", value["role"])
        yield from common.expression(doc, f"{here}/users", value.get("users"), variables, members)


def _for_each(
    doc: Document,
    index: Index,
    pointer: str,
    source: Any,
    variables: set[str],
    members: dict[str, Document | None],
) -> Generator[Problem, None, dict[str, Document | None]]:
    """A CEL list, or a query ``{entity, where}`` whose records the values read as ``item``.

    Returns the members with ``item`` bound to the queried entity, so ``item.<field>`` in the
    values is checked against its fields.
    """
    if not isinstance(source, dict):
        yield from common.expression(doc, pointer, source, variables, members)
        return members
    each, problems = common.entity_ref(index, doc, f"{pointer}/entity", source["entity"], child=False)
    yield from problems
    if each is not None:
        scope = variables | common.entity_variables(each)
        yield from common.expression(doc, f"{pointer}/where", source.get("where"), scope, members)
    return {**members, "item": each}


def _owner(
    doc: Document,
    pointer: str,
    values: dict[str, Any],
    variables: set[str],
    members: dict[str, Document | None],
) -> Iterator[Problem]:
    """The owner a system automation gives the records it creates or changes (a claim, a transfer),
    so they fall in that user's data scope.

    Records made as the system have no owner, and ``own``/``department`` scopes would hide them
    from everyone; a user-run automation's records already belong to that user, and a user may
    not hand their records to someone else by an automation.
    """
    if "owner" not in values:
        return
    if doc.data.get("run_as") != "system":
        yield doc.problem("automation.owner_needs_system", f"{pointer}/owner")
    yield from common.expression(doc, f"{pointer}/owner", values["owner"], variables, members)


def _without_owner(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if k != "owner"}
