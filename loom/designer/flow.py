"""An approval flow being designed: the chain of steps as the page posts it, and its document.

The draft is the flow's ``nodes`` in the flow language itself (docs/flows.md §5), carried as
JSON in a hidden input, so every post answers the page with the chain changed and nothing is
stored on the server until it is published. A place in the chain is a path of indexes:
``"2"`` is the third step, ``"2.1"`` the second lane of that branch, ``"2.1.0"`` the first
step of that lane (of a condition branch or of parallel lanes alike). Steps are named ``step_1``,
``step_2``…; admins only see their names. A flow of an installed app keeps its steps' names and
their ``{zh, en}`` labels; renaming a step changes the label of the page's language.
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
from loom.metadata.catalog import Label

from . import conditions

MAX_STEPS = 60
MAX_DRAFT = 200_000
MAX_DEPTH = 40  # branches in branches: a chain deeper than this is not a design
KINDS = ("approve", "cc", "branch", "parallel", "action")
LANED = ("branch", "parallel")  # kinds of steps that hold lanes of steps
MAX_SETS = 10  # fields an action step sets
# Approver kinds offered, in the order of the picker.
APPROVER_KINDS = ("manager", "role", "users", "department_head", "chosen", "field", "initiator")
MODES = ("all", "any", "sequence")
EMPTY = ("admin", "skip")
SELF = ("approve", "pass", "next_level", "manager")
DEFAULT_LABELS = {
    "approve": _l("Approver"),
    "cc": _l("CC"),
    "branch": _l("Condition branch"),
    "parallel": _l("Parallel branches"),
    "action": _l("Action step"),
}
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
POINTER = re.compile(r"/(nodes|branch|parallel|else)/(\d+)")

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


def lanes_of(node: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The lanes of a condition branch or of parallel lanes (the list itself), else none."""
    return next((node[kind] for kind in LANED if isinstance(node.get(kind), list)), [])


def caption(value: Any, lang: str, fallback: str = "") -> str:
    """A step's or lane's label in ``lang``: a plain text, or ``{zh, en}`` as packages write it."""
    return Label.of(value, fallback).get(lang)


def container(nodes: Nodes, path: str) -> Nodes | None:
    """The list of steps at ``path``: "" is the chain, ``"2.1"`` the second lane of step 3."""
    here: Any = nodes
    parts = split(path)
    if len(parts) % 2:
        return None
    for node_at, lane_at in zip(parts[::2], parts[1::2], strict=True):
        if node_at >= len(here) or not lanes_of(here[node_at]):
            return None
        lanes = lanes_of(here[node_at])
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
        lanes = lanes_of(branch) if branch else []
        return lanes[parts[-1]] if parts[-1] < len(lanes) else None
    steps = container(nodes, ".".join(map(str, parts[:-1])))
    return steps[parts[-1]] if steps is not None and parts[-1] < len(steps) else None


def lane_steps(lane: Mapping[str, Any]) -> Nodes:
    return lane.get("nodes", lane.get("else", []))


def walk(nodes: Nodes) -> Iterable[dict[str, Any]]:
    for node in nodes:
        yield node
        for lane in lanes_of(node):
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
    condition lane and the 其他情况 lane; parallel lanes start with two; an action sets nothing
    yet (the check asks for a field)."""
    name = _fresh(nodes, "step")
    label = str(DEFAULT_LABELS[kind])
    if kind == "branch":
        condition = {"name": _fresh(nodes, "lane"), "label": str(_l("Condition 1")), "when": "", "nodes": []}
        other = {"name": f"{name}_other", "label": str(_l("Otherwise")), "else": []}
        return {"name": name, "label": label, "branch": [condition, other]}
    if kind == "parallel":
        first = {"name": _fresh(nodes, "lane"), "label": str(_l("Lane %(num)d", num=1)), "nodes": []}
        second = {"name": f"{first['name']}_b", "label": str(_l("Lane %(num)d", num=2)), "nodes": []}
        return {"name": name, "label": label, "parallel": [first, second]}
    if kind == "action":
        return {"name": name, "label": label, "action": {"set": {}}}
    return {"name": name, "label": label, kind: {"manager": 1}}


def edit(nodes: Nodes, action: str) -> tuple[Nodes, str | None]:
    """The chain after a button: ``add:<lane path>:<index>:<kind>``, ``remove:<path>``,
    ``up:<path>``, ``down:<path>``, ``lane:<branch path>`` (another condition lane, or another
    parallel lane), ``move:<path>:<lane path>:<index>`` (a step dragged elsewhere). Answers the
    chain and the path to select next (None keeps the selection)."""
    verb, _, arg = action.partition(":")
    if verb == "move":
        path, where, index = [*arg.split(":"), "", ""][:3]
        return _move(nodes, path, where, index)
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
        if branch and isinstance(branch.get("parallel"), list):
            lanes = branch["parallel"]
            caption_ = str(_l("Lane %(num)d", num=len(lanes) + 1))
            lanes.append({"name": _fresh(nodes, "lane"), "label": caption_, "nodes": []})
            return nodes, f"{arg}.{len(lanes) - 1}"
        if branch and "branch" in branch:
            lanes = branch["branch"]
            number = sum(1 for lane in lanes if "else" not in lane) + 1
            caption = str(_l("Condition %(num)d", num=number))
            lane = {"name": _fresh(nodes, "lane"), "label": caption, "when": "", "nodes": []}
            lanes.insert(number - 1, lane)
            return nodes, f"{arg}.{number - 1}"
        return nodes, None
    if len(parts) % 2 == 0:  # a lane: remove or move among the lanes
        branch = at(nodes, ".".join(map(str, parts[:-1])))
        siblings = lanes_of(branch) if branch else []
    else:
        siblings = container(nodes, ".".join(map(str, parts[:-1]))) or []
    i = parts[-1]
    if i >= len(siblings) or "else" in siblings[i]:
        return nodes, None
    if verb == "remove":
        fewest = 2 if branch_kind(nodes, arg) == "parallel" else 1
        if len(parts) % 2 == 0 and sum(1 for lane in siblings if "else" not in lane) == fewest:
            return nodes, None  # a branch keeps its lanes: remove the branch instead
        del siblings[i]
        return nodes, ""
    to = i - 1 if verb == "up" else i + 1 if verb == "down" else -1
    if 0 <= to < len(siblings) and "else" not in siblings[to]:
        siblings[i], siblings[to] = siblings[to], siblings[i]
        return nodes, ".".join(map(str, [*parts[:-1], to]))
    return nodes, None


def branch_kind(nodes: Nodes, lane_path: str) -> str:
    """``branch`` or ``parallel``: the kind of step a lane belongs to ("" for a step's path)."""
    parts = split(lane_path)
    owner = at(nodes, ".".join(map(str, parts[:-1]))) if parts and len(parts) % 2 == 0 else None
    return next((k for k in LANED if owner and k in owner), "")


def _move(nodes: Nodes, path: str, where: str, index: str) -> tuple[Nodes, str | None]:
    """A step taken from ``path`` and put at ``index`` of the lane ``where`` (or the chain); a
    step is never put inside itself, nor before a lane's 其他情况."""
    parts = split(path)
    source = container(nodes, ".".join(map(str, parts[:-1]))) if len(parts) % 2 else None
    target = container(nodes, where)
    if source is None or target is None or not index.isdigit() or parts[-1] >= len(source):
        return nodes, None
    if where == path or where.startswith(path + "."):
        return nodes, None
    node = source.pop(parts[-1])
    target.insert(min(int(index), len(target)), node)
    return nodes, ""  # paths after the step's old place have changed: nothing stays selected


def apply_properties(
    nodes: Nodes, path: str, form: Mapping[str, Any], entity: Entity, lang: str = "zh"
) -> None:
    """Write the properties panel's inputs (``p-…``, ``c-…``, ``a-…``) into the selected step or
    lane; a ``{zh, en}`` name changes in ``lang``."""
    chosen = at(nodes, path)
    if chosen is None or "p-label" not in form:
        return
    typed = form.get("p-label", "").strip()[:100]
    if typed and isinstance(chosen.get("label"), dict):
        chosen["label"] = {**chosen["label"], lang: typed}
    elif typed:
        chosen["label"] = typed
    if any(k in chosen for k in (*LANED, "else")) or ("nodes" in chosen and "when" not in chosen):
        return  # a branch, a parallel lane or 其他情况: only their names
    if "nodes" in chosen:  # a condition lane
        if "c-raw" not in form:  # a lane the builder can read: the rows are the truth
            rows = conditions.rows_of(form)
            chosen["when"] = conditions.to_cel(rows, form.get("c-join", "and"), entity)
        return
    if "action" in chosen:
        if "a-raw" not in form:  # set rows the page can read: they are the truth
            chosen["action"] = {**chosen["action"], "set": assignments(set_rows_of(form), entity)}
            if not chosen["action"]["set"] and "create" in chosen["action"]:
                del chosen["action"]["set"]
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


def settable(entity: Entity) -> list[Any]:
    """Fields an action step may set: those a user fills, of a kind the page writes values of."""
    return [
        f
        for f in entity.fields
        if not f.hidden and not f.readonly and f.compute is None and conditions.family(f) is not None
    ]


def set_rows_of(form: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The action panel's rows: (field, value typed)."""
    rows = []
    for number in range(MAX_SETS):
        if f"a-{number}-field" not in form:
            break
        rows.append((form.get(f"a-{number}-field", ""), form.get(f"a-{number}-value", "").strip()[:200]))
    return rows


def assignments(rows: list[tuple[str, str]], entity: Entity) -> dict[str, str]:
    """The rows as the action's ``set``: each field's value as CEL; incomplete rows left out (是/否
    fields take 是 or 否; an empty value of a text clears it)."""
    fields = {f.name: f for f in settable(entity)}
    written: dict[str, str] = {}
    for name, value in rows:
        f = fields.get(name)
        if f is None:
            continue
        if f.type == "boolean":
            written[name] = "true" if value in ("true", "on") else "false"
        elif conditions.family(f) == "number":
            number = conditions.literal(f, value) if value else None
            if number is not None:
                written[name] = number
        else:
            written[name] = conditions.literal(f, value) or '""'
    return written


def read_assignments(values: Mapping[str, str], entity: Entity) -> list[tuple[str, str]] | None:
    """The rows an action's ``set`` was written with, or None when one is not the page's own."""
    rows = []
    for name, cel in values.items():
        if name not in {f.name for f in settable(entity)}:
            return None
        value = cel.removesuffix(".0") if cel[:1].isdigit() or cel[:1] == "-" else cel
        if cel.startswith('"'):
            try:
                value = json.loads(cel)
            except ValueError:
                return None
        row = (name, value)
        if assignments([row], entity).get(name) != cel:
            return None
        rows.append(row)
    return rows


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
            if "action" in node and not node["action"].get("set") and "create" not in node["action"]:
                found[path] = _l("Choose a field to set.")
            spec = node.get("approve", node.get("cc"))
            if isinstance(spec, dict):
                if spec.get("users") == [""]:
                    found[path] = _l("Choose at least one person.")
                elif spec.get("role") == "":
                    found[path] = _l("Choose a role.")
                elif spec.get("field") == "":
                    found[path] = _l("Choose a person field of the form.")
            for j, lane in enumerate(lanes_of(node)):
                if "branch" in node and "nodes" in lane and not lane.get("when"):
                    found[f"{path}.{j}"] = _l("Set the condition of this branch.")
                elif "parallel" in node and not lane.get("nodes"):
                    found[f"{path}.{j}"] = _l("Add a step to this lane.")
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


def overlay(flow: Any, nodes: Nodes) -> dict[str, Any]:
    """The designer's overlay on a flow of an installed app: the chain replaces the package's
    steps whole (``replace: [nodes]``), the flow's other options stay the package's, and an
    upgrade of the package keeps the chain as long as the flow and the fields it reads exist."""
    return {
        "kind": "overlay",
        "name": f"designer_flow_{flow.app}_{flow.name}"[:63],
        "label": {"zh": f"设计器修改：{flow.label.zh}", "en": f"Designer changes: {flow.label.en}"},
        "target": flow.qualified_name,
        "target_kind": "flow",
        "replace": ["nodes"],
        "patch": {"nodes": nodes},
    }


def overlay_path(flow: Any) -> str:
    return f"overlays/designer/flows/{flow.app}.{flow.name}.yaml"


def chain_words(nodes: Nodes, lang: str) -> str:
    """The chain in one line: 发起人 → 直属上级 → 条件分支（份数超过20：法务；其他情况）→ 结束."""

    def words(steps: Nodes) -> list[str]:
        said = []
        for node in steps:
            text = caption(node.get("label"), lang, node["name"])
            if lanes_of(node):
                colon = "：" if lang == "zh" else ": "
                lanes = [
                    caption(lane.get("label"), lang, lane["name"])
                    + (colon + " → ".join(words(lane_steps(lane))) if lane_steps(lane) else "")
                    for lane in lanes_of(node)
                ]
                text += ("（" + "；".join(lanes) + "）") if lang == "zh" else " (" + "; ".join(lanes) + ")"
            said.append(text)
        return said

    return " → ".join([str(_l("Initiator")), *words(nodes), str(_l("End"))])
