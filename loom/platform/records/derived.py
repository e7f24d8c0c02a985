"""Whether the values the server derives fit the columns that store them.

Entered values are checked by their schema (``schemas.py``); computed fields and rollups
are not entered, so nothing checked them: a product of two values that each fit can
have more digits than its column. SQLite stores it anyway, PostgreSQL refuses the
statement; both must refuse it the same way, as a field error that says the value was
computed and what it would have to fit.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable
from collections.abc import Mapping
from typing import Any

from loom.metadata.catalog import Entity
from loom.metadata.catalog import Field

from .. import fieldtypes
from ..fieldtypes.base import TEXT_LENGTH
from ..fieldtypes.numbers import numeric_digits
from .errors import FieldError
from .schemas import MAX_ID as MAX_INTEGER
from .schemas import MIN_INTEGER

_NUMBERS = ("decimal", "money", "percent")


def is_derived(field: Field) -> bool:
    """A field whose value the server computes: a ``compute`` expression or a rollup."""
    return field.compute is not None or field.type == "rollup"


def unfit(
    entity: Entity, record: Mapping[str, Any], prefix: str = "", only: Iterable[str] | None = None
) -> list[FieldError]:
    """One error per derived value of ``record`` (of the fields named in ``only``) that its
    column cannot store or its declared ``min``/``max`` refuse."""
    names = set(only) if only is not None else None
    errors = []
    for field in entity.fields:
        if not is_derived(field) or (names is not None and field.name not in names):
            continue
        value = record.get(field.name)
        problem = _problem(field, value) if value is not None else None
        if problem is not None:
            errors.append(FieldError(prefix + field.name, *problem))
    return errors


def _problem(field: Field, value: Any) -> tuple[str, dict[str, Any]] | None:
    kind = fieldtypes.of(field.type).stored_as(field).name
    if kind in _NUMBERS and isinstance(value, decimal.Decimal):
        if not value.is_finite():
            return "computed_invalid", {}
        precision, scale = numeric_digits(field)
        if value != 0 and value.adjusted() + 1 > precision - scale:
            return "computed_digits", {"value": str(value), "digits": precision - scale}
    if kind == "integer" and isinstance(value, int):
        if value > MAX_INTEGER:
            return "computed_max", {"value": str(value), "max": MAX_INTEGER}
        if value < MIN_INTEGER:
            return "computed_min", {"value": str(value), "min": MIN_INTEGER}
    if kind in (*_NUMBERS, "integer") and isinstance(value, int | decimal.Decimal):
        if field.max is not None and value > decimal.Decimal(str(field.max)):
            return "computed_max", {"value": str(value), "max": field.max}
        if field.min is not None and value < decimal.Decimal(str(field.min)):
            return "computed_min", {"value": str(value), "min": field.min}
    if kind in ("string", "email", "phone", "url") and isinstance(value, str):
        limit = field.max_length or TEXT_LENGTH
        if len(value) > limit:
            return "computed_too_long", {"max": limit}
    return None
