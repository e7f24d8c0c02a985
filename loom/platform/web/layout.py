"""A form's layout (tabs, sections, columns) and the live state of its fields.

The layout comes from the entity's ``form`` document (the one marked ``default``, else the
first), or is generated: one section of every field the user may see. The state (which
fields are visible, required and read-only, and the computed values) is evaluated on the
server with the Catalog's compiled CEL, both when a page is drawn and as the user types,
so the browser and the records service can never disagree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from loom.metadata.catalog import Catalog
from loom.metadata.catalog import Definition
from loom.metadata.catalog import Entity
from loom.metadata.catalog import Field
from loom.metadata.catalog import Label
from loom.metadata.catalog import thaw
from loom.metadata.expressions import Expression

from ..actor import Actor
from ..records import logic
from ..records.form_rules import main_form
from .widgets import is_computed

WIDE = frozenset({"table", "text", "rich_text", "json", "multiselect", "many"})
GENERATED_COLUMNS = 2


@dataclass(frozen=True, slots=True)
class Item:
    field: Field
    label: Label
    help: Label | None
    span: int
    visible_when: Expression | None = None
    required_when: Expression | None = None
    readonly_when: Expression | None = None


@dataclass(frozen=True, slots=True)
class Section:
    name: str
    label: Label | None
    columns: int
    items: tuple[Item, ...]
    collapsed: bool = False
    visible_when: Expression | None = None


@dataclass(frozen=True, slots=True)
class Tab:
    name: str
    label: Label | None
    sections: tuple[Section, ...]
    visible_when: Expression | None = None


@dataclass(frozen=True, slots=True)
class Layout:
    tabs: tuple[Tab, ...]

    def items(self) -> Iterator[Item]:
        for tab in self.tabs:
            for section in tab.sections:
                yield from section.items


@dataclass(frozen=True, slots=True)
class FieldState:
    visible: bool
    required: bool
    readonly: bool


@dataclass(frozen=True, slots=True)
class FormState:
    fields: Mapping[str, FieldState]
    shown: Mapping[str, bool]  # ``tab-<name>`` and ``section-<name>``
    record: Mapping[str, Any]  # the typed record the expressions saw, computed values included


def layout_of(catalog: Catalog, entity: Entity, hidden: frozenset[str]) -> Layout:
    """The entity's form layout without the fields the user may not see."""
    form = main_form(catalog, entity)
    if form is None:
        return _generated(entity, hidden)
    spec = form.spec
    if "tabs" in spec:
        tabs = tuple(
            Tab(
                tab["name"],
                Label.of(thaw(tab["label"])),
                _sections(form, entity, hidden, tab["sections"], f"/tabs/{t}"),
                form.expressions.get(f"/tabs/{t}/visible_when"),
            )
            for t, tab in enumerate(spec["tabs"])
        )
    else:
        tabs = (Tab("main", None, _sections(form, entity, hidden, spec.get("sections", ()), "")),)
    return Layout(tabs)


def _sections(
    form: Definition, entity: Entity, hidden: frozenset[str], specs: Any, pointer: str
) -> tuple[Section, ...]:
    sections = []
    for s, spec in enumerate(specs):
        here = f"{pointer}/sections/{s}"
        items = []
        for i, raw in enumerate(spec["fields"]):
            item = {"field": raw} if isinstance(raw, str) else raw
            if item["field"] in hidden or not entity.has_field(item["field"]):
                continue
            field = entity.field(item["field"])
            items.append(
                Item(
                    field,
                    Label.of(thaw(item["label"])) if "label" in item else field.label,
                    Label.of(thaw(item["help"])) if "help" in item else field.help,
                    int(item.get("span", 1)),
                    *(form.expressions.get(f"{here}/fields/{i}/{k}") for k in _CONDITIONS),
                )
            )
        sections.append(
            Section(
                spec["name"],
                Label.of(thaw(spec["label"])) if "label" in spec else None,
                spec.get("columns", 1),
                tuple(items),
                spec.get("collapsed", False),
                form.expressions.get(f"{here}/visible_when"),
            )
        )
    return tuple(sections)


_CONDITIONS = ("visible_when", "required_when", "readonly_when")


def _generated(entity: Entity, hidden: frozenset[str]) -> Layout:
    items = tuple(
        Item(f, f.label, f.help, GENERATED_COLUMNS if f.type in WIDE or f.multiple else 1)
        for f in entity.fields
        if f.name not in hidden and not f.hidden
    )
    return Layout((Tab("main", None, (Section("main", None, GENERATED_COLUMNS, items),)),))


def evaluate_state(
    layout: Layout,
    entity: Entity,
    record: dict[str, Any],
    actor: Actor,
    now: dt.datetime,
    locked: frozenset[str],
) -> FormState:
    """Visible, required and read-only for every item, with computed values filled in.

    A condition that cannot be evaluated yet (a value it reads is missing) does not hold.
    """
    logic.apply_computed(entity, record, actor, now)
    names = logic.variables(entity, record, actor, now)

    def holds(expression: Expression | None, otherwise: bool) -> bool:
        return otherwise if expression is None else logic.evaluate(expression, names) is True

    fields = {
        item.field.name: FieldState(
            visible=holds(item.visible_when, True),
            required=item.field.required or holds(item.required_when, False),
            readonly=item.field.readonly
            or is_computed(item.field)
            or item.field.name in locked
            or holds(item.readonly_when, False),
        )
        for item in layout.items()
    }
    shown = {f"tab-{tab.name}": holds(tab.visible_when, True) for tab in layout.tabs}
    shown.update(
        {f"section-{s.name}": holds(s.visible_when, True) for tab in layout.tabs for s in tab.sections}
    )
    return FormState(fields, shown, record)
