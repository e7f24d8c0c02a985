"""Semantic checks of report documents.

A report becomes one aggregate query over its entity, so everything it names must be a
column of that query: dimensions are fields, readable system columns, or one step through
a link (``customer.industry``) or a user or department field (``owner.department``);
``sum`` and ``avg`` need numbers; a ratio divides two other measures of the report.
A report with ``series`` runs one such query per entity, so each series is checked as a
report of its entity, and the fields it maps to a shared dimension must hold the same kind
of value in every series (people with people, months with dates or year numbers).
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from itertools import pairwise
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
    if "series" in doc.data:
        yield from _check_series(doc, index)
        return
    if "measures" not in doc.data:
        yield doc.problem("schema.required", "", key="measures")
        return
    if "scope" in doc.data and "source" not in doc.data:
        detail = {
            "en": "'scope' is for approval statistics; an entity's permissions scope its reports",
            "zh": "scope 仅用于审批统计；实体报表的范围由实体权限决定",
        }
        yield doc.problem("report.scope", "/scope", detail=detail)
    for i, dimension in enumerate(doc.data.get("dimensions", [])):
        if "name" in dimension:
            detail = {
                "en": "only reports with series name their dimensions",
                "zh": "仅多实体报表的维度使用 name",
            }
            yield doc.problem("report.series", f"/dimensions/{i}/name", detail=detail)
            return
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
    yield from _scope(doc, index)
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


def _scope(doc: Document, index: Index) -> Iterator[Problem]:
    """A scope narrows roles the report names; a role it does not name would see nothing."""
    roles = doc.data.get("roles", [])
    for role in doc.data.get("scope", {}):
        pointer = f"/scope/{role}"
        problems = list(common.role_ref(index, doc, pointer, role))
        yield from problems
        if not problems and role not in roles:
            detail = {
                "en": f"'{role}' is not in the report's roles",
                "zh": f"角色“{role}”不在本报表的 roles 中",
            }
            yield doc.problem("report.scope", pointer, detail=detail)


def measures_of(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every measure of a report: its series' and its own."""
    found = [m for part in data.get("series", []) for m in part.get("measures", []) if isinstance(m, dict)]
    return found + [m for m in data.get("measures", []) if isinstance(m, dict)]


def _check_series(doc: Document, index: Index) -> Iterator[Problem]:
    """A report over several entities: each series as a report of its entity, shared dimensions
    of one kind of value, and the report's own measures only ratios between series' measures."""
    for key in ("entity", "source", "filter", "date_field", "others", "scope"):
        if key in doc.data:
            detail = {
                "en": f"remove '{key}': each series names its own",
                "zh": f"请删除 {key}：由各数据系列分别指定",
            }
            yield doc.problem("report.series", f"/{key}", detail=detail)
    shared: dict[str, Mapping[str, Any]] = {}
    for i, dimension in enumerate(doc.data.get("dimensions", [])):
        if "name" in dimension:
            shared[dimension["name"]] = dimension
        else:
            detail = {
                "en": "name each dimension; each series maps it to a field",
                "zh": "请为维度设置 name，由各数据系列对应到字段",
            }
            yield doc.problem("report.series", f"/dimensions/{i}/field", detail=detail)
    seen: dict[str, tuple[tuple[str, str | None], str]] = {}  # dimension -> kind of value, entity
    for i, part in enumerate(doc.data["series"]):
        yield from _series(doc, index, f"/series/{i}", part, shared, seen)
    yield from _duplicate_measures(doc)
    for i, measure in enumerate(doc.data.get("measures", [])):
        if measure["aggregate"] == "ratio":
            yield from _ratio(doc, f"/measures/{i}", measure)
        else:
            detail = {
                "en": "the report's own measures are ratios; put the others in a series",
                "zh": "报表自身的指标只能是比率，其余指标请放入数据系列",
            }
            yield doc.problem("report.series", f"/measures/{i}/aggregate", detail=detail)
    yield from _rest(doc, index)


def _series(
    doc: Document,
    index: Index,
    here: str,
    part: Mapping[str, Any],
    shared: Mapping[str, Mapping[str, Any]],
    seen: dict[str, tuple[tuple[str, str | None], str]],
) -> Iterator[Problem]:
    entity, problems = common.entity_ref(index, doc, f"{here}/entity", part["entity"])
    yield from problems
    if entity is None:
        return
    fields = fields_of(entity)
    yield from common.expression(doc, f"{here}/filter", part.get("filter"), common.entity_variables(entity))

    def known(pointer: str, name: str) -> list[Problem]:
        return list(common.field_ref(doc, pointer, name, entity, fields, system=True))

    mapping = part.get("dimensions", {})
    for name in shared:
        if name not in mapping:
            yield doc.problem("schema.required", f"{here}/dimensions", key=name)
    for name, path in mapping.items():
        pointer = f"{here}/dimensions/{name}"
        if name not in shared:
            hint = did_you_mean(name, list(shared))
            yield doc.problem("ref.unknown_field", pointer, owner=REPORT, field=name, hint=hint)
            continue
        kind, found = _grouped(doc, index, pointer, path, fields, known)
        yield from found
        if kind is None:
            continue
        granularity = shared[name].get("granularity")
        if granularity and kind not in DATED and not (granularity == "year" and kind == "integer"):
            yield doc.problem("report.granularity", pointer, field=path, actual=kind)
            continue
        value = _value_kind(index, doc, kind, path, fields, bool(granularity))
        first = seen.setdefault(name, (value, part["entity"]))
        if first[0] != value:
            detail = {
                "en": f"'{name}' holds {value[0]} here and {first[0][0]} in the series of {first[1]}",
                "zh": f"维度“{name}”在此为 {value[0]}，在 {first[1]} 的数据系列中为 {first[0][0]}",
            }
            yield doc.problem("report.series", pointer, detail=detail)
    yield from _date_field(doc, fields, known, here, part, year=True)
    for j, measure in enumerate(part["measures"]):
        if measure["aggregate"] == "ratio":
            detail = {"en": "put ratios in the report's own measures", "zh": "比率指标请放在报表自身的指标中"}
            yield doc.problem("report.series", f"{here}/measures/{j}/aggregate", detail=detail)
        else:
            yield from _measure(
                doc,
                f"{here}/measures/{j}",
                measure,
                fields,
                lambda pointer, name: list(common.field_ref(doc, pointer, name, entity, fields)),
            )


def _value_kind(
    index: Index, doc: Document, kind: str, path: str, fields: Mapping[str, Any], dated: bool
) -> tuple[str, str | None]:
    """What a dimension's values are, to compare across series: people, a linked entity's
    records, periods, or values of one type."""
    if dated:
        return "period", None
    if kind == "link" and "." not in path:
        target = index.resolve("entity", fields[path]["entity"], doc.app or "").document
        return "link", f"{target.app}.{target.name}" if target is not None else None
    return kind, None


def _duplicate_measures(doc: Document) -> Iterator[Problem]:
    seen: dict[str, str] = {}
    places = [
        (f"/series/{i}/measures/{j}/name", m)
        for i, part in enumerate(doc.data["series"])
        for j, m in enumerate(part.get("measures", []))
    ] + [(f"/measures/{j}/name", m) for j, m in enumerate(doc.data.get("measures", []))]
    for here, measure in places:
        name = measure.get("name")
        if name in seen:
            yield doc.problem(
                "name.duplicate", here, what=MEASURE, name=name, other=str(doc.locate(seen[name]))
            )
        elif isinstance(name, str):
            seen[name] = here


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
    kind, problems = _grouped(doc, index, f"{here}/field", path, fields, known)
    yield from problems
    if kind is not None and "granularity" in dimension and kind not in DATED:
        yield doc.problem("report.granularity", f"{here}/granularity", field=path, actual=kind)
    if kind is not None and "aging" in dimension:
        yield from _aging(doc, f"{here}/aging", dimension, path, kind)


def _aging(doc: Document, here: str, dimension: Mapping[str, Any], path: str, kind: str) -> Iterator[Problem]:
    """Aging buckets count whole days back from today: a date field, rising bounds, no granularity."""
    bounds = dimension["aging"]
    if kind != "date":
        reason = {"en": f"aging needs a date field, not {kind}", "zh": f"账龄分段需要日期字段，而非 {kind}"}
        yield doc.problem("report.bad_dimension", here, field=path, reason=reason)
    elif "granularity" in dimension:
        reason = {"en": "give either a granularity or aging", "zh": "粒度与账龄分段只能二选一"}
        yield doc.problem("report.bad_dimension", here, field=path, reason=reason)
    elif any(a >= b for a, b in pairwise(bounds)):
        reason = {"en": "aging bounds must rise", "zh": "账龄分段的天数须递增"}
        yield doc.problem("report.bad_dimension", here, field=path, reason=reason)


def _grouped(
    doc: Document, index: Index, pointer: str, path: str, fields: Mapping, known: Known
) -> tuple[str | None, list[Problem]]:
    """The type of the values ``path`` groups by, or the problems that keep it from grouping."""
    head, _, step = path.partition(".")
    found = known(pointer, head)
    if found:
        return None, found
    kind = field_type(head, fields)
    if step:
        kind, problem = _step(doc, index, pointer, path, kind, fields.get(head))
        if problem is not None:
            return None, [problem]
    if kind in NOT_GROUPABLE:
        reason = {"en": f"a {kind} field cannot be grouped", "zh": f"{kind} 类型的字段不能分组"}
        return None, [doc.problem("report.bad_dimension", pointer, field=path, reason=reason)]
    return kind, []


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


def _date_field(
    doc: Document,
    fields: Mapping[str, Any],
    known: Known,
    here: str = "",
    spec: Mapping[str, Any] | None = None,
    *,
    year: bool = False,
) -> Iterator[Problem]:
    """The field time presets filter on; in a series, a year number will do."""
    name = (doc.data if spec is None else spec).get("date_field")
    if name is None:
        return
    found = known(f"{here}/date_field", name)
    kind = field_type(name, fields)
    if found:
        yield from found
    elif kind not in DATED and not (year and kind == "integer"):
        expected = {"en": "a date or datetime", "zh": "日期或日期时间"}
        yield doc.problem("ref.field_type", f"{here}/date_field", field=name, actual=kind, expected=expected)


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
    names = {m["name"]: m for m in measures_of(doc.data) if "name" in m}
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
    dimensions = {d.get("field") or d.get("name") for d in doc.data.get("dimensions", [])}
    names = dimensions | {m["name"] for m in measures_of(doc.data)}
    if sort.lstrip("-") not in names:
        yield doc.problem(
            "ref.unknown_field",
            "/sort",
            owner=REPORT,
            field=sort.lstrip("-"),
            hint=common.did_you_mean(sort.lstrip("-"), names),
        )
