"""Semantic checks of flow documents: node names, approvers, conditions and actions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..index import Index
from ..index import did_you_mean
from ..index import fields_of
from ..problems import Problem
from ..schema_check import load_schema
from ..source import Document
from . import common

NODE = {"en": "flow node", "zh": "流程节点"}
_ELSE_ALONE = {
    "en": "an 'else' branch takes no 'when' or 'nodes': its nodes go under 'else'",
    "zh": "else 分支不能再写 when 或 nodes：其节点直接写在 else 下",
}
# A node's kind is the one key it holds besides its name and label: the schema lists them.
NODE_KINDS = tuple(
    k for k in load_schema("flow")["$defs"]["node"]["properties"] if k not in ("name", "label")
)
FLOW_VARIABLES = ("initiator",)
APPROVER_KINDS = ("users", "role", "manager", "managers", "department_head", "field", "chosen", "initiator")


def check_flow(doc: Document, index: Index) -> Iterator[Problem]:
    entity, problems = common.entity_ref(index, doc, "/entity", doc.data["entity"], child=False)
    yield from problems
    variables = common.entity_variables(entity) | set(FLOW_VARIABLES)
    yield from common.expression(doc, "/when", doc.data.get("when"), variables)
    if "summary" in doc.data and entity is not None:  # its own line in place of the entity's
        yield from common.template(doc, "/summary", doc.data["summary"], entity, fields_of(entity))
    if "admin_role" in doc.data:
        yield from common.role_ref(index, doc, "/admin_role", doc.data["admin_role"])
    for i, grant in enumerate((doc.data.get("locked") or {}).get("editable", [])):
        here = f"/locked/editable/{i}"
        yield from common.field_refs(doc, f"{here}/fields", grant["fields"], entity)
        for j, role in enumerate(grant["roles"]):
            yield from common.role_ref(index, doc, f"{here}/roles/{j}", role)
    revoke = doc.data.get("revoke") or {}
    if "within" in revoke and (not revoke.get("allowed") or int(revoke["within"][:-1]) == 0):
        yield doc.problem("flow.revoke_within", "/revoke/within")
    walker = _Walker(doc, index, entity, variables)
    yield from walker.nodes("/nodes", doc.data["nodes"], frozenset())
    yield from walker.return_targets()


class _Walker:
    """Walks the node tree once, remembering names in the order a record passes them."""

    def __init__(self, doc: Document, index: Index, entity: Document | None, variables: set[str]) -> None:
        self.doc = doc
        self.index = index
        self.entity = entity
        self.fields = fields_of(entity) if entity is not None else {}
        self.variables = variables
        self.seen: dict[str, str] = {}
        self.returns: list[tuple[str, dict[str, Any], frozenset[str]]] = []

    def nodes(self, pointer: str, nodes: list[dict[str, Any]], before: frozenset[str]) -> Iterator[Problem]:
        """Walk a node list; ``before`` holds the nodes every record reaching it has passed."""
        passed = set(before)
        for i, node in enumerate(nodes):
            yield from self.node(f"{pointer}/{i}", node, frozenset(passed))
            passed.add(node["name"])

    def node(self, pointer: str, node: dict[str, Any], before: frozenset[str]) -> Iterator[Problem]:
        doc = self.doc
        name = node["name"]
        if name in self.seen:
            yield doc.problem(
                "name.duplicate",
                f"{pointer}/name",
                what=NODE,
                name=name,
                other=str(doc.locate(self.seen[name])),
            )
        kinds = [k for k in NODE_KINDS if k in node]
        if len(kinds) != 1:
            yield doc.problem("schema.invalid", pointer, detail=_one_of("a node", NODE_KINDS, kinds))
        if "return_to" in node:
            self.returns.append((pointer, node, before))
        self.seen.setdefault(name, f"{pointer}/name")
        for kind in ("approve", "cc"):
            if kind in node:
                yield from self.approvers(f"{pointer}/{kind}", node[kind])
        for key in ("editable", "hidden"):
            yield from common.field_refs(doc, f"{pointer}/{key}", node.get(key, []), self.entity)
        if node.get("signature") == "required" and node.get("timeout", {}).get("then") == "approve":
            # Nobody signs when the clock approves: the step would pass unsigned.
            detail = "a node that requires a signature cannot be approved by its timeout (then: reject)"
            yield doc.problem("schema.invalid", f"{pointer}/timeout/then", detail=detail)
        inside = before | {name}
        if "branch" in node:
            yield from self.branches(f"{pointer}/branch", node["branch"], inside)
        for i, lane in enumerate(node.get("parallel", [])):
            yield from self.nodes(f"{pointer}/parallel/{i}/nodes", lane["nodes"], inside)
        if "action" in node:
            yield from self.action(f"{pointer}/action", node["action"])

    def approvers(self, pointer: str, spec: dict[str, Any]) -> Iterator[Problem]:
        doc = self.doc
        kinds = [k for k in APPROVER_KINDS if k in spec]
        if len(kinds) != 1:
            yield doc.problem("schema.invalid", pointer, detail=_one_of("an approver", APPROVER_KINDS, kinds))
        for key, role in (
            ("role", spec.get("role")),
            ("managers/up_to_role", spec.get("managers", {}).get("up_to_role")),
        ):
            if role is not None:
                yield from common.role_ref(self.index, doc, f"{pointer}/{key}", role)
        chosen = spec.get("chosen")
        if isinstance(chosen, dict) and "role" in chosen:
            yield from common.role_ref(self.index, doc, f"{pointer}/chosen/role", chosen["role"])
        if isinstance(chosen, dict) and chosen.get("min", 0) > chosen.get("max", chosen.get("min", 0)):
            detail = f"chosen.min ({chosen['min']}) is more than chosen.max ({chosen['max']})"
            yield doc.problem("schema.invalid", f"{pointer}/chosen/min", detail=detail)
        for key, wanted in (("field", "user"), ("department_head", "department")):
            value = spec.get(key)
            if isinstance(value, str):
                yield from self.typed_field(f"{pointer}/{key}", value, wanted)

    def typed_field(self, pointer: str, name: str, wanted: str) -> Iterator[Problem]:
        problems = list(common.field_ref(self.doc, pointer, name, self.entity, self.fields))
        yield from problems
        field = self.fields.get(name)
        if not problems and field is not None and field["type"] != wanted:
            yield self.doc.problem(
                "ref.field_type", pointer, field=name, actual=field["type"], expected=wanted
            )

    def branches(
        self, pointer: str, branches: list[dict[str, Any]], before: frozenset[str]
    ) -> Iterator[Problem]:
        for i, branch in enumerate(branches):
            here = f"{pointer}/{i}"
            if "else" in branch:
                if i != len(branches) - 1:
                    yield self.doc.problem("flow.else_not_last", here)
                if "when" in branch or "nodes" in branch:
                    yield self.doc.problem("schema.invalid", here, detail=_ELSE_ALONE)
                yield from self.nodes(f"{here}/else", branch["else"], before)
                continue
            for key in ("when", "nodes"):
                if key not in branch:
                    yield self.doc.problem("schema.required", here, key=key)
            yield from common.expression(self.doc, f"{here}/when", branch.get("when"), self.variables)
            yield from self.nodes(f"{here}/nodes", branch.get("nodes", []), before)

    def action(self, pointer: str, action: dict[str, Any]) -> Iterator[Problem]:
        if "set" in action:
            yield from assignments(self.doc, f"{pointer}/set", action["set"], self.entity, self.variables)
        if "create" in action:
            target, problems = common.entity_ref(
                self.index, self.doc, f"{pointer}/create/entity", action["create"]["entity"], child=False
            )
            yield from problems
            yield from assignments(
                self.doc, f"{pointer}/create/values", action["create"]["values"], target, self.variables
            )

    def return_targets(self) -> Iterator[Problem]:
        for pointer, node, earlier in self.returns:
            for i, target in enumerate(node["return_to"]):
                here = f"{pointer}/return_to/{i}"
                if target == "initiator" or target in earlier:
                    continue
                if target in self.seen:
                    yield self.doc.problem("flow.return_target", here, node=node["name"], target=target)
                else:
                    hint = did_you_mean(target, [*self.seen, "initiator"])
                    yield self.doc.problem("ref.unknown_node", here, node=target, hint=hint)


def assignments(
    doc: Document,
    pointer: str,
    values: dict[str, Any],
    target: Document | None,
    variables: set[str],
    members: dict[str, Document | None] | None = None,
) -> Iterator[Problem]:
    """``field: CEL`` pairs: each field must exist on ``target``, each value must compile."""
    fields = fields_of(target) if target is not None else {}
    for name, source in values.items():
        yield from common.field_ref(doc, f"{pointer}/{name}", name, target, fields)
        yield from common.expression(doc, f"{pointer}/{name}", source, variables, members)


def _one_of(what: str, allowed: tuple[str, ...], found: list[str]) -> dict[str, str]:
    names = ", ".join(allowed)
    if found:
        return {
            "en": f"{what} takes exactly one of {names}; found {', '.join(found)}",
            "zh": f"只能选择其一：{names}；现有 {', '.join(found)}",
        }
    return {"en": f"{what} needs one of {names}", "zh": f"需要以下其中之一：{names}"}
