"""Overlays: a client's patches to documents of packages it does not own.

Lists of named items merge by name (``name``; ``field`` for form items, ``key`` for options,
``role`` for permissions; or the string itself); ``remove: true`` drops an item;
``before``/``after`` place an item; mappings merge key by key; anything else is replaced.
A key of the patch the overlay lists in ``replace`` replaces the target's value whole (the
designer's chain of a flow's steps replaces the package's ``nodes``).
The merged document keeps, for every value, the location it came from, so a problem in a
patched field points into the overlay file.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import replace
from typing import Any

from .problems import Location
from .problems import Problem
from .source import Document
from .source import join_pointer

# ``section``: the form section a field added to an entity shows in (see overlay_fields).
ITEM_DIRECTIVES = ("remove", "before", "after", "section")
# What names an item of a list: fields and nodes by name, form items by field, options by
# key, permissions by role; a plain string names itself.
NAME_KEYS = ("name", "field", "key", "role")
_ACTIONS = {
    "change": {"en": "change", "zh": "修改"},
    "remove": {"en": "remove", "zh": "删除"},
    "before": {"en": "place an item before", "zh": "将项目放在其前面"},
    "after": {"en": "place an item after", "zh": "将项目放在其后面"},
}


def overlay_target(overlay: Document) -> tuple[str, str, str]:
    """(kind, app, name) of the document an overlay patches."""
    app, name = overlay.data["target"].split(".", 1)
    return overlay.data.get("target_kind", "entity"), app, name


def apply_overlay(base: Document, overlay: Document) -> tuple[Document, list[Problem]]:
    """``base`` with ``overlay``'s patch applied; problems for patches that cannot apply."""
    merger = _Merger(overlay)
    src = _Source(base, "")
    patch = _Source(overlay, "/patch")
    whole = frozenset(overlay.data.get("replace", ()))
    data = merger.mapping(base.data, src, overlay.data["patch"], patch, "", whole)
    return Document(data, merger.positions, base.file, base.app), merger.problems


@dataclass(frozen=True, slots=True)
class _Source:
    """Where a value came from: a document and the pointer inside it."""

    doc: Document
    pointer: str

    def child(self, token: str | int) -> _Source:
        return _Source(self.doc, join_pointer(self.pointer, token))

    def location(self) -> Location:
        """Where the value is, remembering its pointer in its own file."""
        location, origin = self.doc.source_of(self.pointer)
        return replace(location, pointer=origin)


class _Merger:
    def __init__(self, overlay: Document) -> None:
        self.overlay = overlay
        self.positions: dict[str, Location] = {}
        self.problems: list[Problem] = []

    def merge(self, base: Any, src: _Source, patch: Any, psrc: _Source, out: str, key: str) -> Any:
        if isinstance(patch, dict) and isinstance(base, dict):
            return self.mapping(base, src, patch, psrc, out)
        if (
            isinstance(patch, list)
            and isinstance(base, list)
            and (_is_named_list(base) or _is_named_list(patch))
        ):
            return self.named_list(base, src, patch, psrc, out, key)
        return self.copy(patch, psrc, out)

    def mapping(
        self,
        base: dict,
        src: _Source,
        patch: dict,
        psrc: _Source,
        out: str,
        whole: frozenset[str] = frozenset(),
    ) -> dict:
        """``base`` with ``patch`` merged in; the keys in ``whole`` are taken from the patch as they are."""
        self.positions[out] = src.location()
        result: dict[str, Any] = {}
        for key, value in base.items():
            here = join_pointer(out, key)
            if key in patch and key in whole:
                result[key] = self.copy(patch[key], psrc.child(key), here)
            elif key in patch:
                result[key] = self.merge(value, src.child(key), patch[key], psrc.child(key), here, key)
            else:
                result[key] = self.copy(value, src.child(key), here)
        for key, value in patch.items():
            if key not in base:
                result[key] = self.copy(value, psrc.child(key), join_pointer(out, key))
        return result

    def named_list(self, base: list, src: _Source, patch: list, psrc: _Source, out: str, key: str) -> list:
        """Merge by item name; returns the list with positions recorded for its final order."""
        items: list[tuple[Any, Any, _Source]] = [(_item_name(v), v, src.child(i)) for i, v in enumerate(base)]
        for i, change in enumerate(patch):
            self._apply_item(items, change, psrc.child(i), key)
        self.positions[out] = src.location()
        result = []
        for i, (_, value, origin) in enumerate(items):
            if origin.doc is self.overlay and isinstance(value, dict):
                value = {k: v for k, v in value.items() if k not in ITEM_DIRECTIVES}
            result.append(self._place(value, origin, join_pointer(out, i)))
        return result

    def _place(self, value: Any, origin: _Source, out: str) -> Any:
        """Record positions of an item already merged; it may mix base and overlay values."""
        if isinstance(value, _Merged):
            self.positions.update({out + p: loc for p, loc in value.positions.items()})
            return value.value
        return self.copy(value, origin, out)

    def _apply_item(
        self, items: list[tuple[Any, Any, _Source]], change: Any, psrc: _Source, key: str
    ) -> None:
        name = _item_name(change)
        names = [n for n, _, _ in items]
        directives = change if isinstance(change, dict) else {}
        if "before" in directives and "after" in directives:
            self.problems.append(self.overlay.problem("overlay.conflicting_anchor", psrc.pointer))
            return
        existing = names.index(name) if name in names else None
        if directives.get("remove") is True:
            if existing is None:
                self._missing(psrc, "remove", name, key)
            else:
                del items[existing]
            return
        if existing is None and self._patches_a_field(change, key):
            self._missing(psrc, "change", name, key)  # renamed or removed by the package, most likely
            return
        if existing is not None:
            _, value, origin = items.pop(existing)
            merged = self._merge_item(value, origin, change, psrc, key)
            entry = (name, merged, origin)
        else:
            entry = (name, change, psrc)
            existing = len(items)
        position = self._anchor(items, directives, psrc, key, default=existing)
        items.insert(position, entry)

    def _merge_item(self, value: Any, origin: _Source, change: Any, psrc: _Source, key: str) -> Any:
        if not (isinstance(value, dict) and isinstance(change, dict)):
            return value
        patch = {k: v for k, v in change.items() if k not in ITEM_DIRECTIVES}
        nested = _Merger(self.overlay)
        merged = nested.mapping(value, origin, patch, psrc, "")
        self.problems.extend(nested.problems)
        return _Merged(merged, nested.positions)

    def _anchor(self, items: list, directives: dict, psrc: _Source, key: str, default: int) -> int:
        for where in ("before", "after"):
            anchor = directives.get(where)
            if anchor is None:
                continue
            names = [n for n, _, _ in items]
            if anchor not in names:
                self.problems.append(
                    self.overlay.problem(
                        "overlay.missing_anchor",
                        join_pointer(psrc.pointer, where),
                        anchor=anchor,
                        where=where,
                        key=key,
                    )
                )
                return default
            return names.index(anchor) + (1 if where == "after" else 0)
        return default

    def _patches_a_field(self, change: Any, key: str) -> bool:
        """A change of an entity field the target lacks: a new field always says its type."""
        is_entity = self.overlay.data.get("target_kind", "entity") == "entity"
        return (
            is_entity
            and key == "fields"
            and isinstance(change, dict)
            and "name" in change
            and "type" not in change
        )

    def _missing(self, psrc: _Source, action: str, name: Any, key: str) -> None:
        self.problems.append(
            self.overlay.problem(
                "overlay.missing_item", psrc.pointer, action=_ACTIONS[action], item=name, key=key
            )
        )

    def copy(self, value: Any, src: _Source, out: str) -> Any:
        """Take ``value`` whole from ``src``, recording the positions of all its parts."""
        self.positions[out] = src.location()
        if isinstance(value, dict):
            return {k: self.copy(v, src.child(k), join_pointer(out, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [self.copy(v, src.child(i), join_pointer(out, i)) for i, v in enumerate(value)]
        return value


@dataclass(frozen=True, slots=True)
class _Merged:
    """An item merged from base and overlay, with positions relative to the item."""

    value: Any
    positions: dict[str, Location]


def _is_named_list(items: Iterable[Any]) -> bool:
    return any(isinstance(item, dict) and any(key in item for key in NAME_KEYS) for item in items)


def _item_name(item: Any) -> Any:
    if isinstance(item, dict):
        return next((item[key] for key in NAME_KEYS if key in item), None)
    return item if isinstance(item, str) else None


def not_customizable(base: Document, overlay: Document) -> Iterator[Problem]:
    """What ``overlay`` may not change: a document or entity field its package marked
    ``customizable: false``. The package's own overlays may (it owns the document)."""
    if overlay.app is not None and overlay.app == base.app:
        return
    target = overlay.data.get("target", "")
    if base.data.get("customizable") is False:
        yield overlay.problem("overlay.not_customizable", "/target", target=target)
        return
    fields = {f.get("name"): f for f in base.data.get("fields", ()) if isinstance(f, dict)}
    patched = overlay.data.get("patch", {}).get("fields") if base.kind == "entity" else None
    for i, item in enumerate(patched if isinstance(patched, list) else ()):
        name = item.get("name") if isinstance(item, dict) else item
        if isinstance(fields.get(name), dict) and fields[name].get("customizable") is False:
            yield overlay.problem(
                "overlay.field_not_customizable", f"/patch/fields/{i}", target=target, field=name
            )
