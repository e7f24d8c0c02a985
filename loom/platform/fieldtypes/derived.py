"""Values the server sets: computed (CEL, stored as its ``result`` type), autonumbers and
rollups (an aggregate of related records). Each behaves as the type it is stored as."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from marshmallow import fields as mf
from sqlalchemy import String
from sqlalchemy.types import TypeEngine

from loom.metadata.catalog import Field

from . import registry
from .base import ALL_AGGREGATES
from .base import FieldType
from .base import Show
from .base import Widget


class Derived(FieldType):
    searchable = False
    server_owned = True
    list_filter = "eq"
    widget = Widget("output")

    def stored_as(self, field: Field) -> FieldType:
        return registry.of("string")

    def column(self, field: Field) -> TypeEngine:
        return self.stored_as(field).column(field)

    def stored(self, field: Field, value: Any) -> Any:
        return self.stored_as(field).stored(field, value)

    def filter_field(self, field: Field, zone: ZoneInfo) -> mf.Field:
        return self.stored_as(field).filter_field(field, zone)

    def cel(self, field: Field, value: Any) -> Any:
        return self.stored_as(field).cel(field, value)

    def text(self, field: Field, value: Any, show: Show) -> str:
        return self.stored_as(field).text(field, value, show)

    def exported(self, field: Field, value: Any, show: Show) -> Any:
        return self.stored_as(field).exported(field, value, show)


class Autonumber(Derived):
    """A number such as HT-2026-0001, counted per series: text of at most 64 characters."""

    list_filter = "contains"
    searchable = True

    def column(self, field: Field) -> TypeEngine:
        return String(64)


class Computed(Derived):
    aggregations = ALL_AGGREGATES  # by its result type, which the report's check does not know

    def stored_as(self, field: Field) -> FieldType:
        return registry.of(field.result or "string")


class Rollup(Derived):
    numeric = True
    aggregations = ALL_AGGREGATES

    def stored_as(self, field: Field) -> FieldType:
        counted = field.rollup is not None and field.rollup.aggregate == "count"
        return registry.of("integer" if counted else "decimal")


TYPES = (Computed("computed"), Autonumber("autonumber"), Rollup("rollup"))
