"""Choices: yes/no, one option (select) or several (multiselect), stored by option key."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from marshmallow import fields as mf
from marshmallow import validate
from sqlalchemy import Boolean as BooleanColumn
from sqlalchemy import String
from sqlalchemy.types import TypeEngine

from loom.metadata.catalog import Field

from ..types import JSON_TYPE
from .base import FieldType
from .base import Show
from .base import Widget


class StrictBoolean(mf.Boolean):
    """JSON's true and false only: 0, 1 and "yes" are not booleans (the OpenAPI document says so)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class Boolean(FieldType):
    searchable = False
    console = "boolean"
    list_filter = "eq"
    kind = "boolean"
    widget = Widget("checkbox")

    def column(self, field: Field) -> TypeEngine:
        return BooleanColumn()

    def schema_field(self, field: Field, zone: ZoneInfo) -> mf.Field:
        return StrictBoolean(allow_none=True)

    def filter_field(self, field: Field, zone: ZoneInfo) -> mf.Field:
        return mf.Boolean()  # a query string says "true"

    def stored(self, field: Field, value: Any) -> Any:
        return bool(value)

    def text(self, field: Field, value: Any, show: Show) -> str:
        return show.gettext("Yes") if value else show.gettext("No")


def _option_text(field: Field, value: Any, show: Show) -> str:
    values = value if isinstance(value, list) else [value]
    return ", ".join(show.label(o.label) if (o := field.option(str(v))) else str(v) for v in values)


def _choice(field: Field) -> validate.OneOf:
    return validate.OneOf([o.key for o in field.options], error="not_option")


class Select(FieldType):
    console = "select"
    list_filter = "eq"
    widget = Widget("select")

    def column(self, field: Field) -> TypeEngine:
        return String(64)

    def schema_field(self, field: Field, zone: ZoneInfo) -> mf.Field:
        return mf.String(validate=_choice(field), allow_none=True)

    def text(self, field: Field, value: Any, show: Show) -> str:
        return _option_text(field, value, show)


class Multiselect(FieldType):
    sortable = False
    searchable = False
    console = "multiselect"
    list_filter = "eq"
    listed = True
    kind = "list"
    widget = Widget("checkboxes")

    def column(self, field: Field) -> TypeEngine:
        return JSON_TYPE

    def schema_field(self, field: Field, zone: ZoneInfo) -> mf.Field:
        return mf.List(mf.String(validate=_choice(field)), allow_none=True)

    def text(self, field: Field, value: Any, show: Show) -> str:
        return _option_text(field, value, show)


TYPES = (Boolean("boolean"), Select("select"), Multiselect("multiselect"))
