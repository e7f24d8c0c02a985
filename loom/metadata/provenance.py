"""Where each property of a document came from: its package, a site overlay or a revision.

After overlays merge, every value of a document still remembers its file and line (see
``Document.source_of``), so the layer that set a property is read off its location: no
bookkeeping beside the merge, and it cannot drift from what the validator applied.
"""

from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .index import Key
from .problems import Location
from .source import Document


@dataclass(frozen=True, slots=True)
class Origin:
    """One property of the explained document, its value and where that value was set."""

    property: str  # a JSON pointer inside the document or the field: "/label/zh", "/required"
    value: Any
    location: Location


class UnknownTarget(LookupError):
    """The name matches no document (or no field of the entity it names)."""


def explain(documents: Mapping[Key, Document], target: str) -> tuple[Document, list[Origin]]:
    """The origins of ``app.name`` (a document's top-level properties) or ``app.entity.field``."""
    parts = target.split(".")
    if len(parts) not in (2, 3) or not all(parts):
        raise UnknownTarget(f"{target}: name a document as app.name, or a field as app.entity.field")
    app, name = parts[0], parts[1]
    found = [doc for (kind, a, n), doc in documents.items() if a == app and n == name and kind != "overlay"]
    if not found:
        raise UnknownTarget(f"{target}: no document '{app}.{name}'")
    doc = next((d for d in found if d.kind == "entity"), found[0])
    if len(parts) == 2:
        return doc, list(_document_origins(doc))
    fields = doc.data.get("fields") if doc.kind == "entity" else None
    index = next((i for i, f in enumerate(fields or ()) if f.get("name") == parts[2]), None)
    if index is None:
        raise UnknownTarget(f"{target}: entity '{app}.{name}' has no field '{parts[2]}'")
    base = f"/fields/{index}"
    return doc, [
        Origin(o.property[len(base) :] or "/", o.value, o.location)
        for o in _origins(doc, fields[index], base)  # type: ignore[index]
    ]


def _document_origins(doc: Document) -> Iterator[Origin]:
    """Every property but an entity's fields, which count one each, where they are declared
    (``app.entity.field`` explains one field property by property)."""
    for key, value in doc.data.items():
        if key == "fields" and doc.kind == "entity" and isinstance(value, list):
            for i, item in enumerate(value):
                name = item.get("name") if isinstance(item, Mapping) else None
                yield Origin(
                    f"/fields/{name}", item.get("type") if name else None, doc.locate(f"/fields/{i}/name")
                )
        else:
            yield from _origins(doc, value, f"/{key}")


def _origins(doc: Document, value: Any, pointer: str) -> Iterator[Origin]:
    """One origin per scalar (a list of plain values counts as one property)."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _origins(doc, item, f"{pointer}/{key}")
    elif isinstance(value, list) and any(isinstance(item, Mapping | list) for item in value):
        for i, item in enumerate(value):
            yield from _origins(doc, item, f"{pointer}/{i}")
    else:
        yield Origin(pointer or "/", value, doc.locate(pointer))
