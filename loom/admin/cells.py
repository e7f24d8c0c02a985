"""How values read in lists and details: times in the site's time zone, options by label."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_admin.model import typefmt

from loom.metadata.catalog import Field
from loom.platform.api.auth import services

from .labels import text
from .rows import Row


def local_time(view: Any, value: dt.datetime, name: str) -> str:
    """Stored times are UTC; people read them in the site's time zone."""
    return value.astimezone(services().records.schemas.tz).strftime("%Y-%m-%d %H:%M")


LIST_FORMATTERS = {**typefmt.BASE_FORMATTERS, dt.datetime: local_time}
DETAIL_FORMATTERS = {**typefmt.DETAIL_FORMATTERS, dt.datetime: local_time}


def option_labels(field: Field) -> Any:
    """A column formatter showing a select's (or multiselect's) option labels, not keys."""

    def format_cell(view: Any, context: Any, model: Row, name: str) -> Any:
        value = getattr(model, name)
        if value is None:
            return ""
        keys = value if isinstance(value, list) else [value]
        return ", ".join(text(o.label) if (o := field.option(k)) else str(k) for k in keys)

    return format_cell
