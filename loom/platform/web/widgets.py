"""One widget per field type: how a value is put into a form, read back from it, and shown.

Each field's FieldType (``loom.platform.fieldtypes``) names its template macro and input
attributes and writes its values for people (record pages, list cells, exports);
``parse_field`` reads a posted value back, by the shape the widget posts (one value, a list,
a group of parts).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from loom.metadata.catalog import Field

from .. import fieldtypes
from ..fieldtypes import Show
from ..fieldtypes import Widget
from ..fieldtypes.moments import local_time as local_time
from ..money import DEFAULT_CURRENCY
from ..money import DEFAULT_LOCALE
from ..money import Number
from ..money import currency_symbol
from ..money import format_money
from .i18n import current_lang
from .i18n import label

OUTPUT = Widget("output")


def is_computed(field: Field) -> bool:
    """Values the server sets (computed, numbered, rolled up): shown, never posted."""
    return fieldtypes.of(field.type).server_owned or field.compute is not None


def widget(field: Field) -> Widget:
    """The portal widget of a field (its FieldType's; an output for computed values)."""
    return OUTPUT if is_computed(field) else fieldtypes.of(field.type).widget


def is_multiple(field: Field) -> bool:
    """Whether the field holds a list (of options or of referenced ids)."""
    kind = fieldtypes.of(field.type)
    return kind.listed or (field.multiple and kind.by_id)


def is_reference(field: Field) -> bool:
    """Whether values are ids of records, users, departments or files (shown by title)."""
    return fieldtypes.of(field.type).by_id


def is_number(field: Field) -> bool:
    """Whether values are numbers (right-aligned, exported and totalled as numbers)."""
    return fieldtypes.of(field.type).numeric


def parts_of(field: Field) -> tuple[str, ...]:
    """The inputs of a value with parts (a region's province, city and district)."""
    return fieldtypes.of(field.type).parts


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
    if parts_of(field):
        parts = {p: form.get(f"{key}.{p}", "").strip() for p in parts_of(field)}
        return {p: _coordinate(p, v) for p, v in parts.items() if v} or None
    raw = form.get(key, "")
    if is_reference(field):
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


# -- values for people ------------------------------------------------------------------------

Titles = Callable[[Field, Any], str]


def bare_title(_field: Field, value: Any) -> str:
    """Titles for values that refer to nothing (computed values, totals)."""
    return str(value)


def as_text(field: Field, value: Any, titles: Titles, tz: ZoneInfo) -> str:
    """A value as a person reads it on its record page; references by their titles."""
    if value is None or value == [] or value == "":
        return ""
    return fieldtypes.of(field.type).text(field, value, _show(titles, tz))


def as_cell(field: Field, value: Any, titles: Titles, tz: ZoneInfo) -> str:
    """A value in a list, a search result or a summary: what the record page shows, or less
    (an identity number masked)."""
    if value is None or value == [] or value == "":
        return ""
    return fieldtypes.of(field.type).cell(field, value, _show(titles, tz))


def exported(field: Field, value: Any, titles: Titles, tz: ZoneInfo) -> Any:
    """A value in a CSV or XLSX export (numbers as numbers)."""
    if value is None or value == [] or value == "":
        return ""
    return fieldtypes.of(field.type).exported(field, value, _show(titles, tz))


def money_text(value: Number, currency: str | None) -> str:
    """An amount for the page's reader: in ``currency`` (else the site's), with the symbol the
    site's locale writes (¥178,300.00)."""
    currency, symbol = money_sign(currency)
    return format_money(value, currency, current_lang(), symbol=symbol)


def money_sign(currency: str | None) -> tuple[str, str]:
    """The currency of an amount (``currency``, else the site's) and the symbol the site's
    locale writes for it: ("CNY", "¥")."""
    site = current_app.extensions["loom"].runtime.site
    currency = currency or (site.settings.currency if site else DEFAULT_CURRENCY)
    return currency, currency_symbol(currency, site.settings.locale if site else DEFAULT_LOCALE)


def _show(titles: Titles, tz: ZoneInfo) -> Show:
    return Show(titles, tz, _, label, money_text)
