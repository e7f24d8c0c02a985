"""How values read in lists and details: times in the site's time zone, options by label,
child rows as a table."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from flask_admin.model import typefmt
from flask_babel import gettext
from markupsafe import Markup

from loom.metadata.catalog import Entity
from loom.metadata.catalog import Field
from loom.platform import fieldtypes
from loom.platform.api.auth import services
from loom.platform.fieldtypes import Show
from loom.platform.web.widgets import as_text
from loom.platform.web.widgets import money_text

from .labels import Text
from .labels import text
from .references import references
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
        return ", ".join(text(o.label) if (o := field.option(k)) else str(k) for k in _keys(value))

    return format_cell


def type_cell(field: Field) -> Any:
    """A column formatter showing a value as its field type shows it in lists (an identity
    number masked, a rating as stars)."""
    kind = fieldtypes.of(field.type)

    def format_cell(view: Any, context: Any, model: Row, name: str) -> str:
        value = getattr(model, name)
        if value is None:
            return ""
        show = Show(lambda _field, v: str(v), services().records.schemas.tz, gettext, text, money_text)
        return kind.cell(field, value, show)

    return format_cell


def labelled(labels: Mapping[str, Text]) -> Any:
    """A column formatter showing a fixed vocabulary (approval statuses…) in the reader's language."""

    def format_cell(view: Any, context: Any, model: Row, name: str) -> str:
        value = getattr(model, name)
        return text(labels[value]) if value in labels else value

    return format_cell


def child_rows(child: Entity) -> Any:
    """A details formatter for a ``table`` field: its rows as a small table with the child's
    column labels, each value as the portal's record page writes it (options by label,
    references by title), escaped."""
    shown = [f for f in child.fields if f.type not in ("table", "json")]

    def format_cell(view: Any, context: Any, model: Row, name: str) -> Markup:
        zone, titles = services().records.schemas.tz, references().title
        head = Markup("").join(Markup("<th>{}</th>").format(text(f.label)) for f in shown)
        cell = Markup("<td>{}</td>")
        body = Markup("").join(
            Markup("<tr>{}</tr>").format(
                Markup("").join(cell.format(as_text(f, row.get(f.name), titles, zone)) for f in shown)
            )
            for row in getattr(model, name) or ()
        )
        return Markup('<table class="table table-sm mb-0"><tr>{}</tr>{}</table>').format(head, body)

    return format_cell


def _keys(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
