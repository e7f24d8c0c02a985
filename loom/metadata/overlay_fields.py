"""What adding or removing an entity's field by overlay does to the lists that name fields.

Forms, list columns, filters, views and permissions name an entity's fields one by one, so
an overlay that only touched ``fields`` would leave them pointing at a removed field (an
error in a builtin file the consultant cannot edit) or never showing a new one. After all
overlays apply, a removed field is taken out of every such list (a view filtering on it
goes with it), and a field added by an overlay is placed in each of the entity's forms: in
the section its overlay item names with ``section``, else beside the field it was placed
``after``/``before``, else at the end of the last section. A form that already shows the
field, because an overlay of the form put it there, is left as it is.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import replace
from typing import Any

from .expressions import compile_expression
from .index import Index
from .index import Key
from .problems import Location
from .problems import Problem
from .source import Document
from .source import join_pointer


@dataclass(frozen=True, slots=True)
class Placement:
    """Where an overlay asked for a new field: its section, its neighbour, its own location."""

    section: str | None
    after: str | None
    before: str | None
    location: Location


def field_names(entity: Document) -> list[str]:
    return [f["name"] for f in entity.data.get("fields", []) if isinstance(f, dict) and "name" in f]


def placements(overlay: Document) -> dict[str, Placement]:
    """The fields an entity overlay declares (possibly new), with where each should show."""
    found: dict[str, Placement] = {}
    for i, item in enumerate(overlay.data["patch"].get("fields") or []):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or item.get("remove"):
            continue
        location, origin = overlay.source_of(f"/patch/fields/{i}")
        where = replace(location, pointer=origin)
        found[item["name"]] = Placement(
            _text(item.get("section")), _text(item.get("after")), _text(item.get("before")), where
        )
    return found


def removals(overlay: Document, entity: str) -> dict[str, Location]:
    """Where an overlay of ``entity`` removes fields: ``{"app.entity/field": its remove item}``."""
    return {
        f"{entity}/{item['name']}": overlay.locate(f"/patch/fields/{i}")
        for i, item in enumerate(overlay.data["patch"].get("fields") or [])
        if isinstance(item, dict) and isinstance(item.get("name"), str) and item.get("remove") is True
    }


def explain_removed(problems: list[Problem], removed: Mapping[str, Location]) -> list[Problem]:
    """Name the overlay in each problem about a field it removed that something still reads.

    The problem stays where the reference is, the place to patch next; its hint says which
    overlay line took the field away, so the two ends of the mistake are both in view.
    """
    by_name: dict[str, list[tuple[str, Location]]] = {}
    for key, location in removed.items():
        entity, name = key.split("/", 1)
        by_name.setdefault(name, []).append((entity, location))
    result = []
    for problem in problems:
        reference = {"ref.unknown_field": "field", "cel.unknown_name": "name"}.get(problem.code, "")
        name = str(problem.params.get(reference, ""))
        owner = problem.params.get("owner", {}).get("en", "") if reference == "field" else ""
        matches = [(e, loc) for e, loc in by_name.get(name, []) if not owner or f"'{e}'" in owner]
        if matches:
            entity, location = matches[0]
            hint = {
                "en": f" (removed from entity '{entity}' by the overlay at {location}: patch this too)",
                "zh": f"（已由 {location} 的覆盖层从实体“{entity}”删除：请一并修改此处）",
            }
            problem = replace(problem, params={**problem.params, "hint": hint})
        result.append(problem)
    return result


def follow_field_changes(
    index: Index, before: Mapping[Key, list[str]], placed: Mapping[Key, Mapping[str, Placement]]
) -> None:
    """Carry each overlaid entity's removed and added fields into its list and its forms."""
    for key, names in before.items():
        entity = index.documents.get(key)
        if entity is None:
            continue
        now = field_names(entity)
        removed = set(names) - set(now)
        hidden = {f["name"] for f in entity.data["fields"] if isinstance(f, dict) and f.get("hidden")}
        added = {
            name: placed.get(key, {}).get(name) for name in now if name not in names and name not in hidden
        }
        if removed:
            index.add(_without_in_entity(entity, removed))
        if not (removed or added):
            continue
        for form in list(index.of_kind("form")):
            if index.split(str(form.data.get("entity", "")), form.app or "") == key[1:]:
                index.add(_FormEdit(form).apply(removed, added))


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


class _Edit:
    """A copy of a document being changed, its positions kept in step with its lists."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.data = copy.deepcopy(doc.data)
        self.positions = dict(doc.positions)

    def relist(self, pointer: str, items: list[Any], sources: list[str | Location]) -> list[Any]:
        """``items`` now sit at ``pointer``; each came from an old pointer, or is new at a location."""
        old = {p: loc for p, loc in self.positions.items() if p.startswith(pointer + "/")}
        for p in old:
            del self.positions[p]
        for k, source in enumerate(sources):
            here = join_pointer(pointer, k)
            if isinstance(source, Location):
                self.positions[here] = source
                continue
            for p, loc in old.items():
                if p == source or p.startswith(source + "/"):
                    self.positions[here + p[len(source) :]] = loc
        return items

    def keep(self, pointer: str, items: list[Any], wanted: Iterable[bool]) -> list[Any]:
        kept = [
            (item, join_pointer(pointer, i))
            for (i, item), ok in zip(enumerate(items), wanted, strict=True)
            if ok
        ]
        return self.relist(pointer, [item for item, _ in kept], [src for _, src in kept])

    def drop_key(self, mapping: dict[str, Any], pointer: str, key: str) -> None:
        del mapping[key]
        here = join_pointer(pointer, key)
        for p in [p for p in self.positions if p == here or p.startswith(here + "/")]:
            del self.positions[p]

    def names(self, mapping: dict[str, Any], pointer: str, key: str, removed: set[str]) -> None:
        """Take ``removed`` out of a list of field names (or sort keys); an emptied list goes."""
        value = mapping.get(key)
        if isinstance(value, str) and value.lstrip("-") in removed:
            self.drop_key(mapping, pointer, key)
        elif isinstance(value, list):
            here = join_pointer(pointer, key)
            mapping[key] = self.keep(here, value, [str(v).lstrip("-") not in removed for v in value])
            if not mapping[key]:
                self.drop_key(mapping, pointer, key)

    def document(self) -> Document:
        return Document(self.data, self.positions, self.doc.file, self.doc.app)


def _without_in_entity(entity: Document, removed: set[str]) -> Document:
    edit = _Edit(entity)
    listing = edit.data.get("list")
    if isinstance(listing, dict):
        for key in ("columns", "filters", "sort"):
            edit.names(listing, "/list", key, removed)
        views = listing.get("views")
        if isinstance(views, list):
            views = listing["views"] = edit.keep(
                "/list/views", views, [not _reads(v, removed) for v in views]
            )
            for i, view in enumerate(views):
                if isinstance(view, dict):
                    for key in ("columns", "sort"):
                        edit.names(view, f"/list/views/{i}", key, removed)
    for i, grant in enumerate(edit.data.get("permissions") or []):
        if isinstance(grant, dict):
            for key in ("hidden", "readonly"):
                edit.names(grant, f"/permissions/{i}", key, removed)
    return edit.document()


def _reads(view: Any, removed: set[str]) -> bool:
    source = view.get("filter") if isinstance(view, dict) else None
    if not isinstance(source, str):
        return False
    try:
        return bool(compile_expression(source).variables & removed)
    except ValueError:
        return False  # reported by the entity's own checks


class _FormEdit(_Edit):
    def apply(self, removed: set[str], added: Mapping[str, Placement | None]) -> Document:
        sections = self._sections()
        for pointer, section in sections:
            items = section.get("fields")
            if isinstance(items, list):
                section["fields"] = self.keep(
                    f"{pointer}/fields", items, [_item(i) not in removed for i in items]
                )
        shown = {_item(i) for _, s in sections for i in s.get("fields") or []}
        for name, placement in added.items():
            if name not in shown and sections:
                self._place(sections, name, placement)
        self._drop_empty()
        return self.document()

    def _sections(self) -> list[tuple[str, dict[str, Any]]]:
        found = [(f"/sections/{i}", s) for i, s in enumerate(self.data.get("sections") or [])]
        for t, tab in enumerate(self.data.get("tabs") or []):
            if isinstance(tab, dict):
                found += [(f"/tabs/{t}/sections/{i}", s) for i, s in enumerate(tab.get("sections") or [])]
        return [(p, s) for p, s in found if isinstance(s, dict) and isinstance(s.get("fields"), list)]

    def _place(
        self, sections: list[tuple[str, dict[str, Any]]], name: str, placement: Placement | None
    ) -> None:
        pointer, section, at = _spot(sections, placement)
        items = section["fields"]
        sources: list[str | Location] = [join_pointer(f"{pointer}/fields", i) for i in range(len(items))]
        sources.insert(at, placement.location if placement else self.doc.locate(pointer))
        section["fields"] = self.relist(f"{pointer}/fields", [*items[:at], name, *items[at:]], sources)

    def _drop_empty(self) -> None:
        """A section whose every field went goes too, and a tab left without sections."""
        if isinstance(self.data.get("sections"), list):
            self.data["sections"] = self.keep(
                "/sections", self.data["sections"], map(_filled, self.data["sections"])
            )
        tabs = self.data.get("tabs")
        if isinstance(tabs, list):
            for t, tab in enumerate(tabs):
                if isinstance(tab, dict) and isinstance(tab.get("sections"), list):
                    tab["sections"] = self.keep(
                        f"/tabs/{t}/sections", tab["sections"], map(_filled, tab["sections"])
                    )
            self.data["tabs"] = self.keep(
                "/tabs", tabs, [not isinstance(t, dict) or bool(t.get("sections")) for t in tabs]
            )


def _spot(
    sections: list[tuple[str, dict[str, Any]]], placement: Placement | None
) -> tuple[str, dict[str, Any], int]:
    """(section pointer, section, index) for a new field: the section named, else beside its
    neighbour, else the end of the last section."""
    if placement is not None:
        for pointer, section in sections:
            if section.get("name") == placement.section:
                return pointer, section, len(section["fields"])
        neighbour = placement.after or placement.before
        for pointer, section in sections:
            names = [_item(i) for i in section["fields"]]
            if neighbour in names:
                return pointer, section, names.index(neighbour) + (1 if placement.after else 0)
    pointer, section = sections[-1]
    return pointer, section, len(section["fields"])


def _filled(section: Any) -> bool:
    return not isinstance(section, dict) or section.get("fields") != []


def _item(item: Any) -> Any:
    return item.get("field") if isinstance(item, dict) else item
