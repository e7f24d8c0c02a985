"""Values with parts: free JSON, a region (province, city, district), a map point, and
child rows (``table``, kept in a table of their own)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from marshmallow import fields as mf
from marshmallow import validate
from sqlalchemy.types import TypeEngine

from loom.metadata.catalog import Field

from ..types import JSON_TYPE
from .base import FieldType
from .base import Show
from .base import Widget


class Json(FieldType):
    sortable = False
    searchable = False
    console = "json"
    list_filter = "eq"
    widget = Widget("textarea")

    def column(self, field: Field) -> TypeEngine:
        return JSON_TYPE

    def schema_field(self, field: Field, zone: ZoneInfo) -> mf.Field:
        return mf.Raw(allow_none=True)

    def text(self, field: Field, value: Any, show: Show) -> str:
        return json.dumps(value, ensure_ascii=False)


class Parts(Json):
    """A value of named parts (a region, a point), edited as one input per part."""

    kind = "object"
    widget = Widget("parts")
    keys: tuple[str, ...] = ()  # the keys a sent value may have

    def schema_field(self, field: Field, zone: ZoneInfo) -> mf.Field:
        return mf.Dict(keys=mf.String(validate=validate.OneOf(self.keys)), allow_none=True)


class Region(Parts):
    """A place in China's administrative division, down to ``levels`` (its code optional)."""

    parts = ("province", "city", "district")
    keys = (*parts, "code")

    def schema_field(self, field: Field, zone: ZoneInfo) -> mf.Field:
        keys = mf.String(validate=validate.OneOf(self.keys))
        return mf.Dict(keys=keys, values=mf.String(validate=validate.Length(max=64)), allow_none=True)

    def text(self, field: Field, value: Any, show: Show) -> str:
        if not isinstance(value, Mapping):
            return str(value)
        return " ".join(str(value[p]) for p in self.parts if value.get(p))


class Geo(Parts):
    """A point on a map with its address."""

    parts = keys = ("lng", "lat", "address")

    def text(self, field: Field, value: Any, show: Show) -> str:
        if not isinstance(value, Mapping):
            return str(value)
        where = ", ".join(str(value[p]) for p in ("lng", "lat") if value.get(p) not in (None, ""))
        return " ".join(p for p in (str(value.get("address") or ""), f"({where})" if where else "") if p)


class Table(FieldType):
    """Child rows: a list of row objects, stored in a child table (the records service
    builds its schema from the child entity)."""

    searchable = False
    list_filter = "eq"
    kind = "list"
    widget = Widget("grid")

    def has_column(self, field: Field) -> bool:
        return False

    def text(self, field: Field, value: Any, show: Show) -> str:
        return show.gettext("%(count)s rows", count=len(value)) if isinstance(value, list) else ""


TYPES = (
    Json("json"),
    Region("region"),
    Geo("geo"),
    Table("table"),
)
