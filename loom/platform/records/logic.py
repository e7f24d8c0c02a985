"""The metadata-declared logic of a record: defaults, computed fields and rules (CEL).

An expression that cannot be evaluated because a value it reads is missing does not
block a save: a rule over empty fields is not applicable, and a computed field whose
inputs are missing is empty. That is what people filling a form half-way expect.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import MutableMapping
from typing import Any

from loom.metadata.catalog import Entity
from loom.metadata.catalog import Field
from loom.metadata.expressions import Expression

from ..actor import Actor
from .errors import FieldError

NOT_EVALUATED = object()


def cel_value(value: Any) -> Any:
    """A stored value as CEL sees it: decimals as doubles, dates and times as ISO text."""
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.datetime):
        # CEL takes UTC timestamps; a zone such as Asia/Shanghai would not convert.
        return value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list):
        return [cel_value(v) for v in value]
    if isinstance(value, Mapping):
        return {k: cel_value(v) for k, v in value.items()}
    return value


SYSTEM_NAMES = ("id", "created_at", "created_by", "updated_at", "updated_by", "owner", "flow_status")


class Names(MutableMapping[str, Any]):
    """The names of a record as CEL sees them, each converted when first read.

    An expression reads a few of a record's fields; converting all of them (decimals,
    dates, nested rows) for every evaluation cost more than evaluating. Values assigned
    are taken as already converted.
    """

    __slots__ = ("_converted", "_raw")

    def __init__(self, raw: dict[str, Any]) -> None:
        self._raw = raw
        self._converted: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        try:
            return self._converted[name]
        except KeyError:
            value = self._converted[name] = cel_value(self._raw[name])
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


def variables(entity: Entity, record: Mapping[str, Any], actor: Actor, now: dt.datetime) -> Names:
    """Every name an entity expression may read; absent fields are null, never undefined."""
    raw = {f.name: record.get(f.name) for f in entity.fields}
    for column in SYSTEM_NAMES:
        raw[column] = record.get(column)
    raw.update(current_user=actor.id, today=now.date().isoformat(), now=now)
    return Names(raw)


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
        result = evaluate(field.compute, names)
        record[field.name] = None if result is NOT_EVALUATED else stored_value(field, result)
        names[field.name] = cel_value(record[field.name])


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


def stored_kind(field: Field) -> str:
    """The type of value a field's column holds: a computed field's result type, a rollup's
    count or decimal."""
    if field.type == "computed":
        return field.result or "string"
    if field.type == "rollup":
        return "integer" if field.rollup is not None and field.rollup.aggregate == "count" else "decimal"
    return field.type


def stored_value(field: Field, value: Any) -> Any:
    """Convert a CEL result or an aggregate to the field's column type."""
    if value is None:
        return None
    kind = stored_kind(field)
    if kind in ("decimal", "money", "percent"):
        scale = field.scale if field.scale is not None else 2
        number = decimal.Decimal(str(value))
        if not number.is_finite():
            return number  # a double divided by zero: refused by the column check, never stored
        # Enough digits for any double, so a result too large for its column is kept whole
        # and refused with a message (records/derived.py) instead of raising here.
        context = decimal.Context(prec=max(28, number.adjusted() + scale + 2))
        return number.quantize(decimal.Decimal(1).scaleb(-scale), decimal.ROUND_HALF_UP, context)
    if kind == "integer":
        return int(value) if not isinstance(value, float) or math.isfinite(value) else None
    if kind == "boolean":
        return bool(value)
    if kind == "date":
        return dt.date.fromisoformat(str(value)[:10])
    if kind == "datetime":
        return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return str(value)


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
