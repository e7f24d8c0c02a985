"""List filters from the entity's ``list.filters``, as conditions the records service runs.

Flask-Admin only shows a filter and hands back the typed value; the view turns each
``(filter, value)`` pair into a :class:`~loom.platform.records.query.Condition`, so the
console filters with the same code, scopes and value parsing as the REST API.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterator
from typing import Any

from flask_admin.babel import lazy_gettext
from flask_admin.model.filters import BaseFilter

from loom.metadata.catalog import Entity
from loom.metadata.catalog import Field
from loom.metadata.catalog import Label
from loom.platform.web.lists import STATUS_KEYS

from .labels import FLOW_STATUSES
from .labels import SYSTEM_LABELS
from .labels import Text
from .labels import lazy

YES_NO = [("1", lazy({"zh": "是", "en": "Yes"})), ("0", lazy({"zh": "否", "en": "No"}))]
OPERATIONS = {
    "eq": lazy_gettext("equals"),
    "contains": lazy_gettext("contains"),
    "gt": lazy_gettext("greater than"),
    "lt": lazy_gettext("smaller than"),
}
TEXTS = frozenset({"string", "text", "rich_text", "email", "url", "phone", "autonumber"})
ORDERED = frozenset(
    {"integer", "decimal", "money", "percent", "date", "datetime", "time", "computed", "rollup"}
)
IDS = frozenset({"link", "user", "department", "file", "image"})
DATA_TYPES = {"date": "datepicker", "datetime": "datetimepicker"}


class ConditionFilter(BaseFilter):
    """``column op value``; ``parse`` turns the typed text into the value compared."""

    def __init__(
        self,
        column: str,
        op: str,
        name: Text,
        options: list[tuple[str, Any]] | None = None,
        data_type: str | None = None,
        parse: Callable[[str], Any] = str,
    ) -> None:
        super().__init__(lazy(name), options, data_type)
        self.column = column
        self.op = op
        self.parse = parse

    def operation(self) -> Any:
        return OPERATIONS[self.op]

    def clean(self, value: str) -> Any:
        return self.parse(value)


def _yes_no(value: str) -> bool:
    if value not in ("0", "1"):
        raise ValueError(value)
    return value == "1"


def field_filters(entity: Entity) -> list[ConditionFilter]:
    """The filters the entity's list declares, each with the operations its type allows."""
    return [flt for name in entity.list.filters for flt in _of_name(entity, name)]


def _of_name(entity: Entity, name: str) -> Iterator[ConditionFilter]:
    if entity.has_field(name):
        yield from _of_field(entity.field(name))
    elif name == "flow_status":
        options = [(key, lazy(FLOW_STATUSES[key])) for key in STATUS_KEYS]
        yield ConditionFilter(name, "eq", SYSTEM_LABELS[name], options)
    elif name in SYSTEM_LABELS:
        kind = "datetime" if name.endswith("_at") else "integer"
        yield from _of_field(Field(name, kind, Label.of(SYSTEM_LABELS[name])))


def _of_field(field: Field) -> Iterator[ConditionFilter]:
    name, kind = field.name, field.type
    if kind == "select":
        options = [(o.key, lazy(o.label)) for o in field.options]
        yield ConditionFilter(name, "eq", field.label, options)
    elif kind == "boolean":
        yield ConditionFilter(name, "eq", field.label, YES_NO, parse=_yes_no)
    elif kind in IDS:
        yield ConditionFilter(name, "eq", field.label, parse=int)
    elif kind in ORDERED:
        data_type = DATA_TYPES.get(kind)
        for op in ("eq", "gt", "lt"):
            yield ConditionFilter(name, op, field.label, data_type=data_type)
    elif kind in TEXTS:
        yield ConditionFilter(name, "contains", field.label)
        yield ConditionFilter(name, "eq", field.label)
