"""Dates, times and moments. Moments are stored in UTC and shown in the site's zone."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from marshmallow import fields as mf
from sqlalchemy import Date as DateColumn
from sqlalchemy import Time as TimeColumn
from sqlalchemy.types import TypeEngine

from loom.metadata.catalog import Field

from ..types import UTCDateTime
from .base import COUNTS
from .base import FieldType
from .base import Show
from .base import Widget

ORDERED = COUNTS | {"min", "max"}


def local_time(value: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """A stored moment (UTC, naive from SQLite) in the site's time zone."""
    return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).astimezone(zone)


class Date(FieldType):
    searchable = False
    console = "date"
    aggregations = ORDERED
    list_filter = "range"
    kind = "date"
    widget = Widget("input", "date")

    def column(self, field: Field) -> TypeEngine:
        return DateColumn()

    def schema_field(self, field: Field, zone: ZoneInfo) -> mf.Field:
        return mf.Date(allow_none=True)

    def stored(self, field: Field, value: Any) -> Any:
        return dt.date.fromisoformat(str(value)[:10])

    def text(self, field: Field, value: Any, show: Show) -> str:
        return value.isoformat() if isinstance(value, dt.date) else str(value)


class DateTime(FieldType):
    searchable = False
    console = "datetime"
    aggregations = ORDERED
    list_filter = "range"
    kind = "datetime"
    widget = Widget("input", "datetime-local")

    def column(self, field: Field) -> TypeEngine:
        return UTCDateTime()

    def schema_field(self, field: Field, zone: ZoneInfo) -> mf.Field:
        return mf.AwareDateTime(default_timezone=zone, allow_none=True)

    def stored(self, field: Field, value: Any) -> Any:
        return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))

    def text(self, field: Field, value: Any, show: Show) -> str:
        if isinstance(value, dt.datetime):
            return local_time(value, show.zone).strftime("%Y-%m-%d %H:%M")
        return str(value)


class Time(FieldType):
    searchable = False
    console = "time"
    aggregations = ORDERED
    list_filter = "range"
    kind = "time"
    widget = Widget("input", "time")

    def column(self, field: Field) -> TypeEngine:
        return TimeColumn()

    def schema_field(self, field: Field, zone: ZoneInfo) -> mf.Field:
        return mf.Time(allow_none=True)

    def text(self, field: Field, value: Any, show: Show) -> str:
        return value.isoformat() if isinstance(value, dt.time) else str(value)


TYPES = (Date("date"), DateTime("datetime"), Time("time"))
