"""marshmallow schemas generated from entities: type coercion and per-field validation.

Error messages of the generated fields are our error *codes*; ``field_errors`` turns
marshmallow's nested message dict into FieldErrors with params taken from the Catalog,
so the user reads "At most 120 characters" in their language, not marshmallow's English.
"""

from __future__ import annotations

import decimal
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

from marshmallow import RAISE
from marshmallow import Schema
from marshmallow import ValidationError
from marshmallow import fields as mf
from marshmallow import validate

from loom.metadata.catalog import Catalog
from loom.metadata.catalog import Entity
from loom.metadata.catalog import Field

from .. import limits
from ..tables import numeric_digits
from .errors import FieldError
from .logic import stored_kind
from .messages import MESSAGES

SERVER_OWNED = frozenset({"computed", "autonumber", "rollup"})
MAX_ID = 2**63 - 1  # ids and integers are 64-bit columns
MIN_INTEGER = -(2**63)
PHONE = re.compile(r"^\+?[0-9][0-9 ()\-]{2,30}$")
_KEY_CODES = {"required": "required", "null": "null", "too_large": "max", "unknown": "unknown"}
_KINDS = {
    "integer": "integer", "decimal": "number", "money": "number", "percent": "number",
    "boolean": "boolean", "date": "date", "datetime": "datetime", "time": "time",
    "link": "id", "user": "id", "department": "id", "file": "id", "image": "id", "many": "list",
    "multiselect": "list", "table": "list", "region": "object", "geo": "object",
}  # fmt: skip


class RecordSchema(Schema):
    """Base of generated schemas: unknown keys are errors, as an API client would want."""

    error_messages = {"unknown": "unknown", "type": "invalid"}  # noqa: RUF012 - marshmallow's own API

    class Meta:
        unknown = RAISE


def input_fields(entity: Entity) -> list[Field]:
    """The fields a client may send: everything but server-computed values."""
    return [f for f in entity.fields if f.type not in SERVER_OWNED]


class Schemas:
    """The generated schemas of one Catalog, built on first use.

    Kept per Catalog rather than in a process-wide registry, since a designer preview and
    the live Catalog can coexist in one process.
    """

    def __init__(self, catalog: Catalog, time_zone: str = "Asia/Shanghai") -> None:
        self.catalog = catalog
        self.tz = ZoneInfo(time_zone)
        self._built: dict[str, RecordSchema] = {}
        self._filters: dict[str, mf.Field] = {}

    def of(self, entity_name: str) -> RecordSchema:
        schema = self._built.get(entity_name)
        if schema is None:
            schema = self._built[entity_name] = self._build(self.catalog.entity(entity_name))
        return schema

    def _build(self, entity: Entity) -> RecordSchema:
        declared: dict[str, mf.Field] = {f.name: self._field(f) for f in input_fields(entity)}
        if entity.child:
            declared["id"] = _coded(mf.Integer(strict=True, allow_none=True, validate=_ID))
        schema_class = RecordSchema.from_dict(declared, name=f"{entity.qualified_name}Schema")
        return schema_class()

    def filter_field(self, entity_name: str, name: str) -> mf.Field:
        """A marshmallow field that parses one filter value of a field or system column.

        Filters compare stored values, so constraints of input (length, range) do not
        apply, and computed values parse as the type they are stored as.
        """
        key = f"{entity_name}:{name}"
        found = self._filters.get(key)
        if found is None:
            entity = self.catalog.entity(entity_name)
            if entity.has_field(name) and entity.field(name).type in REFERENCE_TYPES:
                found = mf.Integer(validate=_ID)  # query strings carry ids as text: "?customer=7"
            elif entity.has_field(name):
                found = _field(_as_stored(entity.field(name)), self.tz)
                found = getattr(found, "inner", found)
            else:
                found = _SYSTEM_FILTERS[name]()
            self._filters[key] = found
        return found

    def _field(self, field: Field) -> mf.Field:
        if field.type == "table":
            child = self.of(field.entity or "")
            return _coded(mf.List(mf.Nested(type(child)), allow_none=True))
        if field.type == "boolean":  # a record's yes/no is true or false; filters also read "true"
            return _coded(StrictBoolean(allow_none=True))
        return _field(field, self.tz)


class StrictBoolean(mf.Boolean):
    """JSON's true and false only: 0, 1 and "yes" are not booleans (the OpenAPI document says so)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


_ID = validate.Range(min=1, max=MAX_ID, error="invalid")
REFERENCE_TYPES = frozenset({"link", "many", "user", "department", "file", "image"})
_INT64 = validate.Range(min=MIN_INTEGER, max=MAX_ID, error="invalid")
_SYSTEM_FILTERS = {
    **dict.fromkeys(
        ("id", "created_by", "updated_by", "owner", "version"), lambda: mf.Integer(validate=_INT64)
    ),
    **dict.fromkeys(("created_at", "updated_at"), mf.AwareDateTime),
    "flow_status": mf.String,
}


def _as_stored(field: Field) -> Field:
    """The field as its column stores it: computed values by result type, no input limits."""
    kind = "string" if field.type == "autonumber" else stored_kind(field)
    return replace(field, type=kind, min=None, max=None, max_length=None, min_length=None, precision=38)


def _coded(field: mf.Field) -> mf.Field:
    """Replace marshmallow's English messages by our codes (keeping codes already given)."""
    field.error_messages = {
        key: message if message in MESSAGES else _KEY_CODES.get(key, "invalid")
        for key, message in field.error_messages.items()
    }
    return field


def _field(field: Field, tz: ZoneInfo) -> mf.Field:
    options: dict[str, Any] = {"allow_none": True}
    kind = field.type
    if kind in ("string", "text", "rich_text", "email", "url", "phone"):
        built = _text(field, options)
    elif kind == "integer":
        built = mf.Integer(strict=False, validate=[*_range(field), _INT64], **options)
    elif kind in ("decimal", "money", "percent"):
        built = mf.Decimal(allow_nan=False, validate=[*_range(field), _digits(field)], **options)
    elif kind == "boolean":
        built = mf.Boolean(**options)
    elif kind == "date":
        built = mf.Date(**options)
    elif kind == "datetime":
        built = mf.AwareDateTime(default_timezone=tz, **options)
    elif kind == "time":
        built = mf.Time(**options)
    elif kind == "select":
        built = mf.String(
            validate=validate.OneOf([o.key for o in field.options], error="not_option"), **options
        )
    elif kind == "multiselect":
        choice = validate.OneOf([o.key for o in field.options], error="not_option")
        built = mf.List(_coded(mf.String(validate=choice)), **options)
    elif kind == "many" or field.multiple:
        built = mf.List(_coded(mf.Integer(strict=True, validate=_ID)), **options)
    elif kind in ("link", "user", "department", "file", "image"):
        built = mf.Integer(strict=True, validate=_ID, **options)
    elif kind == "region":
        built = mf.Dict(keys=mf.String(validate=validate.OneOf(["province", "city", "district", "code"])),
                        values=mf.String(validate=validate.Length(max=64)), **options)  # fmt: skip
    elif kind == "geo":
        built = mf.Dict(keys=mf.String(validate=validate.OneOf(["lng", "lat", "address"])), **options)
    else:  # json
        built = mf.Raw(**options)
    return _coded(built)


def _text(field: Field, options: dict[str, Any]) -> mf.Field:
    checks: list[Any] = [_storable]
    if field.max_length:
        checks.append(validate.Length(max=field.max_length, error="too_long"))
    if field.min_length:
        checks.append(validate.Length(min=field.min_length, error="too_short"))
    if field.type == "email":
        return mf.Email(validate=checks, error_messages={"invalid": "email"}, **options)
    if field.type == "url":
        return mf.Url(
            schemes={"http", "https"}, validate=checks, error_messages={"invalid": "url"}, **options
        )
    if field.type == "phone":
        checks.append(validate.Regexp(PHONE, error="phone"))
    return mf.String(validate=checks, **options)


def _storable(value: str) -> None:
    """No column stores NUL on PostgreSQL: refused on every database, so both behave alike."""
    if limits.bad_text(value):
        raise ValidationError("bad_text")


def _range(field: Field) -> list[Any]:
    checks = []
    if field.min is not None:
        checks.append(validate.Range(min=field.min, error="min"))
    if field.max is not None:
        checks.append(validate.Range(max=field.max, error="max"))
    return checks


def _digits(field: Field):
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


def field_errors(messages: dict[str, Any], entity: Entity, catalog: Catalog, data: Any) -> list[FieldError]:
    """Flatten marshmallow's messages into FieldErrors with user-facing params."""
    return list(_flatten(messages, entity, catalog, data, ""))


def _flatten(messages: Any, entity: Entity, catalog: Catalog, data: Any, prefix: str) -> Iterator[FieldError]:
    for key, value in messages.items():
        path = f"{prefix}{key}"
        field = entity.field(key) if isinstance(key, str) and entity.has_field(key) else None
        given = data.get(key) if isinstance(data, dict) else None
        if isinstance(value, dict):
            yield from _nested(value, field, entity, catalog, given, path)
            continue
        for code in value:
            yield FieldError(path, code, _params(code, field, given))


def _nested(
    value: dict[Any, Any], field: Field | None, entity: Entity, catalog: Catalog, given: Any, path: str
) -> Iterator[FieldError]:
    for index, inner in value.items():
        item = (
            given[index]
            if isinstance(given, list) and isinstance(index, int) and index < len(given)
            else None
        )
        if isinstance(inner, dict) and field is not None and field.type == "table":
            child = catalog.entity(field.entity or "")
            yield from _flatten(inner, child, catalog, item, f"{path}.{index}.")
        elif isinstance(inner, dict):
            yield from _nested(inner, field, entity, catalog, item, f"{path}.{index}")
        else:
            for code in inner:
                yield FieldError(f"{path}.{index}", code, _params(code, field, item))


def _params(code: str, field: Field | None, given: Any) -> dict[str, Any]:
    if field is None:
        return {}
    if code == "invalid":
        return {"kind": _KINDS.get(field.type, "text")}
    if code in ("too_long", "max"):
        return {"max": field.max_length if code == "too_long" else field.max}
    if code in ("too_short", "min"):
        return {"min": field.min_length if code == "too_short" else field.min}
    if code == "decimals":
        return {"scale": field.scale}
    if code == "digits":
        precision, scale = numeric_digits(field)
        return {"digits": precision - scale}
    if code == "not_option":
        allowed = ", ".join(o.key for o in field.options)
        shown = given if not isinstance(given, list) else ", ".join(map(str, given))
        return {"value": shown, "allowed": allowed}
    return {}
