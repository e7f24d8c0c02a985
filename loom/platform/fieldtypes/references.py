"""References by id: to a record (link, many), a user, a department or an uploaded file.

A multiple reference (and ``many``) has no column: its ids are rows of a link table.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from marshmallow import fields as mf
from sqlalchemy.types import TypeEngine

from loom.metadata.catalog import Field

from ..types import ID_TYPE
from .base import ID_RANGE
from .base import MAX_ID
from .base import FieldType
from .base import Show
from .base import Widget

ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}


class Reference(FieldType):
    searchable = False
    console = "id"
    list_filter = "eq"
    by_id = True
    kind = "id"
    widget = Widget("picker")

    def __init__(self, name: str, references: str | None) -> None:
        super().__init__(name)
        self.references = references

    def column(self, field: Field) -> TypeEngine:
        return ID_TYPE

    def schema_field(self, field: Field, zone: ZoneInfo) -> mf.Field:
        if field.multiple:
            return mf.List(mf.Integer(strict=True, validate=ID_RANGE), allow_none=True)
        return mf.Integer(strict=True, validate=ID_RANGE, allow_none=True)

    def filter_field(self, field: Field, zone: ZoneInfo) -> mf.Field:
        return mf.Integer(validate=ID_RANGE)  # query strings carry ids as text: "?customer=7"

    def openapi(self, field: Field, prop: dict[str, Any]) -> dict[str, Any]:
        if prop.get("type") == "array":
            return {**prop, "items": ID}
        return {**prop, "minimum": 1, "maximum": MAX_ID}

    def text(self, field: Field, value: Any, show: Show) -> str:
        values = value if isinstance(value, list) else [value]
        return ", ".join(show.titles(field, v) for v in values)


class Many(Reference):
    """Several records of an entity: always a list of ids, kept in a link table."""

    console = "ids"
    listed = True
    kind = "list"

    def has_column(self, field: Field) -> bool:
        return False

    def schema_field(self, field: Field, zone: ZoneInfo) -> mf.Field:
        return mf.List(mf.Integer(strict=True, validate=ID_RANGE), allow_none=True)


class File(Reference):
    widget = Widget("upload")


TYPES = (
    Reference("link", None),
    Many("many", None),
    Reference("user", "loom_users"),
    Reference("department", "loom_departments"),
    File("file", "loom_files"),
    File("image", "loom_files"),
)
