"""A change to a form that exists: its fields renamed, made (not) required or removed, and new
fields. A removed field's column is retired with its data (the migration plan keeps it), so
rolling the publish back restores the field and its values.

A form of an app made on the site is changed in its own document, in the published layer. A
form of an installed app (OA, CRM, a client package) is never edited: the change becomes the
designer's overlay on it (``overlays/designer/crm.customer.yaml``), so it survives upgrades of
the package like every overlay a consultant writes. That overlay is the designer's own: a
later change is merged into it, item by item, so earlier changes are kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from typing import Any

import yaml

from loom.metadata.catalog import Entity
from loom.metadata.catalog import Field

from . import design as designs

# What an existing field may be changed in here; the rest is done in YAML for now.
NOT_REQUIRABLE = ("boolean", "table")
# What may be added to a form that exists: the fields that need nothing but themselves.
KINDS = [kind for kind in designs.PALETTE if kind not in designs.NEW_FORMS_ONLY]


@dataclass
class ExistingField:
    """A field the form has, as shown and posted: its name never changes."""

    name: str
    type: str
    label_zh: str
    label_en: str
    required: bool
    can_require: bool = True
    remove: bool = False
    can_remove: bool = True


@dataclass
class FormChange:
    app: str
    entity: str
    existing: list[ExistingField] = field(default_factory=list)
    added: list[designs.FieldDesign] = field(default_factory=list)

    def added_names(self) -> list[str]:
        """Names of the new fields, from their English labels, never one the form has."""
        taken = {f.name for f in self.existing}
        return designs.FormDesign(fields=self.added).field_names(taken=taken)

    def removed(self) -> list[ExistingField]:
        return [f for f in self.existing if f.remove]


def start(entity: Entity) -> FormChange:
    """The form as it is: every field a user fills or sees, and nothing added yet."""
    return FormChange(
        app=entity.app,
        entity=entity.name,
        existing=[_shown(f, entity) for f in entity.fields if not f.hidden],
    )


def _shown(existing: Field, entity: Entity) -> ExistingField:
    return ExistingField(
        name=existing.name,
        type=existing.type,
        label_zh=existing.label.zh,
        label_en=existing.label.en,
        required=existing.required,
        can_require=existing.type not in NOT_REQUIRABLE
        and existing.compute is None
        and not existing.readonly,
        can_remove=existing.name != entity.title_field,
    )


def from_form(entity: Entity, form: Mapping[str, str]) -> FormChange:
    """The change a page posted: the entity's own fields with the names and flags typed for
    them (an unknown name is ignored), and the new fields."""
    shown = {f.name: f for f in start(entity).existing}
    existing: list[ExistingField] = []
    for number in range(len(shown)):
        posted = shown.get(form.get(f"existing-{number}-name", ""))
        if posted is None:
            continue
        existing.append(
            replace(
                posted,
                label_zh=designs.text(form, f"existing-{number}-label_zh"),
                label_en=designs.text(form, f"existing-{number}-label_en"),
                required=form.get(f"existing-{number}-required") == "on"
                if posted.can_require
                else posted.required,
                remove=posted.can_remove and form.get(f"existing-{number}-remove") == "on",
            )
        )
    return FormChange(app=entity.app, entity=entity.name, existing=existing, added=designs.rows(form, KINDS))


def edit(change: FormChange, action: str) -> FormChange:
    """The change after a palette or row button, on the new fields only."""
    edited = designs.edit(designs.FormDesign(fields=change.added), action)
    return replace(change, added=edited.fields)


def mistakes(change: FormChange) -> dict[str, Any]:
    """What must be fixed before the change is checked, keyed by input name."""
    found: dict[str, Any] = {}
    for number, existing in enumerate(change.existing):
        if not existing.label_zh:
            found[f"existing-{number}-label_zh"] = designs.MISSING_NAME
    found.update(designs.row_mistakes(change.added))
    return found


def is_empty(change: FormChange, entity: Entity) -> bool:
    return not change.added and not _edits(change, entity) and not change.removed()


def documents(change: FormChange, entity: Entity, layer: Mapping[str, str]) -> dict[str, str]:
    """The documents of the layer that change: the site-made entity's own, or the designer's
    overlay on an installed one (merged into the overlay earlier changes wrote)."""
    own = own_document(change, layer)
    if own is not None:
        path, document = own
        found = {path: designs.dump(_edited(document, change, entity))}
        laid_out = layer_document(layer, change.app, "form", lambda d: d.get("entity") == change.entity)
        if laid_out is not None:
            found[laid_out[0]] = designs.dump(_laid_out(laid_out[1], change))
        return found
    path = overlay_path(change)
    earlier = yaml.safe_load(layer[path]) if path in layer else None
    return {path: designs.dump(_overlay(change, entity, earlier))}


def overlay_path(change: FormChange) -> str:
    return f"overlays/designer/{change.app}.{change.entity}.yaml"


def own_document(change: FormChange, layer: Mapping[str, str]) -> tuple[str, dict[str, Any]] | None:
    """The site-made entity's document in the layer, if the form is one of those."""
    return layer_document(layer, change.app, "entity", lambda d: d.get("name") == change.entity)


def layer_document(
    layer: Mapping[str, str], app: str, kind: str, wanted: Callable[[dict[str, Any]], bool]
) -> tuple[str, dict[str, Any]] | None:
    """The first document of ``kind`` of the site-made ``app`` in the layer that is ``wanted``."""
    for path, text in sorted(layer.items()):
        if not path.startswith(f"apps/{app}/"):
            continue
        document = yaml.safe_load(text)
        if isinstance(document, dict) and document.get("kind") == kind and wanted(document):
            return path, document
    return None


def _edits(change: FormChange, entity: Entity) -> list[dict[str, Any]]:
    """One overlay item per existing field whose name or flag was changed: just what changed."""
    items: list[dict[str, Any]] = []
    for existing in change.existing:
        if existing.remove:
            continue
        now = entity.field(existing.name)
        item: dict[str, Any] = {}
        if (existing.label_zh, existing.label_en or existing.label_zh) != (now.label.zh, now.label.en):
            item["label"] = designs.label(existing.label_zh, existing.label_en)
        if existing.required != now.required:
            item["required"] = existing.required
        if item:
            items.append({"name": existing.name, **item})
    return items


def _added(change: FormChange) -> list[dict[str, Any]]:
    return [
        designs.field_document(name, row)
        for name, row in zip(change.added_names(), change.added, strict=True)
    ]


def _edited(document: dict[str, Any], change: FormChange, entity: Entity) -> dict[str, Any]:
    """The site-made entity's document with the change made in it."""
    gone = {f.name for f in change.removed()}
    fields = [dict(item) for item in document.get("fields", []) if item.get("name") not in gone]
    by_name = {item.get("name"): item for item in fields}
    for item in _edits(change, entity):
        edited = by_name[item["name"]]
        edited.update({k: v for k, v in item.items() if k != "name"})
        if edited.get("required") is False:
            del edited["required"]  # as the designer writes a field that is not required
    edited = {**document, "fields": fields + _added(change)}
    listing = document.get("list")
    if gone and isinstance(listing, dict) and isinstance(listing.get("columns"), list):
        edited["list"] = {**listing, "columns": [c for c in listing["columns"] if c not in gone]}
    return edited


def _laid_out(form: dict[str, Any], change: FormChange) -> dict[str, Any]:
    """The site-made entity's form with the change made in it: removed fields leave their
    section (and conditions reading them are dropped), new fields go under the last section."""
    if not isinstance(form.get("sections"), list):
        return form  # laid out in tabs, by hand: changed in YAML
    gone = {f.name for f in change.removed()}
    sections = [dict(section) for section in form.get("sections", []) if isinstance(section, dict)]
    for section in sections:
        kept: list[Any] = []
        for item in section.get("fields", []):
            named = item.get("field") if isinstance(item, dict) else item
            if named in gone:
                continue
            if isinstance(item, dict):
                item = {k: v for k, v in item.items() if not _reads(v, gone)}
            kept.append(named if item == {"field": named} else item)
        section["fields"] = kept
    if sections:
        sections[-1]["fields"] = [*sections[-1]["fields"], *change.added_names()]
    return {**form, "sections": [section for section in sections if section["fields"]]}


def _reads(value: Any, names: set[str]) -> bool:
    """Whether a condition (CEL text) reads one of the ``names``."""
    return isinstance(value, str) and any(re.search(rf"\b{name}\b", value) for name in names)


def _overlay(change: FormChange, entity: Entity, earlier: Any) -> dict[str, Any]:
    """The designer's overlay on an installed form: earlier items, merged with this change's."""
    patch = earlier.get("patch", {}) if isinstance(earlier, dict) else {}
    items = [dict(item) for item in patch.get("fields", []) if isinstance(item, dict)]
    by_name = {item.get("name"): item for item in items}
    for item in [*_edits(change, entity), *_added(change)]:
        if item["name"] in by_name:
            by_name[item["name"]].update(item)
        else:
            items.append(item)
    for removed in change.removed():  # a field the designer added goes; the package's is removed
        earlier_item = by_name.get(removed.name)
        if earlier_item is not None:
            items.remove(earlier_item)
        if earlier_item is None or "type" not in earlier_item:
            items.append({"name": removed.name, "remove": True})
    return {
        "kind": "overlay",
        "name": f"designer_{change.app}_{change.entity}"[:63],
        "label": {"zh": f"设计器修改：{entity.label.zh}", "en": f"Designer changes: {entity.label.en}"},
        "target": f"{change.app}.{change.entity}",
        "patch": {**patch, "fields": items},
    }
