"""The metadata-declared logic of a record: defaults, computed fields and rules (CEL).

An expression that cannot be evaluated because a value it reads is missing does not
block a save: a rule over empty fields is not applicable, and a computed field whose
inputs are missing is empty. That is what people filling a form half-way expect.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import MutableMapping
from typing import Any

from loom.metadata.catalog import Entity
from loom.metadata.catalog import Field
from loom.metadata.expressions import Expression

from .. import fieldtypes
from ..actor import Actor
from ..fieldtypes.base import cel_value as cel_value
from .errors import FieldError

NOT_EVALUATED = object()


SYSTEM_NAMES = ("id", "created_at", "created_by", "updated_at", "updated_by", "owner", "flow_status")


class Names(MutableMapping[str, Any]):
    """The names of a record as CEL sees them, each converted when first read (by its field's
    type, so an identity number reads as its parts).

    An expression reads a few of a record's fields; converting all of them (decimals,
    dates, nested rows) for every evaluation cost more than evaluating. Values assigned
    are taken as already converted.
    """

    __slots__ = ("_converted", "_entity", "_raw")

    def __init__(self, raw: dict[str, Any], entity: Entity) -> None:
        self._raw = raw
        self._entity = entity  # its fields by name, without building a mapping per record
        self._converted: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        try:
            return self._converted[name]
        except KeyError:
            field = self._entity.field(name) if self._entity.has_field(name) else None
            value = self._converted[name] = cel_of(field, self._raw[name])
            return value

    def __setitem__(self, name: str, value: Any) -> None:
        self._raw[name] = value
        self._converted[name] = value

    def __delitem__(self, name: str) -> None:
        del self._raw[name]
        self._converted.pop(name, None)

    def __contains__(self, name: object) -> bool:
        return name in self._raw

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)


def variables(entity: Entity, record: Mapping[Any, Any], actor: Actor, now: dt.datetime) -> Names:
    """Every name an entity expression may read; absent fields are null, never undefined."""
    raw = {f.name: record.get(f.name) for f in entity.fields}
    for column in SYSTEM_NAMES:
        raw[column] = record.get(column)
    raw.update(current_user=actor.id, today=now.date().isoformat(), now=now)
    return Names(raw, entity)


def cel_of(field: Field | None, value: Any) -> Any:
    """A field's stored value as CEL reads it (a name that is no field: by its Python type)."""
    return cel_value(value) if field is None else fieldtypes.of(field.type).cel(field, value)


def evaluate(expression: Expression, names: Mapping[str, Any]) -> Any:
    try:
        return expression.evaluate(names)
    except Exception:
        return NOT_EVALUATED


def default_value(field: Field, actor: Actor, now: dt.datetime) -> Any:
    default = field.default
    if default == "=current_user":
        return actor.id
    if default == "=today":
        return now.date()
    if default == "=now":
        return now
    if isinstance(default, tuple):
        return list(default)
    return default


def apply_computed(entity: Entity, record: dict[str, Any], actor: Actor, now: dt.datetime) -> None:
    """Set every computed field, once each, after the computed fields it reads."""
    computed = in_dependency_order([f for f in entity.fields if f.compute is not None])
    if not computed:
        return
    names = variables(entity, record, actor, now)
    for field in computed:
        result = evaluate(field.compute, names) if field.compute is not None else NOT_EVALUATED
        record[field.name] = None if result is NOT_EVALUATED else stored_value(field, result)
        names[field.name] = cel_of(field, record[field.name])


def in_dependency_order(computed: list[Field]) -> list[Field]:
    """Computed fields with each after those it reads (declaration order otherwise).

    Fields that read each other in a circle are taken in declaration order from where the
    circle is entered; they have no right value to converge to.
    """
    by_name = {f.name: f for f in computed}
    ordered: dict[str, Field] = {}
    visiting: set[str] = set()

    def visit(field: Field) -> None:
        if field.name in ordered or field.name in visiting:
            return
        visiting.add(field.name)
        for name in sorted(field.compute.variables if field.compute else ()):
            if name in by_name:
                visit(by_name[name])
        ordered[field.name] = field

    for field in computed:
        visit(field)
    return list(ordered.values())


def stored_value(field: Field, value: Any) -> Any:
    """Convert a CEL result or an aggregate to the field's column type."""
    return None if value is None else fieldtypes.of(field.type).stored(field, value)


def broken_rules(
    entity: Entity, record: Mapping[str, Any], actor: Actor, now: dt.datetime
) -> list[FieldError]:
    if not entity.rules:
        return []
    names = variables(entity, record, actor, now)
    errors = []
    for rule in entity.rules:
        if rule.when is not None and evaluate(rule.when, names) is not True:
            continue
        if evaluate(rule.check, names) is False:
            text = {"en": rule.message.en, "zh": rule.message.zh}
            errors.append(FieldError(rule.field or "_record", "rule", {"text": text, "rule": rule.name}))
    return errors
