"""A change to a form that exists: its fields renamed or made (not) required, and new fields.

A form of an app made on the site is changed in its own document, in the published layer. A
form of an installed app (OA, CRM, a client package) is never edited: the change becomes the
designer's overlay on it (``overlays/designer/crm.customer.yaml``), so it survives upgrades of
the package like every overlay a consultant writes. That overlay is the designer's own: a
later change is merged into it, item by item, so earlier changes are kept.
"""

from __future__ import annotations

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


@dataclass
class ExistingField:
    """A field the form has, as shown and posted: its name never changes."""

    name: str
    type: str
    label_zh: str
    label_en: str
    required: bool
    can_require: bool = True


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


def start(entity: Entity) -> FormChange:
    """The form as it is: every field a user fills or sees, and nothing added yet."""
    return FormChange(
        app=entity.app,
        entity=entity.name,
        existing=[_shown(f) for f in entity.fields if not f.hidden],
    )


def _shown(existing: Field) -> ExistingField:
    return ExistingField(
        name=existing.name,
        type=existing.type,
        label_zh=existing.label.zh,
        label_en=existing.label.en,
        required=existing.required,
        can_require=existing.type not in NOT_REQUIRABLE
        and existing.compute is None
        and not existing.readonly,
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
            )
        )
    return FormChange(app=entity.app, entity=entity.name, existing=existing, added=designs.rows(form))


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
    return not change.added and not _edits(change, entity)


def documents(change: FormChange, entity: Entity, layer: Mapping[str, str]) -> dict[str, str]:
    """The documents of the layer that change: the site-made entity's own, or the designer's
    overlay on an installed one (merged into the overlay earlier changes wrote)."""
    own = own_document(change, layer)
    if own is not None:
        path, document = own
        return {path: designs.dump(_edited(document, change, entity))}
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
    fields = [dict(item) for item in document.get("fields", [])]
    by_name = {item.get("name"): item for item in fields}
    for item in _edits(change, entity):
        edited = by_name[item["name"]]
        edited.update({k: v for k, v in item.items() if k != "name"})
        if edited.get("required") is False:
            del edited["required"]  # as the designer writes a field that is not required
    return {**document, "fields": fields + _added(change)}


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
    return {
        "kind": "overlay",
        "name": f"designer_{change.app}_{change.entity}"[:63],
        "label": {"zh": f"设计器修改：{entity.label.zh}", "en": f"Designer changes: {entity.label.en}"},
        "target": f"{change.app}.{change.entity}",
        "patch": {**patch, "fields": items},
    }
