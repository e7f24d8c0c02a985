"""Form fields generated from an entity: one widget per field type, and the way back.

A palette of widgets, each named by the field types it edits (``FieldType.console``), gives
the WTForms field and the conversion of the widget's value into what the records service
takes (ISO dates, decimals as text, an empty text as no value). Datetimes are shown in the
site's time zone; lists of ids and JSON values have fields of their own that parse what is
typed. The form checks only what a widget cannot hold (a word in a number box); everything
else, including required fields, is the records service's to decide, so the console and the
API report the same errors.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from wtforms import BooleanField
from wtforms import DateField
from wtforms import DateTimeLocalField
from wtforms import DecimalField
from wtforms import EmailField
from wtforms import Field as FormField
from wtforms import HiddenField
from wtforms import IntegerField
from wtforms import SelectField
from wtforms import SelectMultipleField
from wtforms import StringField
from wtforms import TelField
from wtforms import TextAreaField
from wtforms import TimeField
from wtforms import URLField
from wtforms.fields.choices import SelectChoice
from wtforms.fields.core import UnboundField
from wtforms.validators import InputRequired
from wtforms.validators import Optional

from loom.metadata.catalog import Entity
from loom.metadata.catalog import Field
from loom.platform import fieldtypes
from loom.platform.records.schemas import SERVER_OWNED

from .labels import lazy
from .labels import lazy_markup
from .labels import text
from .pickers import is_multiple
from .pickers import is_picked
from .pickers import picker

NOT_EDITED = frozenset({"table"}) | SERVER_OWNED  # child rows and server-computed values
VERSION = "version"
JSON_ERROR = {"en": "Not valid JSON.", "zh": "不是有效的 JSON。"}
IDS_ERROR = {"en": "Record ids separated by commas.", "zh": "请填写以逗号分隔的记录编号。"}


def _same(value: Any) -> Any:
    return value


def _iso(value: Any) -> Any:
    return value.isoformat() if value is not None else None


def _decimal_text(value: decimal.Decimal | None) -> str | None:
    return str(value) if value is not None else None


def _blank_is_none(value: Any) -> Any:
    return value if value not in ("", None) else None


class IdListField(StringField):
    """Ids of referenced records typed as ``3, 5, 8``."""

    data: list[int] | None

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return ", ".join(str(i) for i in self.data or ())

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist:
            try:
                self.data = [int(p) for p in valuelist[0].replace("，", ",").split(",") if p.strip()]
            except ValueError:
                self.data = None
                raise ValueError(text(IDS_ERROR)) from None


class JsonField(TextAreaField):
    """A JSON value (regions, coordinates, free JSON) edited as text."""

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return json.dumps(self.data, ensure_ascii=False, indent=2) if self.data is not None else ""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist:
            try:
                self.data = json.loads(valuelist[0]) if valuelist[0].strip() else None
            except ValueError:
                self.data = None
                raise ValueError(text(JSON_ERROR)) from None


def _options(field: Field) -> list[SelectChoice]:
    return [SelectChoice(o.key, lazy(o.label)) for o in field.options]


class Required(InputRequired):
    """Marks a required field (asterisk, ``required`` attribute); the records service checks it.

    Subclassing InputRequired is what Flask-Admin looks for to draw the asterisk; the check
    itself is left to the service so the console shows the same message as the API.
    """

    def __call__(self, form: Any, field: FormField) -> None:
        return None


@dataclass(frozen=True, slots=True)
class Widget:
    """How one field type is edited: the form field, and its value as the service takes it."""

    build: Callable[[Field, dict[str, Any]], UnboundField]
    stored: Callable[[Any], Any] = _same


# The console's palette: each field type names the one that edits it (FieldType.console).
WIDGETS: dict[str, Widget] = {
    "string": Widget(lambda f, kw: StringField(**kw), stored=_blank_is_none),
    "textarea": Widget(lambda f, kw: TextAreaField(**kw), stored=_blank_is_none),
    "email": Widget(lambda f, kw: EmailField(**kw), stored=_blank_is_none),
    "url": Widget(lambda f, kw: URLField(**kw), stored=_blank_is_none),
    "phone": Widget(lambda f, kw: TelField(**kw), stored=_blank_is_none),
    "integer": Widget(lambda f, kw: IntegerField(**kw)),
    "number": Widget(lambda f, kw: DecimalField(places=None, **kw), stored=_decimal_text),
    "boolean": Widget(lambda f, kw: BooleanField(**kw)),
    "date": Widget(lambda f, kw: DateField(**kw), stored=_iso),
    "datetime": Widget(lambda f, kw: DateTimeLocalField(**kw), stored=_iso),
    "time": Widget(lambda f, kw: TimeField(**kw), stored=_iso),
    "select": Widget(
        lambda f, kw: SelectField(choices=[SelectChoice("", ""), *_options(f)], **kw),
        stored=_blank_is_none,
    ),
    "multiselect": Widget(lambda f, kw: SelectMultipleField(choices=_options(f), **kw)),
    "id": Widget(lambda f, kw: IntegerField(**kw)),
    "ids": Widget(lambda f, kw: IdListField(**kw)),
    "json": Widget(lambda f, kw: JsonField(**kw)),
}

PICKER = Widget(picker)


def _ids(value: Any) -> list[int]:
    return list(value or [])


PICKS = Widget(picker, stored=_ids)


def widget(field: Field) -> Widget:
    """The widget of a field; references to records, people and departments are searchable
    pickers (of one or several); other multi-valued fields (images) are lists of ids."""
    if is_picked(field):
        return PICKS if is_multiple(field) else PICKER
    return WIDGETS["ids"] if field.multiple else WIDGETS[fieldtypes.of(field.type).console]


def edited_fields(entity: Entity) -> list[Field]:
    """Fields the console edits: not computed, not child tables, not declared read-only."""
    return [f for f in entity.fields if f.type not in NOT_EDITED and not f.readonly]


def form_class(entity: Entity, base: type) -> type:
    """A form class for ``entity`` on ``base`` (a CSRF-protected Flask-Admin form)."""
    members: dict[str, Any] = {VERSION: HiddenField()}
    for field in edited_fields(entity):
        checks = [Optional(), Required()] if field.required else [Optional()]
        options: dict[str, Any] = {"label": lazy(field.label), "validators": checks}
        if field.help is not None:
            options["description"] = lazy_markup(field.help)
        members[field.name] = widget(field).build(field, options)
    return type(f"{entity.table_name}_form", (base,), members)


def form_values(entity: Entity, record: dict[str, Any], zone: ZoneInfo) -> dict[str, Any]:
    """A stored record as the form's widgets show it: datetimes in the site's time zone, to
    the second (what a date-time input holds)."""
    values: dict[str, Any] = {VERSION: record.get(VERSION)}
    for field in edited_fields(entity):
        value = record.get(field.name)
        if isinstance(value, dt.datetime):
            value = value.astimezone(zone).replace(tzinfo=None, microsecond=0)
        values[field.name] = value
    return values


def service_values(entity: Entity, form: Any, *, creating: bool = False) -> dict[str, Any]:
    """The form's values as the records service takes them.

    On a new record an empty widget means "not given", so the service applies the field's
    default. On an existing one only changed values are sent (an empty widget clears its
    value): what the form shows rounded, such as a datetime's fraction of a second, is
    never rewritten, and the audit log lists only what the admin changed.
    """
    values = {}
    for field in edited_fields(entity):
        bound: FormField = form[field.name]
        stored = widget(field).stored
        value = stored(bound.data)
        if creating and value in (None, []):
            continue
        if not creating and value == stored(bound.object_data):
            continue
        values[field.name] = value
    return values
