"""What a publish changed, in a business admin's words, for the history (修改记录).

The metadata diff (``store.changes``, what ``GET /api/v1/metadata/diff`` lists) says which
documents of the layer a revision added, changed or removed. Here each of those documents is read
for what it means: an app or a form made or deleted, fields added, removed, renamed or made
required (in a form made on the site, or in an overlay on an installed form), the steps of an
approval flow. Names are the labels people see; a field or step an overlay names without a label
is looked up in the site's forms as they are now, then as the installed apps ship them (read
only when needed: loading every app takes a moment).
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from typing import Any

import yaml
from flask_babel import gettext as _
from flask_babel import ngettext

from loom.metadata.catalog import Catalog
from loom.metadata.catalog import thaw
from loom.platform.revisions import store

from . import flow as flows

MOST = 12  # sentences shown for one publish; the rest are counted
Document = dict[str, Any]


class Names:
    """Labels of forms, fields and flows in ``lang``: the catalog in use first, then the apps as
    installed (``base``, loaded on the first name the catalog in use does not have)."""

    def __init__(self, current: Catalog, base: Callable[[], Catalog | None], lang: str) -> None:
        self.catalogs: list[Catalog] = [current]
        self.base: Callable[[], Catalog | None] | None = base
        self.lang = lang

    def _each(self) -> Iterator[Catalog]:
        yield from self.catalogs
        if self.base is not None:
            loaded, self.base = self.base(), None
            if loaded is not None:
                self.catalogs.append(loaded)
                yield loaded

    def _shipped_first(self) -> list[Catalog]:
        everything = list(self._each())
        return everything[1:] + everything[:1]

    def entity(self, target: str) -> str:
        for catalog in self._each():
            if target in catalog.entities:
                return catalog.entities[target].label.get(self.lang)
        return target

    def field(self, target: str, name: str, shipped: bool = False) -> str:
        """A field's label: as it is now, or as its app ships it (``shipped``)."""
        for catalog in self._shipped_first() if shipped else self._each():
            entity = catalog.entities.get(target)
            if entity is not None and entity.has_field(name):
                return entity.field(name).label.get(self.lang)
        return name

    def flow(self, target: str) -> tuple[str, list[Document]]:
        """A flow's label, and its steps as its app ships them (before any overlay)."""
        for catalog in self._shipped_first():
            definition = catalog.definitions.get(("flow", target))
            if definition is not None:
                return definition.label.get(self.lang), thaw(definition.spec.get("nodes", []))
        return target, []


def described(before: Mapping[str, str], after: Mapping[str, str], names: Names) -> list[str]:
    """One sentence per app, form or flow the change from ``before`` to ``after`` touched."""
    said: list[str] = []
    others = 0
    for change in store.changes(before, after):
        path = change["path"]
        old, new = _load(before.get(path)), _load(after.get(path))
        sentence = _sentence(old, new, names)
        if sentence:
            said.append(sentence)
        else:
            others += 1
    if others:
        said.append(ngettext("%(num)d other setting changed.", "%(num)d other settings changed.", others))
    if len(said) > MOST:
        rest = len(said) - MOST + 1
        said = [*said[: MOST - 1], ngettext("and %(num)d more change.", "and %(num)d more changes.", rest)]
    return said  # none when only the installed apps' files changed (an upgrade): its message says so


def _load(text: str | None) -> Document:
    if text is None:
        return {}
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _sentence(old: Document, new: Document, names: Names) -> str:
    """What a document's change did to an app, a form or a flow; "" for the rest (a document of
    another kind, an overlay that is not of the designer's kinds, a change of other settings)."""
    kind = (new or old).get("kind")
    lang = names.lang
    if kind == "app":
        label = _caption(new or old, lang)
        if not old:
            return _("New app %(name)s.", name=label)
        return _("App %(name)s removed.", name=label) if not new else ""
    if kind == "entity":
        return _entity(old, new, names)
    if kind == "flow":
        return _flow(
            _caption(new or old, lang), old.get("nodes", []), new.get("nodes", []), lang, bool(old), bool(new)
        )
    if kind == "overlay":
        target = str((new or old).get("target", ""))
        if (new or old).get("target_kind") == "flow" and "nodes" in (new or old).get("replace", []):
            label, shipped = names.flow(target)
            was, now = _overlay_nodes(old, shipped), _overlay_nodes(new, shipped)
            return _flow(label, was, now, lang, True, True)  # the shipped flow is there before and after
        if (new or old).get("target_kind", "entity") == "entity":
            return _form(names.entity(target), _field_changes(target, old, new, names), lang)
    return ""


def _caption(document: Mapping[str, Any], lang: str) -> str:
    return flows.caption(document.get("label"), lang, str(document.get("name", "")))


def _form(label: str, items: list[str], lang: str) -> str:
    if not items:
        return ""
    return _("Form %(name)s: %(changes)s.", name=label, changes=("；" if lang == "zh" else "; ").join(items))


def _entity(old: Document, new: Document, names: Names) -> str:
    """A form made on the site: made, deleted, or its fields changed."""
    lang = names.lang
    label = _caption(new or old, lang)
    if not old:
        count = len(new.get("fields", []))
        return ngettext(
            "New form %(name)s, with %(num)d field.",
            "New form %(name)s, with %(num)d fields.",
            count,
            name=label,
        )
    if not new:
        return _("Form %(name)s deleted.", name=label)
    before = {str(f.get("name")): f for f in old.get("fields", []) if isinstance(f, dict)}
    after = {str(f.get("name")): f for f in new.get("fields", []) if isinstance(f, dict)}
    items = [_("field %(name)s added", name=_caption(after[n], lang)) for n in after if n not in before]
    items += [_("field %(name)s removed", name=_caption(before[n], lang)) for n in before if n not in after]
    for name in [n for n in after if n in before]:
        items += _edits(_caption(before[name], lang), before[name], after[name], lang)
    return _form(label, items, lang)


def _field_changes(target: str, old: Document, new: Document, names: Names) -> list[str]:
    """The items of an overlay on an installed form, before and after, as changes of its fields."""
    before, after = _items(old), _items(new)
    items: list[str] = []
    for name in [*after, *(n for n in before if n not in after)]:
        was, now = before.get(name, {"name": name}), after.get(name, {"name": name})
        shown = _caption(was, names.lang) if "label" in was else names.field(target, name, shipped=True)
        if "type" in now and "type" not in was:
            items.append(_("field %(name)s added", name=_caption(now, names.lang)))
        elif ("type" in was and "type" not in now) or (now.get("remove") and not was.get("remove")):
            items.append(_("field %(name)s removed", name=shown))
        elif was.get("remove") and not now.get("remove"):
            items.append(_("field %(name)s brought back", name=names.field(target, name)))
        else:
            items += _edits(shown, was, now, names.lang)
    return items


def _items(overlay: Document) -> dict[str, Document]:
    patch = overlay.get("patch")
    fields = patch.get("fields", []) if isinstance(patch, dict) else []
    return {str(item["name"]): item for item in fields if isinstance(item, dict) and "name" in item}


def _edits(shown: str, was: Document, now: Document, lang: str) -> list[str]:
    """A field's name, required flag and other settings, changed from ``was`` to ``now``."""
    items: list[str] = []
    if "label" in now and _caption(now, lang) != shown:
        items.append(_("field %(old)s renamed %(new)s", old=shown, new=_caption(now, lang)))
    if bool(was.get("required")) != bool(now.get("required")) and ("required" in was or "required" in now):
        if now.get("required"):
            items.append(_("field %(name)s made required", name=shown))
        else:
            items.append(_("field %(name)s no longer required", name=shown))
    rest = ("label", "required")
    if {k: v for k, v in was.items() if k not in rest} != {k: v for k, v in now.items() if k not in rest}:
        items.append(_("other settings of field %(name)s changed", name=shown))
    return items


def _overlay_nodes(overlay: Document, shipped: list[Document]) -> list[Document]:
    patch = overlay.get("patch")
    nodes = patch.get("nodes") if isinstance(patch, dict) else None
    return nodes if isinstance(nodes, list) else shipped


def _flow(label: str, old: Any, new: Any, lang: str, existed: bool, exists: bool) -> str:
    """An approval flow made, deleted, or its steps changed (then the chain as it now is)."""
    if not existed:
        return _("New approval flow %(name)s: %(chain)s.", name=label, chain=flows.chain_words(new, lang))
    if not exists:
        return _("Approval flow %(name)s deleted.", name=label)
    before, after = dict(_steps(old)), dict(_steps(new))
    items = [_("step %(name)s added", name=_step(after[n], lang)) for n in after if n not in before]
    items += [_("step %(name)s removed", name=_step(before[n], lang)) for n in before if n not in after]
    items += [
        _("step %(name)s changed", name=_step(after[n], lang))
        for n in after
        if n in before and _own(before[n]) != _own(after[n])
    ]
    if not items:
        return ""
    sep = "；" if lang == "zh" else "; "
    return _(
        "Approval flow %(name)s: %(changes)s. Now: %(chain)s.",
        name=label,
        changes=sep.join(items),
        chain=flows.chain_words(new, lang),
    )


def _steps(nodes: Any) -> Iterator[tuple[str, Document]]:
    """Every step of a chain, lanes' steps included, by name."""
    for node in nodes if isinstance(nodes, list) else []:
        if isinstance(node, dict) and "name" in node:
            yield str(node["name"]), node
            for lane in flows.lanes_of(node):
                yield from _steps(flows.lane_steps(lane))


def _step(node: Document, lang: str) -> str:
    return flows.caption(node.get("label"), lang, str(node["name"]))


def _own(node: Document) -> Document:
    """A step's settings without the steps of its lanes (those are compared on their own)."""
    return {
        k: ([{**lane, "nodes": None, "else": None} for lane in v] if k in flows.LANED else v)
        for k, v in node.items()
    }
