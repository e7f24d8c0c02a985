"""The conditions of an entity's form (``required_when``, ``readonly_when``), checked by the
records service on every write, whoever writes: the portal, the API, the console, automations
run as a user. The portal shows the same conditions as the user types; here they decide.

The form that counts is the entity's main form: the one marked ``default: true``, else its
first form in the Catalog. Its conditions are evaluated on the record as it would be saved
(the stored values with the write's changes, computed values included), as the portal's form
evaluates them. A field is required by its ``required_when`` only while it is visible (its own,
its section's and its tab's ``visible_when``) and not read-only. Writes by the system
(automations that run as system, flow actions, an approver's ``editable`` values) are not
subject to them: forms describe what people fill in.
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
from loom.metadata.expressions import Expression

from ..actor import Actor
from . import logic
from .audit import differs
from .errors import FieldError


@dataclass(frozen=True, slots=True)
class Condition:
    field: str
    visible: tuple[Expression, ...]  # the item's, its section's and its tab's visible_when
    required_when: Expression | None
    readonly_when: Expression | None


def main_form(catalog: Catalog, entity: Entity) -> Definition | None:
    """The entity's form marked ``default``, else its first one; None when it has none."""
    forms = [d for d in catalog.of_kind("form") if d.entity == entity.qualified_name]
    return next((d for d in forms if d.spec.get("default")), forms[0] if forms else None)


def conditions(catalog: Catalog, entity: Entity) -> tuple[Condition, ...]:
    """The main form's fields that carry a required_when or readonly_when."""
    form = main_form(catalog, entity)
    if form is None:
        return ()
    return tuple(c for c in _items(form) if c.required_when is not None or c.readonly_when is not None)


def _items(form: Definition) -> Iterator[Condition]:
    spec, expressions = form.spec, form.expressions
    tabs = [(f"/tabs/{t}", tab) for t, tab in enumerate(spec["tabs"])] if "tabs" in spec else [("", spec)]
    for tab_pointer, tab in tabs:
        tab_visible = expressions.get(f"{tab_pointer}/visible_when") if tab_pointer else None
        for s, section in enumerate(tab.get("sections", ())):
            here = f"{tab_pointer}/sections/{s}"
            visible = tuple(v for v in (tab_visible, expressions.get(f"{here}/visible_when")) if v)
            for i, raw in enumerate(section["fields"]):
                name = raw if isinstance(raw, str) else raw["field"]
                item = f"{here}/fields/{i}"
                own = expressions.get(f"{item}/visible_when")
                yield Condition(
                    name,
                    (*visible, own) if own is not None else visible,
                    expressions.get(f"{item}/required_when"),
                    expressions.get(f"{item}/readonly_when"),
                )


def form_errors(
    rules: tuple[Condition, ...],
    entity: Entity,
    record: Mapping[str, Any],
    given: Mapping[str, Any],
    existing: Mapping[str, Any] | None,
    actor: Actor,
    now: dt.datetime,
    locked: frozenset[str],
) -> list[FieldError]:
    """Changes to fields read-only by their condition, and fields required by theirs left empty.

    ``rules`` are the entity's ``conditions``; ``given`` the values the write sets; ``locked``
    the fields the actor may not write anyway (those are not required of them).
    """
    if actor.is_system or not rules:
        return []
    names = logic.variables(entity, record, actor, now)

    def holds(expression: Expression | None) -> bool:
        return expression is not None and logic.evaluate(expression, names) is True

    errors = []
    for rule in rules:
        if not entity.has_field(rule.field):
            continue
        readonly = holds(rule.readonly_when)
        if readonly and rule.field in given and _changes(entity, rule.field, given, existing, actor, now):
            errors.append(FieldError(rule.field, "readonly"))
        visible = all(logic.evaluate(v, names) is True for v in rule.visible)
        required = holds(rule.required_when) and visible and not readonly and rule.field not in locked
        if required and record.get(rule.field) in (None, "", []):
            errors.append(FieldError(rule.field, "required"))
    return errors


def _changes(
    entity: Entity,
    name: str,
    given: Mapping[str, Any],
    existing: Mapping[str, Any] | None,
    actor: Actor,
    now: dt.datetime,
) -> bool:
    """Whether the write changes the field: from its stored value, or on create from its default."""
    if existing is not None:
        return differs(existing.get(name), given[name])
    field = entity.field(name)
    default = logic.default_value(field, actor, now) if field.default is not None else None
    return differs(default, given[name])
