"""Semantic checks of data documents (seed records)."""

from __future__ import annotations

import json
from collections.abc import Iterator

from ..index import Index
from ..index import fields_of
from ..problems import Problem
from ..source import Document
from . import common


def check_data(doc: Document, index: Index) -> Iterator[Problem]:
    entity, problems = common.entity_ref(index, doc, "/entity", doc.data["entity"])
    yield from problems
    if entity is None:
        return
    fields = fields_of(entity)
    if "key" in doc.data:
        yield from common.field_ref(doc, "/key", doc.data["key"], entity, fields)
    for i, record in enumerate(doc.data["records"]):
        for name, value in record.items():
            here = f"/records/{i}/{name}"
            yield from common.field_ref(doc, here, name, entity, fields)
            field = fields.get(name)
            if field is None or field["type"] not in ("select", "multiselect") or value is None:
                continue
            keys = [o if isinstance(o, str) else o["key"] for o in field["options"]]
            values = value if field["type"] == "multiselect" and isinstance(value, list) else [value]
            for item in values:
                if not isinstance(item, str) or item not in keys:
                    shown = item if isinstance(item, str) else json.dumps(item, ensure_ascii=False)
                    yield doc.problem(
                        "ref.unknown_option", here, value=shown, field=name, allowed=", ".join(keys)
                    )
