"""marshmallow schemas generated from entities: type coercion and per-field validation.

Error messages of the generated fields are our error *codes*; ``field_errors`` turns
marshmallow's nested message dict into FieldErrors with params taken from the Catalog,
so the user reads "At most 120 characters" in their language, not marshmallow's English.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import replace
from typing import Any
from typing import cast
from zoneinfo import ZoneInfo

from marshmallow import RAISE
from marshmallow import Schema
from marshmallow import fields as mf

from loom.metadata.catalog import Catalog
from loom.metadata.catalog import Entity
from loom.metadata.catalog import Field

from .. import fieldtypes
from ..fieldtypes.base import ID_RANGE
from ..fieldtypes.base import INT64
from ..fieldtypes.base import MAX_ID as MAX_ID
from ..fieldtypes.base import MIN_INTEGER as MIN_INTEGER
from ..fieldtypes.numbers import numeric_digits
from .errors import FieldError
from .messages import MESSAGES

SERVER_OWNED = frozenset(name for name, kind in fieldtypes.types().items() if kind.server_owned)
_KEY_CODES = {"required": "required", "null": "null", "too_large": "max", "unknown": "unknown"}


class RecordSchema(Schema):
    """Base of generated schemas: unknown keys are errors, as an API client would want."""

    error_messages = {"unknown": "unknown", "type": "invalid"}  # noqa: RUF012 - marshmallow's own API

    class Meta:
        unknown = RAISE


def input_fields(entity: Entity) -> list[Field]:
    """The fields a client may send: everything but server-computed values."""
    return [f for f in entity.fields if not fieldtypes.of(f.type).server_owned]


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
            declared["id"] = _coded(mf.Integer(strict=True, allow_none=True, validate=ID_RANGE))
        schema_class = RecordSchema.from_dict(declared, name=f"{entity.qualified_name}Schema")
        return cast(RecordSchema, schema_class())

    def filter_field(self, entity_name: str, name: str) -> mf.Field:
        """A marshmallow field that parses one filter value of a field or system column.

        Filters compare stored values, so constraints of input (length, range) do not
        apply, and computed values parse as the type they are stored as.
        """
        key = f"{entity_name}:{name}"
        found = self._filters.get(key)
        if found is None:
            entity = self.catalog.entity(entity_name)
            if entity.has_field(name):
                field = _unbounded(entity.field(name))
                found = _coded(fieldtypes.of(field.type).filter_field(field, self.tz))
                found = getattr(found, "inner", found)
            else:
                found = _SYSTEM_FILTERS[name]()
            self._filters[key] = found
        return found

    def _field(self, field: Field) -> mf.Field:
        if field.type == "table":
            child = self.of(field.entity or "")
            return _coded(mf.List(mf.Nested(type(child)), allow_none=True))
        return _coded(fieldtypes.of(field.type).schema_field(field, self.tz))


_SYSTEM_FILTERS: dict[str, Callable[[], mf.Field]] = {
    **dict.fromkeys(
        ("id", "created_by", "updated_by", "owner", "version"), lambda: mf.Integer(validate=INT64)
    ),
    **dict.fromkeys(("created_at", "updated_at"), mf.AwareDateTime),
    "flow_status": mf.String,
}


def _unbounded(field: Field) -> Field:
    """The field without the limits of input: filters compare what is stored."""
    return replace(field, min=None, max=None, max_length=None, min_length=None)


def _coded(field: mf.Field) -> mf.Field:
    """Replace marshmallow's English messages by our codes (keeping codes already given),
    in a list's items too."""
    field.error_messages = {
        key: message if message in MESSAGES else _KEY_CODES.get(key, "invalid")
        for key, message in field.error_messages.items()
    }
    if isinstance(field, mf.List):
        _coded(field.inner)
    return field


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
        return {"kind": fieldtypes.of(field.type).kind}
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
