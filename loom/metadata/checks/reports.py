"""Semantic checks of report documents."""

from __future__ import annotations

from collections.abc import Iterator

from ..index import Index
from ..index import fields_of
from ..problems import Problem
from ..source import Document
from . import common

MEASURE = {"en": "measure", "zh": "指标"}


def check_report(doc: Document, index: Index) -> Iterator[Problem]:
    entity, problems = common.entity_ref(index, doc, "/entity", doc.data["entity"])
    yield from problems
    if entity is None:
        return
    fields = fields_of(entity)
    yield from common.expression(doc, "/filter", doc.data.get("filter"), common.entity_variables(entity))
    for i, dimension in enumerate(doc.data.get("dimensions", [])):
        yield from common.field_ref(
            doc, f"/dimensions/{i}/field", dimension["field"], entity, fields, system=True
        )
    yield from common.duplicates(doc, "/measures", doc.data["measures"], MEASURE)
    for i, measure in enumerate(doc.data["measures"]):
        here = f"/measures/{i}"
        if "field" not in measure:
            if measure["aggregate"] != "count":
                yield doc.problem("schema.required", here, key="field")
            continue
        yield from common.aggregated_field(
            doc, f"{here}/field", measure["aggregate"], measure["field"], entity, fields
        )
    for i, role in enumerate(doc.data.get("roles", [])):
        yield from common.role_ref(index, doc, f"/roles/{i}", role)
    sort = doc.data.get("sort")
    if sort is not None:
        names = {d["field"] for d in doc.data.get("dimensions", [])} | {
            m["name"] for m in doc.data["measures"]
        }
        if sort.lstrip("-") not in names:
            yield doc.problem(
                "ref.unknown_field",
                "/sort",
                owner={"en": "this report", "zh": "本报表"},
                field=sort.lstrip("-"),
                hint=common.did_you_mean(sort.lstrip("-"), names),
            )
