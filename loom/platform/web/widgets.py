"""One widget per field type: how a value is put into a form, read back from it, and shown.

``WIDGETS`` maps each field type to its template macro and input attributes, and ``_TEXT``
to the function that writes its values for people (record pages, list cells, exports);
``parse_field`` reads a posted value back, by the shape the widget posts (one value, a list,
a group of parts).
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from loom.metadata.catalog import Field

from ..money import DEFAULT_CURRENCY
from ..money import DEFAULT_LOCALE
from ..money import currency_symbol
from ..money import format_money
from ..records.schemas import SERVER_OWNED
from .i18n import current_lang
from .i18n import label


@dataclass(frozen=True, slots=True)
class Widget:
    macro: str
    input_type: str = "text"
    inputmode: str | None = None


WIDGETS: dict[str, Widget] = {
    "string": Widget("input"),
    "email": Widget("input", "email"),
    "phone": Widget("input", "tel", "tel"),
    "url": Widget("input", "url", "url"),
    "date": Widget("input", "date"),
    "datetime": Widget("input", "datetime-local"),
    "time": Widget("input", "time"),
    "text": Widget("textarea"),
    "rich_text": Widget("textarea"),
    "json": Widget("textarea"),
    "integer": Widget("number", inputmode="numeric"),
    "decimal": Widget("number", inputmode="decimal"),
    "percent": Widget("number", inputmode="decimal"),
    "money": Widget("number", inputmode="decimal"),
    "boolean": Widget("checkbox"),
    "select": Widget("select"),
    "multiselect": Widget("checkboxes"),
    "link": Widget("picker"),
    "many": Widget("picker"),
    "user": Widget("picker"),
    "department": Widget("picker"),
    "file": Widget("upload"),
    "image": Widget("upload"),
    "region": Widget("parts"),
    "geo": Widget("parts"),
    "computed": Widget("output"),
    "autonumber": Widget("output"),
    "rollup": Widget("output"),
    "table": Widget("grid"),
}
PARTS: dict[str, tuple[str, ...]] = {
    "region": ("province", "city", "district"),
    "geo": ("lng", "lat", "address"),
}
REFERENCE_TYPES = frozenset({"link", "many", "user", "department", "file", "image"})
NUMERIC = frozenset({"integer", "decimal", "money", "percent"})


def is_computed(field: Field) -> bool:
    """Values the server sets (computed, numbered, rolled up): shown, never posted."""
    return field.type in SERVER_OWNED or field.compute is not None


def widget(field: Field) -> Widget:
    return WIDGETS["computed"] if is_computed(field) else WIDGETS.get(field.type, WIDGETS["string"])


def is_multiple(field: Field) -> bool:
    """Whether the field holds a list (of options or of referenced ids)."""
    return field.type in ("multiselect", "many") or (field.multiple and field.type in REFERENCE_TYPES)


class BadJson(ValueError):
    """A json field whose text does not parse."""


# -- reading posted values --------------------------------------------------------------------


def parse_field(field: Field, form: MultiDict[str, str], key: str) -> Any:
    """The value of ``field`` as posted under ``key``, typed only as far as the service needs."""
    if field.type == "boolean":
        sent = form.getlist(key)
        return sent[-1] == "true" if sent else None  # a hidden "false" precedes the checkbox
    if is_multiple(field):
        return [_reference(v) if field.type != "multiselect" else v for v in form.getlist(key) if v]
    if field.type in PARTS:
        parts = {p: form.get(f"{key}.{p}", "").strip() for p in PARTS[field.type]}
        return {p: _coordinate(p, v) for p, v in parts.items() if v} or None
    raw = form.get(key, "")
    if field.type in REFERENCE_TYPES:
        return _reference(raw) if raw else None
    if field.type == "json":
        return _json(raw.replace("\r\n", "\n"))
    if field.type in ("text", "rich_text"):
        return raw.replace("\r\n", "\n")  # browsers send a textarea's line breaks as CRLF
    return raw.strip()


def _coordinate(part: str, raw: str) -> Any:
    """Longitude and latitude are numbers when they read as numbers."""
    if part not in ("lng", "lat"):
        return raw
    try:
        return float(raw)
    except ValueError:
        return raw


def _reference(raw: str) -> Any:
    """Ids are whole numbers; anything else goes to the service as sent, which refuses it by field."""
    return int(raw) if raw.isdigit() and len(raw) < 20 else raw


def _json(raw: str) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise BadJson(raw) from None


# -- values into inputs -----------------------------------------------------------------------


def input_value(field: Field, value: Any, tz: ZoneInfo) -> str:
    """The text an input shows: posted text as it was typed, stored values in the input's format."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if field.type == "datetime" and isinstance(value, dt.datetime):
        return local_time(value, tz).strftime("%Y-%m-%dT%H:%M:%S")
    if field.type == "json":
        return json.dumps(value, ensure_ascii=False, indent=2)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else ""
    return str(value)


def local_time(value: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """A stored moment (UTC, naive from SQLite) in the site's time zone."""
    return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).astimezone(tz)


# -- values for people ------------------------------------------------------------------------

Titles = Callable[[Field, Any], str]


def bare_title(_field: Field, value: Any) -> str:
    """Titles for values that refer to nothing (computed values, totals)."""
    return str(value)


def as_text(field: Field, value: Any, titles: Titles, tz: ZoneInfo) -> str:
    """A value as a person reads it; references by their titles (``titles`` looks them up)."""
    if value is None or value == [] or value == "":
        return ""
    show = _TEXT.get(field.type)
    if show is not None:
        return show(field, value, titles, tz)
    if field.type in REFERENCE_TYPES:
        values = value if isinstance(value, list) else [value]
        return ", ".join(titles(field, v) for v in values)
    return str(value)


def _option_text(field: Field, value: Any, *_rest: Any) -> str:
    values = value if isinstance(value, list) else [value]
    return ", ".join(label(o.label) if (o := field.option(str(v))) else str(v) for v in values)


def _number(field: Field, value: Any, *_rest: Any) -> str:
    if not isinstance(value, int | float | decimal.Decimal) or isinstance(value, bool):
        return str(value)
    if field.type == "integer" or (field.type == "rollup" and isinstance(value, int)):
        return f"{value:,}" if field.grouping else str(value)
    if field.type == "money":
        return money_text(value, field.currency)
    scale = field.scale if field.scale is not None else 2
    return f"{decimal.Decimal(value):,.{scale}f}"


def money_text(value: int | float | decimal.Decimal, currency: str | None) -> str:
    """An amount for the page's reader: in ``currency`` (else the site's), with the symbol the
    site's locale writes (¥178,300.00)."""
    site = current_app.extensions["loom"].runtime.site
    currency = currency or (site.settings.currency if site else DEFAULT_CURRENCY)
    symbol = currency_symbol(currency, site.settings.locale if site else DEFAULT_LOCALE)
    return format_money(value, currency, current_lang(), symbol=symbol)


def _moment(field: Field, value: Any, _titles: Titles, tz: ZoneInfo) -> str:
    if isinstance(value, dt.datetime):
        return local_time(value, tz).strftime("%Y-%m-%d %H:%M")
    return value.isoformat() if isinstance(value, dt.date | dt.time) else str(value)


def _parts(field: Field, value: Any, *_rest: Any) -> str:
    if not isinstance(value, Mapping):
        return str(value)
    if field.type == "geo":
        where = ", ".join(str(value[p]) for p in ("lng", "lat") if value.get(p) not in (None, ""))
        return " ".join(p for p in (str(value.get("address") or ""), f"({where})" if where else "") if p)
    return " ".join(str(value[p]) for p in PARTS["region"] if value.get(p))


def _boolean(field: Field, value: Any, *_rest: Any) -> str:
    return _("Yes") if value else _("No")


def _json_text(field: Field, value: Any, *_rest: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _rows(field: Field, value: Any, *_rest: Any) -> str:
    return _("%(count)s rows", count=len(value)) if isinstance(value, list) else ""


_TEXT: dict[str, Callable[[Field, Any, Titles, ZoneInfo], str]] = {
    "select": _option_text,
    "multiselect": _option_text,
    "integer": _number,
    "decimal": _number,
    "money": _number,
    "percent": _number,
    "rollup": _number,
    "date": _moment,
    "datetime": _moment,
    "time": _moment,
    "region": _parts,
    "geo": _parts,
    "boolean": _boolean,
    "json": _json_text,
    "table": _rows,
}
