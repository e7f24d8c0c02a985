"""Semantic checks of report documents.

A report becomes one aggregate query over its entity, so everything it names must be a
column of that query: dimensions are fields, readable system columns, or one step through
a link (``customer.industry``) or a user or department field (``owner.department``);
``sum`` and ``avg`` need numbers; a ratio divides two other measures of the report.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from typing import Any

from ..index import Index
from ..index import did_you_mean
from ..index import fields_of
from ..problems import Problem
from ..source import Document
from . import common

MEASURE = {"en": "measure", "zh": "指标"}
REPORT = {"en": "this report", "zh": "本报表"}
DATED = ("date", "datetime")
# System columns a report may group by, with the field type they behave as.
SYSTEM_TYPES = {
    "id": "integer",
    "created_at": "datetime",
    "updated_at": "datetime",
    "created_by": "user",
    "updated_by": "user",
    "owner": "user",
    "flow_status": "select",
}
NOT_GROUPABLE = (
    "table",
    "many",
    "json",
    "multiselect",
    "rich_text",
    "text",
    "file",
    "image",
    "geo",
    "region",
)
# What a user or department value may be followed to, and the type found there.
PERSON_STEPS = {"user": {"department": "department"}, "department": {}}
# Whether a name is a column of the report's rows: the problems if not (none: it is).
Known = Callable[[str, str], list[Problem]]


# Platform data a report may read instead of an entity: its columns and the types they behave
# as. ``hours`` is the time taken (finished or acted minus started or created), empty while open.
SOURCES: dict[str, dict[str, str]] = {
    "approvals": {
        "flow": "flow",
        "initiator": "user",
        "status": "select",
        "started_at": "datetime",
        "finished_at": "datetime",
        "hours": "decimal",
    },
    "approval_tasks": {
        "flow": "flow",
        "node": "flow_node",
        "assignee": "user",
        "status": "select",
        "created_at": "datetime",
        "acted_at": "datetime",
        "hours": "decimal",
        "overdue": "integer",  # 1 when the task waited (or has waited so far) past its node's timeout
    },
}


def check_report(doc: Document, index: Index) -> Iterator[Problem]:
    source = doc.data.get("source")
    if source is not None or "entity" not in doc.data:
        yield from _check_source(doc, index, source)
        return
    entity, problems = common.entity_ref(index, doc, "/entity", doc.data["entity"])
    yield from problems
    if entity is None:
        return
    fields = fields_of(entity)
    yield from common.expression(doc, "/filter", doc.data.get("filter"), common.entity_variables(entity))

    def known(pointer: str, name: str) -> list[Problem]:
        return list(common.field_ref(doc, pointer, name, entity, fields, system=True))

    for i, dimension in enumerate(doc.data.get("dimensions", [])):
        yield from _dimension(doc, index, f"/dimensions/{i}", dimension, fields, known)
    yield from _date_field(doc, fields, known)
    yield from _measures(
        doc, fields, lambda pointer, name: list(common.field_ref(doc, pointer, name, entity, fields))
    )
    yield from _rest(doc, index)


def _check_source(doc: Document, index: Index, source: str | None) -> Iterator[Problem]:
    """A report over platform data: its columns only, no entity and no CEL filter over records."""
    if source is None:
        detail = {"en": "neither is given", "zh": "两者都未指定"}
        yield doc.problem("report.source", "", detail=detail)
        return
    for key in ("entity", "filter"):
        if key in doc.data:
            detail = {"en": f"remove '{key}'", "zh": f"请删除 {key}"}
            yield doc.problem("report.source", f"/{key}", detail=detail)
    columns = SOURCES[source]
    fields = {name: {"type": kind} for name, kind in columns.items()}
    owner = {"en": f"source '{source}'", "zh": f"数据源“{source}”"}

    def known(pointer: str, name: str) -> list[Problem]:
        if name in columns:
            return []
        hint = did_you_mean(name, list(columns))
        return [doc.problem("ref.unknown_field", pointer, owner=owner, field=name, hint=hint)]

    for i, dimension in enumerate(doc.data.get("dimensions", [])):
        yield from _dimension(doc, index, f"/dimensions/{i}", dimension, fields, known)
    yield from _date_field(doc, fields, known)
    yield from _measures(doc, fields, known)
    yield from _rest(doc, index)


def _measures(doc: Document, fields: Mapping[str, Any], known: Known) -> Iterator[Problem]:
    yield from common.duplicates(doc, "/measures", doc.data["measures"], MEASURE)
    for i, measure in enumerate(doc.data["measures"]):
        yield from _measure(doc, f"/measures/{i}", measure, fields, known)


def _rest(doc: Document, index: Index) -> Iterator[Problem]:
    for i, role in enumerate(doc.data.get("roles", [])):
        yield from common.role_ref(index, doc, f"/roles/{i}", role)
    yield from _sort(doc)


def field_type(name: str, fields: Mapping[str, Any]) -> str | None:
    """The type a field or system column behaves as; a computed field's result type."""
    if name in SYSTEM_TYPES:
        return SYSTEM_TYPES[name]
    field = fields.get(name)
    if field is None:
        return None
    if field["type"] == "computed":
        return str(field.get("result", "string"))
    return str(field["type"])


def _dimension(
    doc: Document, index: Index, here: str, dimension: Mapping[str, Any], fields: Mapping, known: Known
) -> Iterator[Problem]:
    path = dimension["field"]
    head, _, step = path.partition(".")
    found = known(f"{here}/field", head)
    if found:
        yield from found
        return
    kind = field_type(head, fields)
    if step:
        kind, problem = _step(doc, index, f"{here}/field", path, kind, fields.get(head))
        if problem is not None:
            yield problem
            return
    if kind in NOT_GROUPABLE:
        reason = {"en": f"a {kind} field cannot be grouped", "zh": f"{kind} 类型的字段不能分组"}
        yield doc.problem("report.bad_dimension", f"{here}/field", field=path, reason=reason)
    elif "granularity" in dimension and kind not in DATED:
        yield doc.problem("report.granularity", f"{here}/granularity", field=path, actual=kind)


def _step(
    doc: Document, index: Index, pointer: str, path: str, kind: str | None, field: Mapping[str, Any] | None
) -> tuple[str | None, Problem | None]:
    """The type reached by ``head.step``, or the problem with the step."""
    head, _, step = path.partition(".")
    if kind in PERSON_STEPS:
        steps = PERSON_STEPS[kind]
        if step in steps:
            return steps[step], None
        reason = {
            "en": f"a {kind} field leads only to {', '.join(steps) or 'nothing'}",
            "zh": f"{kind} 类型的字段之后只能跟 {', '.join(steps) or '（无）'}",
        }
        return None, doc.problem("report.bad_dimension", pointer, field=path, reason=reason)
    if kind != "link" or field is None:
        reason = {"en": f"'{head}' is not a link", "zh": f"“{head}”不是关联字段"}
        return None, doc.problem("report.bad_dimension", pointer, field=path, reason=reason)
    target = index.resolve("entity", field["entity"], doc.app or "").document
    if target is None:
        return None, None  # the link itself is reported with its entity
    target_fields = fields_of(target)
    problems = list(common.field_ref(doc, pointer, step, target, target_fields, system=True))
    if problems:
        return None, problems[0]
    stepped = field_type(step, target_fields)
    if stepped == "link":
        reason = {"en": "a dimension follows one link only", "zh": "维度只能经过一层关联"}
        return None, doc.problem("report.bad_dimension", pointer, field=path, reason=reason)
    return stepped, None


def _date_field(doc: Document, fields: Mapping[str, Any], known: Known) -> Iterator[Problem]:
    name = doc.data.get("date_field")
    if name is None:
        return
    found = known("/date_field", name)
    if found:
        yield from found
    elif field_type(name, fields) not in DATED:
        expected = {"en": "a date or datetime", "zh": "日期或日期时间"}
        yield doc.problem(
            "ref.field_type", "/date_field", field=name, actual=field_type(name, fields), expected=expected
        )


def _measure(
    doc: Document, here: str, measure: Mapping[str, Any], fields: Mapping[str, Any], known: Known
) -> Iterator[Problem]:
    aggregate = measure["aggregate"]
    if aggregate == "ratio":
        yield from _ratio(doc, here, measure)
        return
    if "of" in measure:
        yield doc.problem("schema.unknown_key", f"{here}/of", key="of")
    if "field" not in measure:
        if aggregate != "count":
            yield doc.problem("schema.required", here, key="field")
        return
    name = measure["field"]
    found = known(f"{here}/field", name)
    if found:
        yield from found
        return
    kind = field_type(name, fields)
    numeric = kind in common.NUMERIC  # a computed field's kind is its result type
    wanted = None
    if aggregate in ("sum", "avg") and not numeric:
        wanted = {"en": "a number", "zh": "数值类型"}
    elif aggregate in ("min", "max") and not (numeric or kind in (*DATED, "time")):
        wanted = {"en": "a number or a date", "zh": "数值或日期类型"}
    elif kind in NOT_GROUPABLE:
        wanted = {"en": "a single value", "zh": "单值字段"}
    if wanted is not None:
        yield doc.problem("ref.field_type", f"{here}/field", field=name, actual=kind, expected=wanted)


def _ratio(doc: Document, here: str, measure: Mapping[str, Any]) -> Iterator[Problem]:
    names = {m["name"]: m for m in doc.data["measures"] if isinstance(m, dict) and "name" in m}
    of = measure.get("of")
    if "field" in measure:
        detail = {"en": "remove 'field'", "zh": "请删除 field"}
        yield doc.problem("report.ratio", f"{here}/field", detail=detail)
    if of is None:
        yield doc.problem("schema.required", here, key="of")
        return
    for i, name in enumerate(of):
        other = names.get(name)
        if other is None or name == measure["name"]:
            detail = {"en": f"'{name}' is not another measure", "zh": f"“{name}”不是另一个指标"}
            hint = did_you_mean(name, [n for n in names if n != measure["name"]])
            yield doc.problem("report.ratio", f"{here}/of/{i}", detail=detail, hint=hint)
        elif other["aggregate"] == "ratio":
            detail = {"en": f"'{name}' is itself a ratio", "zh": f"“{name}”本身是比率"}
            yield doc.problem("report.ratio", f"{here}/of/{i}", detail=detail)


def _sort(doc: Document) -> Iterator[Problem]:
    sort = doc.data.get("sort")
    if sort is None:
        return
    names = {d["field"] for d in doc.data.get("dimensions", [])} | {m["name"] for m in doc.data["measures"]}
    if sort.lstrip("-") not in names:
        yield doc.problem(
            "ref.unknown_field",
            "/sort",
            owner=REPORT,
            field=sort.lstrip("-"),
            hint=common.did_you_mean(sort.lstrip("-"), names),
        )
