"""Text types: one line (string, email, phone, url) and long text (text, rich_text)."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from marshmallow import fields as mf
from marshmallow import validate
from sqlalchemy import Text as TextColumn
from sqlalchemy.types import TypeEngine

from loom.metadata.catalog import Field

from .base import FieldType
from .base import Widget
from .base import text_checks

PHONE = re.compile(r"^\+?[0-9][0-9 ()\-]{2,30}$")


class Email(FieldType):
    console = "email"
    widget = Widget("input", "email")

    def schema_field(self, field: Field, zone: ZoneInfo) -> mf.Field:
        checks = text_checks(field)
        return mf.Email(validate=checks, error_messages={"invalid": "email"}, allow_none=True)


class Url(FieldType):
    console = "url"
    widget = Widget("input", "url", "url")

    def schema_field(self, field: Field, zone: ZoneInfo) -> mf.Field:
        return mf.Url(
            schemes={"http", "https"},
            validate=text_checks(field),
            error_messages={"invalid": "url"},
            allow_none=True,
        )


class Phone(FieldType):
    console = "phone"
    widget = Widget("input", "tel", "tel")

    def schema_field(self, field: Field, zone: ZoneInfo) -> mf.Field:
        checks = [*text_checks(field), validate.Regexp(PHONE, error="phone")]
        return mf.String(validate=checks, allow_none=True)


class LongText(FieldType):
    """Text of any length, edited in a text area; rich text is stored as sent."""

    console = "textarea"
    widget = Widget("textarea")

    def column(self, field: Field) -> TypeEngine:
        return TextColumn()


class RichText(LongText):
    """Formatted text: filtered by equality, since its markup would match a search for words."""

    searchable = False
    list_filter = "eq"


TYPES = (
    FieldType("string"),
    Email("email"),
    Phone("phone"),
    Url("url"),
    LongText("text"),
    RichText("rich_text"),
)
