"""An approval flow being designed: the chain of steps as the page posts it, and its document.

The draft is the flow's ``nodes`` in the flow language itself (docs/flows.md §5), carried as
JSON in a hidden input, so every post answers the page with the chain changed and nothing is
stored on the server until it is published. A place in the chain is a path of indexes:
``"2"`` is the third step, ``"2.1"`` the second lane of that branch, ``"2.1.0"`` the first
step of that lane. Steps are named ``step_1``, ``step_2``…; admins only see their Chinese names.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l

from loom.metadata import Problem
from loom.metadata.catalog import Entity

from . import conditions

MAX_STEPS = 60
MAX_DRAFT = 200_000
MAX_DEPTH = 40  # branches in branches: a chain deeper than this is not a design
KINDS = ("approve", "cc", "branch")
# Approver kinds offered, in the order of the picker.
APPROVER_KINDS = ("manager", "role", "users", "department_head", "chosen", "field", "initiator")
MODES = ("all", "any", "sequence")
EMPTY = ("admin", "skip")
SELF = ("approve", "pass", "next_level", "manager")
DEFAULT_LABELS = {"approve": _l("Approver"), "cc": _l("CC"), "branch": _l("Condition branch")}
APPROVER_WORDS = {
    "manager": _l("Manager of the initiator"),
    "role": _l("Role"),
    "users": _l("Chosen members"),
    "department_head": _l("Head of the initiator's department"),
    "chosen": _l("Chosen by the initiator"),
    "field": _l("A person field of the form"),
    "initiator": _l("The initiator"),
}
MODE_WORDS = {
    "all": _l("Everyone approves"),
    "any": _l("One approval is enough"),
    "sequence": _l("One after another"),
}
EMPTY_WORDS = {"admin": _l("Send to the administrators"), "skip": _l("Pass automatically")}
SELF_WORDS = {
    "approve": _l("The initiator approves it"),
    "pass": _l("Pass automatically"),
    "next_level": _l("The next manager up approves"),
    "manager": _l("The initiator's manager approves"),
}
OPTIONS = (("mode", MODES, "all"), ("empty", EMPTY, "admin"), ("self", SELF, "approve"))
POINTER = re.compile(r"/(nodes|branch|else)/(\d+)")

Nodes = list[dict[str, Any]]


def loads(text: str) -> Nodes:
    """The draft a page posted; anything that is not a list of steps is an empty chain."""
    try:
        nodes = json.loads(text[:MAX_DRAFT]) if text else []
    except ValueError:
        return []
    if not isinstance(nodes, list) or _depth(nodes) > MAX_DEPTH:
        return []
    return [n for n in nodes if isinstance(n, dict) and "name" in n]


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


def dumps(nodes: Nodes) -> str:
    return json.dumps(nodes, ensure_ascii=False, separators=(",", ":"))


def split(path: str) -> list[int]:
    return [int(p) for p in path.split(".") if p.isdigit()] if path else []


def container(nodes: Nodes, path: str) -> Nodes | None:
    """The list of steps at ``path``: "" is the chain, ``"2.1"`` the second lane of step 3."""
    here: Any = nodes
    parts = split(path)
    if len(parts) % 2:
        return None
    for node_at, lane_at in zip(parts[::2], parts[1::2], strict=True):
        if node_at >= len(here) or "branch" not in here[node_at]:
            return None
        lanes = here[node_at]["branch"]
        if lane_at >= len(lanes):
            return None
        lane = lanes[lane_at]
        here = lane.setdefault("else" if "else" in lane else "nodes", [])
    return here


def at(nodes: Nodes, path: str) -> dict[str, Any] | None:
    """The step (odd number of indexes) or lane (even) at ``path``."""
    parts = split(path)
    if not parts:
        return None
    if len(parts) % 2 == 0:
        branch = at(nodes, ".".join(map(str, parts[:-1])))
        lanes = branch.get("branch", []) if branch else []
        return lanes[parts[-1]] if parts[-1] < len(lanes) else None
    steps = container(nodes, ".".join(map(str, parts[:-1])))
    return steps[parts[-1]] if steps is not None and parts[-1] < len(steps) else None


def lane_steps(lane: Mapping[str, Any]) -> Nodes:
    return lane.get("nodes", lane.get("else", []))


def walk(nodes: Nodes) -> Iterable[dict[str, Any]]:
    for node in nodes:
        yield node
        for lane in node.get("branch", []):
            yield lane
            yield from walk(lane_steps(lane))


def _fresh(nodes: Nodes, stem: str) -> str:
    taken = {n.get("name") for n in walk(nodes)}
    number = 1
    while f"{stem}_{number}" in taken:
        number += 1
    return f"{stem}_{number}"


def new_step(nodes: Nodes, kind: str) -> dict[str, Any]:
    """A step as the + menu adds it: the direct manager approves (or is copied); a branch has a
    condition lane and the 其他情况 lane."""
    name = _fresh(nodes, "step")
    label = str(DEFAULT_LABELS[kind])
    if kind == "branch":
        condition = {"name": _fresh(nodes, "lane"), "label": str(_l("Condition 1")), "when": "", "nodes": []}
        other = {"name": f"{name}_other", "label": str(_l("Otherwise")), "else": []}
        return {"name": name, "label": label, "branch": [condition, other]}
    return {"name": name, "label": label, kind: {"manager": 1}}


def edit(nodes: Nodes, action: str) -> tuple[Nodes, str | None]:
    """The chain after a button: ``add:<lane path>:<index>:<kind>``, ``remove:<path>``,
    ``up:<path>``, ``down:<path>``, ``lane:<branch path>`` (another condition lane). Answers the
    chain and the path to select next (None keeps the selection)."""
    verb, _, arg = action.partition(":")
    if verb == "add":
        where, _, rest = arg.partition(":")
        index, _, kind = rest.partition(":")
        steps = container(nodes, where)
        if steps is None or kind not in KINDS or not index.isdigit() or len(list(walk(nodes))) > MAX_STEPS:
            return nodes, None
        at_index = min(int(index), len(steps))
        steps.insert(at_index, new_step(nodes, kind))
        return nodes, ".".join(p for p in (where, str(at_index)) if p)
    parts = split(arg)
    if not parts:
        return nodes, None
    if verb == "lane" and len(parts) % 2:
        branch = at(nodes, arg)
        if branch and "branch" in branch:
            lanes = branch["branch"]
            number = sum(1 for lane in lanes if "else" not in lane) + 1
            caption = str(_l("Condition %(num)d", num=number))
            lane = {"name": _fresh(nodes, "lane"), "label": caption, "when": "", "nodes": []}
            lanes.insert(number - 1, lane)
            return nodes, f"{arg}.{number - 1}"
        return nodes, None
    if len(parts) % 2 == 0:  # a lane: remove or move among the condition lanes
        branch = at(nodes, ".".join(map(str, parts[:-1])))
        siblings = branch["branch"] if branch else []
    else:
        siblings = container(nodes, ".".join(map(str, parts[:-1]))) or []
    i = parts[-1]
    if i >= len(siblings) or "else" in siblings[i]:
        return nodes, None
    if verb == "remove":
        if len(parts) % 2 == 0 and sum(1 for lane in siblings if "else" not in lane) == 1:
            return nodes, None  # a branch keeps one condition lane: remove the branch instead
        del siblings[i]
        return nodes, ""
    to = i - 1 if verb == "up" else i + 1 if verb == "down" else -1
    if 0 <= to < len(siblings) and "else" not in siblings[to]:
        siblings[i], siblings[to] = siblings[to], siblings[i]
        return nodes, ".".join(map(str, [*parts[:-1], to]))
    return nodes, None


def apply_properties(nodes: Nodes, path: str, form: Mapping[str, Any], entity: Entity) -> None:
    """Write the properties panel's inputs (``p-…``, ``c-…``) into the selected step or lane."""
    chosen = at(nodes, path)
    if chosen is None or "p-label" not in form:
        return
    chosen["label"] = form.get("p-label", "").strip()[:100] or chosen.get("label", "")
    if "branch" in chosen or "else" in chosen:
        return
    if "nodes" in chosen:  # a condition lane
        if "c-raw" not in form:  # a lane the builder can read: the rows are the truth
            rows = conditions.rows_of(form)
            chosen["when"] = conditions.to_cel(rows, form.get("c-join", "and"), entity)
        return
    kind = "approve" if "approve" in chosen else "cc"
    chosen[kind] = approvers(form)
    if kind == "approve":
        for key, allowed, default in OPTIONS:
            value = form.get(f"p-{key}", default)
            if value in allowed and value != default:
                chosen[key] = value
            else:
                chosen.pop(key, None)
        if form.get("p-comment") == "on":
            chosen["comment_required"] = ["reject"]
        else:
            chosen.pop("comment_required", None)
        if form.get("p-signature") == "on":
            chosen["signature"] = "required"
        else:
            chosen.pop("signature", None)
        names = {f.name for f in entity.fields if not f.hidden}
        for key in ("editable", "hidden"):
            picked = [name for name in getlist(form, f"p-{key}") if name in names]
            if picked:
                chosen[key] = list(dict.fromkeys(picked))
            else:
                chosen.pop(key, None)
        chosen.pop("timeout", None)
        timeout = _timeout(form)
        if timeout:
            chosen["timeout"] = timeout


def _timeout(form: Mapping[str, Any]) -> dict[str, str]:
    """提醒 after N hours, and 自动同意 or 自动驳回 after M hours (the language's durations)."""
    timeout: dict[str, str] = {}
    remind, after = form.get("p-remind", "").strip(), form.get("p-after", "").strip()
    if remind.isdigit() and 0 < int(remind) <= 10_000:
        timeout["remind_after"] = f"{int(remind)}h"
    if after.isdigit() and 0 < int(after) <= 10_000:
        timeout["after"] = f"{int(after)}h"
        if form.get("p-then") == "reject":
            timeout["then"] = "reject"
    return timeout


def getlist(form: Mapping[str, Any], key: str) -> list[str]:
    """Every value posted for ``key`` (a multiple select, ticked boxes)."""
    if hasattr(form, "getlist"):
        return list(form.getlist(key))
    return [form[key]] if key in form else []


def hours(duration: str | None) -> str:
    """``24h`` → ``24`` for the panel's inputs; durations in minutes or days as whole hours."""
    if not duration:
        return ""
    number, unit = int(duration[:-1]), duration[-1]
    return str({"m": max(1, number // 60), "h": number, "d": number * 24}[unit])


def approvers(form: Mapping[str, Any]) -> dict[str, Any]:
    """The approver specification the panel's inputs say (one kind, as the language wants)."""
    kind = form.get("p-kind", "manager")
    if kind == "users":
        users = [u for u in getlist(form, "p-users") if u][:50]
        return {"users": users} if users else {"users": [""]}
    if kind == "role":
        return {"role": form.get("p-role", "")}
    if kind == "field":
        return {"field": form.get("p-field", "")}
    if kind in ("department_head", "chosen", "initiator"):
        return {kind: True}
    level = form.get("p-level", "1")
    return {"manager": max(1, min(20, int(level))) if level.isdigit() else 1}


def kind_of(node: Mapping[str, Any]) -> str:
    return next((k for k in KINDS if k in node), "approve")


def approver_kind(spec: Mapping[str, Any]) -> str:
    return next((k for k in APPROVER_KINDS if k in spec), "manager")


def mistakes(nodes: Nodes, entity: Entity) -> dict[str, Any]:
    """What must be fixed before the flow is checked, keyed by the path of the step or lane."""
    found: dict[str, Any] = {}
    if not nodes:
        found[""] = _l("Add at least one step.")

    def visit(steps: Nodes, prefix: str) -> None:
        for i, node in enumerate(steps):
            path = f"{prefix}{i}"
            if not node.get("label"):
                found[path] = _l("Give the step a name.")
            spec = node.get("approve", node.get("cc"))
            if isinstance(spec, dict):
                if spec.get("users") == [""]:
                    found[path] = _l("Choose at least one person.")
                elif spec.get("role") == "":
                    found[path] = _l("Choose a role.")
                elif spec.get("field") == "":
                    found[path] = _l("Choose a person field of the form.")
            for j, lane in enumerate(node.get("branch", [])):
                if "nodes" in lane and not lane.get("when"):
                    found[f"{path}.{j}"] = _l("Set the condition of this branch.")
                visit(lane.get("nodes", lane.get("else", [])), f"{path}.{j}.")

    visit(nodes, "")
    return found


def path_of(problem: Problem) -> str:
    """The step or lane a validator's problem is about (``/nodes/2/branch/1`` → ``"2.1"``)."""
    if "/flows/" not in problem.location.file:
        return ""
    return ".".join(index for _, index in POINTER.findall(problem.pointer))


def document(entity: Entity, nodes: Nodes, earlier: Mapping[str, Any] | None) -> dict[str, Any]:
    """The flow document: the earlier one's options kept, its steps replaced by the chain."""
    base = dict(earlier or {})
    base.update(
        {
            "kind": "flow",
            "name": base.get("name") or f"{entity.name}_approval"[:63],
            "label": base.get("label")
            or {"zh": f"{entity.label.zh}审批", "en": f"{entity.label.en} approval"},
            "entity": entity.name,
            "nodes": nodes,
        }
    )
    return base


def chain_words(nodes: Nodes, lang: str) -> str:
    """The chain in one line: 发起人 → 直属上级 → 条件分支（份数超过20：法务；其他情况）→ 结束."""

    def words(steps: Nodes) -> list[str]:
        said = []
        for node in steps:
            text = str(node.get("label") or node["name"])
            if "branch" in node:
                colon = "：" if lang == "zh" else ": "
                lanes = [
                    str(lane.get("label") or lane["name"])
                    + (colon + " → ".join(words(lane_steps(lane))) if lane_steps(lane) else "")
                    for lane in node["branch"]
                ]
                text += ("（" + "；".join(lanes) + "）") if lang == "zh" else " (" + "; ".join(lanes) + ")"
            said.append(text)
        return said

    return " → ".join([str(_l("Initiator")), *words(nodes), str(_l("End"))])
