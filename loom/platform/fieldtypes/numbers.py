"""Numbers: whole numbers (64-bit), and decimals, money and percentages (never floats)."""

from __future__ import annotations

import decimal
import math
from typing import Any
from zoneinfo import ZoneInfo

from marshmallow import ValidationError
from marshmallow import fields as mf
from marshmallow import validate
from sqlalchemy import BigInteger
from sqlalchemy import Numeric
from sqlalchemy.types import TypeEngine

from loom.metadata.catalog import Field

from .base import ALL_AGGREGATES
from .base import INT64
from .base import FieldType
from .base import Show
from .base import Widget

DECIMAL = {"type": "string", "format": "decimal", "pattern": r"^-?[0-9]+(\.[0-9]+)?$"}


def numeric_digits(field: Field) -> tuple[int, int]:
    """Precision and scale of a decimal column: what entered, computed and aggregated values
    must fit (SQLite stores any number, PostgreSQL refuses one with too many digits)."""
    if field.type == "rollup":
        return 18, field.scale if field.scale is not None else 2
    return field.precision or 18, field.scale if field.scale is not None else 4


def bounds(field: Field) -> list[Any]:
    """The ``min`` and ``max`` a number field declares, with our error codes."""
    checks = []
    if field.min is not None:
        checks.append(validate.Range(min=field.min, error="min"))
    if field.max is not None:
        checks.append(validate.Range(max=field.max, error="max"))
    return checks


class Integer(FieldType):
    searchable = False
    console = "integer"
    numeric = True
    list_filter = "range"
    aggregations = ALL_AGGREGATES
    kind = "integer"
    widget = Widget("number", inputmode="numeric")

    def column(self, field: Field) -> TypeEngine:
        return BigInteger()

    def schema_field(self, field: Field, zone: ZoneInfo) -> mf.Field:
        return mf.Integer(strict=False, validate=[*bounds(field), INT64], allow_none=True)

    def stored(self, field: Field, value: Any) -> Any:
        return int(value) if not isinstance(value, float) or math.isfinite(value) else None

    def text(self, field: Field, value: Any, show: Show) -> str:
        if not _is_number(value):
            return str(value)
        return f"{value:,}" if field.grouping else str(value)


class Decimal(FieldType):
    """Decimal numbers: ``Numeric`` with the declared scale; strings on the wire."""

    searchable = False
    console = "number"
    numeric = True
    list_filter = "range"
    aggregations = ALL_AGGREGATES
    kind = "number"
    widget = Widget("number", inputmode="decimal")

    def column(self, field: Field) -> TypeEngine:
        return Numeric(*numeric_digits(field))

    def schema_field(self, field: Field, zone: ZoneInfo) -> mf.Field:
        return mf.Decimal(allow_nan=False, validate=[*bounds(field), _digits(field)], allow_none=True)

    def filter_field(self, field: Field, zone: ZoneInfo) -> mf.Field:
        return mf.Decimal(allow_nan=False)  # a stored value has the digits it has

    def openapi(self, field: Field, prop: dict[str, Any]) -> dict[str, Any]:
        """Decimals are strings on the wire, with the field's digits, scale and sign in the pattern.

        Bounds that digits cannot say (``max: 100`` of a percent) are given as ``x-minimum`` and
        ``x-maximum``, since JSON Schema's numeric bounds do not apply to strings.
        """
        kept = {k: v for k, v in prop.items() if k in ("nullable", "description")}
        precision, scale = numeric_digits(field)
        digits = precision - scale
        if field.max is not None and field.max >= 0 and (field.min is None or field.min >= 0):
            digits = min(digits, len(str(int(field.max))))
        sign = "" if field.min is not None and field.min >= 0 else "-?"
        fraction = rf"(\.[0-9]{{1,{scale}}})?" if scale else ""
        schema: dict[str, Any] = {**DECIMAL, "pattern": rf"^{sign}[0-9]{{1,{max(digits, 1)}}}{fraction}$"}
        if field.min is not None:
            schema["x-minimum"] = field.min
        if field.max is not None:
            schema["x-maximum"] = field.max
        return {**schema, **kept}

    def stored(self, field: Field, value: Any) -> Any:
        scale = field.scale if field.scale is not None else 2
        number = decimal.Decimal(str(value))
        if not number.is_finite():
            return number  # a double divided by zero: refused by the column check, never stored
        # Enough digits for any double, so a result too large for its column is kept whole
        # and refused with a message (records/derived.py) instead of raising here.
        context = decimal.Context(prec=max(28, number.adjusted() + scale + 2))
        return number.quantize(decimal.Decimal(1).scaleb(-scale), decimal.ROUND_HALF_UP, context)

    def text(self, field: Field, value: Any, show: Show) -> str:
        if not _is_number(value):
            return str(value)
        scale = field.scale if field.scale is not None else 2
        return f"{decimal.Decimal(value):,.{scale}f}"


class Money(Decimal):
    def text(self, field: Field, value: Any, show: Show) -> str:
        if not _is_number(value):
            return str(value)
        return show.money(value, field.currency)


def _is_number(value: Any) -> bool:
    """A value numbers are written from (a stored value may be text: a failed conversion)."""
    return isinstance(value, int | float | decimal.Decimal) and not isinstance(value, bool)


def _digits(field: Field) -> Any:
    precision, scale = numeric_digits(field)
    integer_digits = precision - scale

    def check(value: decimal.Decimal) -> None:
        _sign, digits, exponent = value.as_tuple()
        decimals = max(0, -exponent) if isinstance(exponent, int) else 0
        if decimals > scale:
            raise ValidationError("decimals")
        if len(digits) + (exponent if isinstance(exponent, int) else 0) > integer_digits:
            raise ValidationError("digits")

    return check


TYPES = (Integer("integer"), Decimal("decimal"), Money("money"), Decimal("percent"))
