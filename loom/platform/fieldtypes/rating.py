"""Ratings: a whole number of stars from 1 to 5 (satisfaction, priority, an interview score).

The portal's widget is five radio inputs drawn as stars: arrow keys move between them, a
tap or a click picks one, and a screen reader reads "3 stars, 3 of 5"; lists show the stars
(★★★☆☆), exports the number.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from marshmallow import fields as mf
from marshmallow import validate
from sqlalchemy import SmallInteger
from sqlalchemy.types import TypeEngine

from loom.metadata.catalog import Field

from .base import ALL_AGGREGATES
from .base import Fake
from .base import FieldType
from .base import Show
from .base import Widget

STARS = 5


def stars(value: int) -> str:
    """``value`` full stars out of five: ★★★☆☆."""
    return "★" * value + "☆" * (STARS - value)


class Stars(mf.Integer):
    """A whole number, sent as a JSON number or, from a form, as its digits; 3.5 is refused
    (not cut to 3)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        return super()._deserialize(value, attr, data, **kwargs)


class Rating(FieldType):
    searchable = False
    aggregations = ALL_AGGREGATES
    kind = "integer"
    list_filter = "range"
    widget = Widget("group", template="fields/rating.html")
    console = "integer"
    console_shows_stored = False
    messages = MappingProxyType({"rating": {"en": "Choose 1 to 5 stars.", "zh": "请选择 1 到 5 颗星。"}})

    def column(self, field: Field) -> TypeEngine:
        return SmallInteger()

    def schema_field(self, field: Field, zone: ZoneInfo) -> mf.Field:
        return Stars(validate=validate.Range(1, STARS, error="rating"), allow_none=True)

    def filter_field(self, field: Field, zone: ZoneInfo) -> mf.Field:
        return mf.Integer()  # a query string carries the number as text

    def stored(self, field: Field, value: Any) -> Any:
        """A computed rating rounds to whole stars within 1 to 5 (an average of 3.6 is 4)."""
        if isinstance(value, float) and not math.isfinite(value):
            return None
        return min(STARS, max(1, int(float(value) + 0.5)))

    def text(self, field: Field, value: Any, show: Show) -> str:
        if not isinstance(value, int) or not 1 <= value <= STARS:
            return str(value)
        return f"{stars(value)} {show.gettext('%(count)s of %(total)s', count=value, total=STARS)}"

    def cell(self, field: Field, value: Any, show: Show) -> str:
        return stars(value) if isinstance(value, int) and 1 <= value <= STARS else str(value)

    def exported(self, field: Field, value: Any, show: Show) -> Any:
        return value

    def demo(self, field: Field, fake: Fake, values: Mapping[str, Any]) -> Any:
        """Mostly good ratings, as real ones are."""
        return fake.rng.choices(range(1, STARS + 1), weights=(1, 2, 5, 9, 6))[0]


TYPES = (Rating("rating"),)
