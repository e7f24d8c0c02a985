"""The FieldType: everything the platform does with one type of field, in one object.

A field's type decides its column, how a value is parsed and checked (marshmallow), how
OpenAPI describes it, how CEL sees it, how a computed result is stored, how people read
it (record page, list cell, export), how the portal and the console edit it, what demo
value it gets and which report aggregates it allows. Each type module under
``loom.platform.fieldtypes`` holds one or a family of these objects; the modules that
used to branch on ``field.type`` ask the registry (:func:`loom.platform.fieldtypes.of`).

The defaults here are those of plain text, so a type states only where it differs.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any
from typing import Protocol
from zoneinfo import ZoneInfo

from marshmallow import ValidationError
from marshmallow import fields as mf
from marshmallow import validate
from sqlalchemy import String
from sqlalchemy.types import TypeEngine

from loom.metadata.catalog import Field
from loom.metadata.catalog import Label

from .. import limits

TEXT_LENGTH = 255  # of a string column whose field declares no max_length
MAX_ID = 2**63 - 1  # ids and integers are 64-bit columns
MIN_INTEGER = -(2**63)
ID_RANGE = validate.Range(min=1, max=MAX_ID, error="invalid")
INT64 = validate.Range(min=MIN_INTEGER, max=MAX_ID, error="invalid")
ALL_AGGREGATES = frozenset({"count", "count_distinct", "sum", "avg", "min", "max"})
COUNTS = frozenset({"count", "count_distinct"})


@dataclass(frozen=True, slots=True)
class Widget:
    """How the portal edits a value: a macro of ``macros.html`` with its input attributes,
    or a template of its own (``fields/<type>.html``, a ``control`` macro) for a type whose
    control is not one of the shared ones."""

    macro: str
    input_type: str = "text"
    inputmode: str | None = None
    template: str | None = None


class Gettext(Protocol):
    """The interface's translation function (Flask-Babel's ``gettext``; named so, the texts
    of the field types are extracted with the portal's, see babel.cfg)."""

    def __call__(self, text: str, **values: Any) -> str: ...


@dataclass(frozen=True, slots=True)
class Show:
    """What writing a value for people needs: titles of referenced records, the site's zone,
    the interface's translation, the reader's side of a ``{zh, en}`` label and how the reader
    writes an amount in a currency (None: the site's) (the FieldTypes import no web framework)."""

    titles: Callable[[Field, Any], str]
    zone: ZoneInfo
    gettext: Gettext
    label: Callable[[Label], str]
    money: Callable[[Any, str | None], str]


class Fake(Protocol):
    """The demo's value maker (``loom.platform.demo.values.Faker``): a seeded random source,
    the demo's today and the parent row of a child row."""

    rng: Any
    today: dt.date
    parent: Mapping[str, Any] | None


def cel_value(value: Any) -> Any:
    """A stored value as CEL sees it: decimals as doubles, dates and times as ISO text."""
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.datetime):
        # CEL takes UTC timestamps; a zone such as Asia/Shanghai would not convert.
        return value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list):
        return [cel_value(v) for v in value]
    if isinstance(value, Mapping):
        return {k: cel_value(v) for k, v in value.items()}
    return value


def storable(value: str) -> None:
    """No column stores NUL on PostgreSQL: refused on every database, so both behave alike."""
    if limits.bad_text(value):
        raise ValidationError("bad_text")


def text_checks(field: Field) -> list[Any]:
    """The length checks a text field declares, with our error codes."""
    checks: list[Any] = [storable]
    if field.max_length:
        checks.append(validate.Length(max=field.max_length, error="too_long"))
    if field.min_length:
        checks.append(validate.Length(min=field.min_length, error="too_short"))
    return checks


class FieldType:
    """One type of field. Subclasses override the aspects in which they differ from text.

    ``name`` is the type's name in metadata (``type: rating``). The class attributes are
    facts other modules read instead of keeping lists of type names.
    """

    #: The value is set by the server (computed, numbered, rolled up), never sent.
    server_owned = False
    #: The value is a number: right-aligned, exported as a number, totalled.
    numeric = False
    #: The value is the id of a record, a user, a department or a file (or a list of them).
    by_id = False
    #: The table a value refers to by id (``loom_users``…); a link's is its entity's.
    references: str | None = None
    #: The value is a list (of option keys or ids) whatever ``multiple`` says.
    listed = False
    #: The inputs of a value with parts (a region's province, city, district), one per part.
    parts: tuple[str, ...] = ()
    #: The aggregates a report measure or rollup may apply to the field.
    aggregations: frozenset[str] = COUNTS
    #: How a wrong-typed value is named in the ``invalid`` message ("a whole number"…).
    kind = "text"
    #: A free-text search (``q``) may look in the field (its column holds the text people type).
    searchable = True
    #: A list may be sorted by the field.
    sortable = True
    #: How a list filters by the field: ``contains`` (text), ``range`` (from… to…) or ``eq``.
    list_filter = "contains"
    #: The portal's control (an output instead when the server sets the value).
    widget = Widget("input")
    #: The console's form widget, one of the palette of ``loom.admin.fields.WIDGETS``.
    console = "string"
    #: Messages of the error codes the type's checks raise, ``{code: {en, zh}}``.
    messages: Mapping[str, Mapping[str, str]] = MappingProxyType({})
    #: The console's lists show the stored value (Flask-Admin's formatting), not :meth:`cell`.
    console_shows_stored = True

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<FieldType {self.name}>"

    # -- storage -----------------------------------------------------------------------------

    def column(self, field: Field) -> TypeEngine:
        """The column type that stores the field's value."""
        return String(field.max_length or TEXT_LENGTH)

    def has_column(self, field: Field) -> bool:
        """Whether the value is a column of its entity's own table (not child or link rows)."""
        return not (field.multiple and self.references is not None)

    def stored_as(self, field: Field) -> FieldType:
        """The type whose column and values the field has: itself, but for server-set values
        (a computed field is stored as its ``result`` type)."""
        return self

    def stored(self, field: Field, value: Any) -> Any:
        """A CEL result or an aggregate (never None) converted to what the column holds."""
        return str(value)

    # -- input -------------------------------------------------------------------------------

    def schema_field(self, field: Field, zone: ZoneInfo) -> mf.Field:
        """The marshmallow field that parses and checks a sent value (codes as messages)."""
        return mf.String(validate=text_checks(field), allow_none=True)

    def filter_field(self, field: Field, zone: ZoneInfo) -> mf.Field:
        """The marshmallow field that parses a list filter's value (from a query string)."""
        return self.schema_field(field, zone)

    def openapi(self, field: Field, prop: dict[str, Any]) -> dict[str, Any]:
        """The OpenAPI property, from what apispec made of :meth:`schema_field`."""
        return prop

    # -- expressions -------------------------------------------------------------------------

    def cel(self, field: Field, value: Any) -> Any:
        """The stored value as a CEL expression reads it."""
        return cel_value(value)

    # -- people ------------------------------------------------------------------------------

    def text(self, field: Field, value: Any, show: Show) -> str:
        """The value as a person reads it on the record page (never None or empty)."""
        return str(value)

    def cell(self, field: Field, value: Any, show: Show) -> str:
        """The value in a list cell, a search result or an export: the record page's text
        unless the type shows less there (a masked identity number)."""
        return self.text(field, value, show)

    def exported(self, field: Field, value: Any, show: Show) -> Any:
        """The value in a CSV or XLSX export: numbers stay numbers for the spreadsheet."""
        return value if self.numeric else self.cell(field, value, show)

    # -- demo --------------------------------------------------------------------------------

    def demo(self, field: Field, fake: Fake, values: Mapping[str, Any]) -> Any:
        """A realistic value for a demo record, or None when the demo module picks it."""
        return None
