"""Semantic checks of form documents: the entity exists and the layout names its fields."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..index import Index
from ..index import fields_of
from ..problems import Problem
from ..source import Document
from . import common

SECTION = {"en": "section", "zh": "分组"}
TAB = {"en": "tab", "zh": "标签页"}
CONDITIONS = ("visible_when", "required_when", "readonly_when")


def check_form(doc: Document, index: Index) -> Iterator[Problem]:
    entity, problems = common.entity_ref(index, doc, "/entity", doc.data["entity"])
    yield from problems
    variables = common.entity_variables(entity)
    yield from common.duplicates(doc, "/tabs", doc.data.get("tabs", []), TAB)
    sections = [(f"/sections/{i}", s) for i, s in enumerate(doc.data.get("sections", []))]
    for t, tab in enumerate(doc.data.get("tabs", [])):
        yield from common.expression(doc, f"/tabs/{t}/visible_when", tab.get("visible_when"), variables)
        sections += [(f"/tabs/{t}/sections/{i}", s) for i, s in enumerate(tab["sections"])]
    yield from _unique_sections(doc, sections)
    fields = fields_of(entity) if entity is not None else {}
    for pointer, section in sections:
        yield from common.expression(doc, f"{pointer}/visible_when", section.get("visible_when"), variables)
        for i, item in enumerate(section["fields"]):
            yield from _check_item(doc, f"{pointer}/fields/{i}", item, entity, fields, variables)


def _unique_sections(doc: Document, sections: list[tuple[str, dict[str, Any]]]) -> Iterator[Problem]:
    seen: dict[str, str] = {}
    for pointer, section in sections:
        name = section["name"]
        if name in seen:
            yield doc.problem(
                "name.duplicate",
                f"{pointer}/name",
                what=SECTION,
                name=name,
                other=str(doc.locate(seen[name])),
            )
        seen.setdefault(name, f"{pointer}/name")


def _check_item(
    doc: Document,
    pointer: str,
    item: Any,
    entity: Document | None,
    fields: dict[str, Any],
    variables: set[str],
) -> Iterator[Problem]:
    if isinstance(item, str):
        yield from common.field_ref(doc, pointer, item, entity, fields)
        return
    yield from common.field_ref(doc, f"{pointer}/field", item["field"], entity, fields)
    for key in CONDITIONS:
        yield from common.expression(doc, f"{pointer}/{key}", item.get(key), variables)
