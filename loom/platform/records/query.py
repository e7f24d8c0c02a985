"""Listing records: filters on any field (also through links and child rows), free-text
search, multi-key sort, offset pages or keyset cursors, chosen fields, and counts that
stay cheap on large tables.

Every identifier comes from the Catalog; every value is bound. Filter values are parsed by
the same marshmallow fields that validate writes, so ``"2026-01-01"`` means a date on a
date field and a string on a text field.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import decimal
import json
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any
from typing import cast

from marshmallow import ValidationError
from sqlalchemy import ColumnElement
from sqlalchemy import Connection
from sqlalchemy import Select
from sqlalchemy import String
from sqlalchemy import and_
from sqlalchemy import exists
from sqlalchemy import false
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import true
from sqlalchemy.types import TypeDecorator

from loom.metadata.catalog import Entity
from loom.metadata.catalog import Field

from .. import fieldtypes
from .. import limits
from ..ordering import order_term
from ..ordering import tiebroken
from ..tables import RecordTables
from ..tables import Schema
from .audit import jsonable
from .errors import FieldError
from .errors import ValidationFailed
from .schemas import Schemas

OPERATORS = (
    "eq", "ne", "lt", "lte", "gt", "gte", "in", "not_in", "contains", "starts_with", "between", "is_null",
)  # fmt: skip
SYSTEM_SORTABLE = (
    "id",
    "created_at",
    "updated_at",
    "created_by",
    "updated_by",
    "owner",
    "version",
    "flow_status",
)
COUNT_CAP = 10_000
MAX_PAGE = 1_000_000  # deeper than that, use a cursor
_INVALID = object()
# For a linked entity: which of its rows the actor may read (None: all) and its hidden fields.
Guard = Callable[[RecordTables], tuple[ColumnElement[bool] | None, frozenset[str]]]


def search_fields(entity: Entity) -> list[str]:
    """The fields ``q`` looks in: those marked ``search``, else the title field if it is text."""
    names = [f.name for f in entity.fields if f.search and searchable(f)]
    title = entity.title_field
    return names or ([title] if title and searchable(entity.field(title)) else [])


def searchable(field: Field) -> bool:
    """Whether a free-text search may look in the field (its type says)."""
    return fieldtypes.of(field.type).searchable


@dataclass(frozen=True, slots=True)
class Condition:
    """``field op value``; ``field`` may be ``link.field`` or ``table_field.field``."""

    field: str
    op: str
    value: Any = None


@dataclass(frozen=True, slots=True)
class ListQuery:
    filters: tuple[Condition, ...] = ()
    q: str | None = None
    sort: tuple[str, ...] = ()
    page: int = 1
    page_size: int = 50
    cursor: str | None = None
    fields: tuple[str, ...] | None = None
    count: str = "auto"  # exact | auto | none
    view: str | None = None  # one of the entity's list views, by name (records/views.py)
    sums: tuple[str, ...] = ()  # number fields totalled over every matching row (a board's columns)


@dataclass(frozen=True, slots=True)
class Page:
    records: list[dict[str, Any]]
    total: int | None
    total_is_lower_bound: bool
    next_cursor: str | None
    page: int
    page_size: int
    sums: Mapping[str, Any] = dc_field(default_factory=dict)


class Lister:
    """Builds and runs list queries for one Catalog's tables."""

    def __init__(self, schema: Schema, schemas: Schemas) -> None:
        self.schema = schema
        self.schemas = schemas

    def run(
        self,
        c: Connection,
        tables: RecordTables,
        query: ListQuery,
        scope: ColumnElement[bool] | None = None,
        hidden: frozenset[str] = frozenset(),
        guard: Guard | None = None,
    ) -> tuple[list[dict[str, Any]], Page]:
        """Rows of one page (without related rows) and the page description.

        ``scope`` limits the rows to those the actor may read; ``hidden`` fields can be
        neither filtered, searched nor sorted on, or their values would leak.
        """
        entity, table = tables.entity, tables.table
        errors = _past_limits(query)
        for name in query.fields or ():
            if not (entity.has_field(name) or name in SYSTEM_SORTABLE):
                errors.append(FieldError("fields", "bad_field", {"field": name}))
        for name in query.sums:
            if name in hidden or not (
                entity.has_field(name) and "sum" in fieldtypes.of(entity.field(name).type).aggregations
            ):
                errors.append(FieldError("sums", "bad_field", {"field": name}))
        if errors:
            raise ValidationFailed(errors)
        where = []
        for i, cond in enumerate(query.filters):
            if cond.field.partition(".")[0] in hidden:
                errors.append(FieldError(f"filter.{i}", "bad_field", {"field": cond.field}))
            else:
                where.append(self._condition(tables, cond, f"filter.{i}", errors, guard))
        if query.q:
            where.append(self._search(tables, query.q, hidden))
        if scope is not None:
            where.append(scope)
        keys = query.sort or tuple(k for k in entity.list.sort if k.lstrip("-") not in hidden)
        order = self._sort_keys(entity, keys, errors, hidden)
        if not 1 <= query.page_size <= 500:
            errors.append(FieldError("page_size", "max", {"max": 500}))
        if not 1 <= query.page <= MAX_PAGE:
            errors.append(FieldError("page", "max", {"max": MAX_PAGE}))
        if errors:
            raise ValidationFailed(errors)
        columns = self._columns(tables, query.fields, [name for name, _ in order])
        statement = select(*columns).where(*where)
        if query.cursor:
            statement = statement.where(self._after(table, order, query.cursor))
        else:
            statement = statement.offset((query.page - 1) * query.page_size)
        ordering = [order_term(table.c[n], desc) for n, desc in order]
        # all(): one fetch of the page; iterating the result fetched it row by row (a fifth of a
        # SQLite list's time).
        page = c.execute(statement.order_by(*ordering).limit(query.page_size + 1)).mappings().all()
        rows = [dict(r) for r in page]
        more = len(rows) > query.page_size
        rows = rows[: query.page_size]
        # A cursor page continues a walk whose first page was counted: counting again on every
        # page cost up to 40% of a page on a large table. Asked for exactly, it is counted.
        count = "none" if query.cursor and query.count != "exact" else query.count
        offset = 0 if query.cursor else (query.page - 1) * query.page_size
        total: int | None
        if count != "none" and not query.cursor and not more and (rows or not offset):
            total, capped = offset + len(rows), False  # the last page: it tells the total itself
        else:
            total, capped = self._count(c, table, where, count)
        cursor = _encode_cursor(order, rows[-1]) if more and rows else None
        sums = self._sums(c, table, where, query.sums)
        return rows, Page([], total, capped, cursor, query.page, query.page_size, sums)

    # -- conditions ------------------------------------------------------------------------

    def _condition(
        self,
        tables: RecordTables,
        cond: Condition,
        where: str,
        errors: list[FieldError],
        guard: Guard | None = None,
    ) -> ColumnElement[bool]:
        """One filter; through a link, ``guard`` limits it to linked records the actor may read."""
        entity, table = tables.entity, tables.table
        head, _, rest = cond.field.partition(".")
        if cond.op not in OPERATORS:
            errors.append(FieldError(where, "bad_operator", {"op": cond.op, "allowed": ", ".join(OPERATORS)}))
            return false()
        if rest and entity.has_field(head):
            field = entity.field(head)
            if field.type == "link":
                target = self.schema.of(field.entity or "")
                scope, hidden = guard(target) if guard else (None, frozenset())
                if rest.partition(".")[0] in hidden:
                    errors.append(FieldError(where, "bad_field", {"field": cond.field}))
                    return false()
                inner = self._condition(target, Condition(rest, cond.op, cond.value), where, errors, guard)
                linked = select(target.table.c.id).where(inner)
                return table.c[head].in_(linked if scope is None else linked.where(scope))
            if field.type == "table":
                child = tables.children[head]
                inner = self._condition(child, Condition(rest, cond.op, cond.value), where, errors, guard)
                return exists().where(child.table.c.parent_id == table.c.id, inner)
        known = cond.field in SYSTEM_SORTABLE or entity.has_field(cond.field)
        if not known or cond.field not in table.c:
            errors.append(FieldError(where, "bad_field", {"field": cond.field}))
            return false()
        column = table.c[cond.field]
        if cond.op in ("contains", "starts_with") and not isinstance(column.type, String):
            errors.append(FieldError(where, "bad_operator", {"op": cond.op, "allowed": ", ".join(OPERATORS)}))
            return false()
        value = self._parse(entity, cond, where, errors)
        if value is _INVALID:
            return false()
        return _compare(column, cond.op, value)

    def _parse(self, entity: Entity, cond: Condition, where: str, errors: list[FieldError]) -> Any:
        """Parse filter values with a marshmallow field of the column's kind."""
        if cond.op == "is_null":
            if isinstance(cond.value, str):
                return cond.value.lower() in ("1", "true")
            return bool(cond.value)
        if cond.op in ("contains", "starts_with"):
            if isinstance(cond.value, str) and limits.bad_text(cond.value):
                errors.append(FieldError(where, "bad_text"))
                return _INVALID
            if isinstance(cond.value, str | int | float) and not isinstance(cond.value, bool):
                return str(cond.value)
            errors.append(FieldError(where, "bad_value", {"field": cond.field}))
            return _INVALID
        values = cond.value if cond.op in ("in", "not_in", "between") else [cond.value]
        if not isinstance(values, list | tuple) or (cond.op == "between" and len(values) != 2):
            errors.append(FieldError(where, "bad_value", {"field": cond.field}))
            return _INVALID
        if any(isinstance(v, str) and limits.bad_text(v) for v in values):
            errors.append(FieldError(where, "bad_text"))
            return _INVALID
        field = self.schemas.filter_field(entity.qualified_name, cond.field)
        try:
            parsed = [field.deserialize(v) for v in values]
        except ValidationError:
            errors.append(FieldError(where, "bad_value", {"field": cond.field}))
            return _INVALID
        if None in parsed and cond.op not in ("eq", "ne"):
            errors.append(FieldError(where, "bad_value", {"field": cond.field}))
            return _INVALID
        return parsed if cond.op in ("in", "not_in", "between") else parsed[0]

    def _search(self, tables: RecordTables, text: str, hidden: frozenset[str]) -> ColumnElement[bool]:
        table = tables.table
        names = [n for n in search_fields(tables.entity) if n not in hidden]
        if not names:
            return true()
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        return or_(*(table.c[n].ilike(pattern, escape="\\") for n in names))

    # -- sorting, columns, paging ----------------------------------------------------------

    def _sort_keys(
        self, entity: Entity, keys: tuple[str, ...], errors: list[FieldError], hidden: frozenset[str]
    ) -> list[tuple[str, bool]]:
        order = []
        for key in keys:
            name = key.lstrip("-")
            direct = entity.has_field(name) and entity.field(name).type not in ("table", "many")
            if not (direct or name in SYSTEM_SORTABLE) or name in hidden:
                errors.append(FieldError("sort", "bad_field", {"field": name}))
                continue
            if name != "flow_status" or entity.has_flow:
                order.append((name, key.startswith("-")))
        return list(tiebroken(order))

    def _columns(self, tables: RecordTables, fields: tuple[str, ...] | None, sort: list[str]) -> list[Any]:
        """The chosen columns, with the sort keys a cursor needs."""
        table = tables.table
        if fields is None:
            return list(table.c)
        wanted = {"id", "version", *fields, *sort}
        return [column for column in table.c if column.name in wanted]

    def _after(self, table: Any, order: list[tuple[str, bool]], cursor: str) -> ColumnElement[bool]:
        """Rows after the cursor's row in the sort order, where empty values sort last."""
        decoded = _decode_cursor(order, cursor)
        try:
            values = {name: _typed(table.c[name], value) for name, value in decoded.items()}
        except (ValueError, TypeError, ArithmeticError):
            raise ValidationFailed([FieldError("cursor", "bad_cursor")]) from None
        clauses = []
        for i, (name, desc) in enumerate(order):
            equal = [_same(table.c[n], values[n]) for n, _ in order[:i]]
            value = values[name]
            if value is None:
                continue  # nothing sorts after an empty value but other empty values
            column = table.c[name]
            beyond = or_(column < value if desc else column > value, column.is_(None))
            clauses.append(and_(*equal, beyond))
        return or_(*clauses) if clauses else false()

    def _sums(self, c: Connection, table: Any, where: list[Any], names: tuple[str, ...]) -> dict[str, Any]:
        """Each named column's total over every row the query matches (0 when none)."""
        if not names:
            return {}
        totals = c.execute(select(*(func.sum(table.c[n]) for n in names)).where(*where)).one()
        return {name: 0 if total is None else total for name, total in zip(names, totals, strict=True)}

    def _count(self, c: Connection, table: Any, where: list[Any], mode: str) -> tuple[int | None, bool]:
        """An exact count when asked; otherwise exact up to COUNT_CAP, then a lower bound."""
        if mode == "none":
            return None, False
        inner: Select = select(table.c.id).where(*where)
        if mode != "exact":
            inner = inner.limit(COUNT_CAP + 1)
        total = c.execute(select(func.count()).select_from(inner.subquery())).scalar_one()
        if mode != "exact" and total > COUNT_CAP:
            return COUNT_CAP, True
        return total, False


def _compare(column: Any, op: str, value: Any) -> ColumnElement[bool]:
    if op == "eq":
        return column.is_(None) if value is None else column == value
    if op == "ne":
        return column.is_not(None) if value is None else or_(column != value, column.is_(None))
    if op in ("lt", "lte", "gt", "gte"):
        return {"lt": column < value, "lte": column <= value, "gt": column > value, "gte": column >= value}[
            op
        ]
    if op == "in":
        return column.in_(value)
    if op == "not_in":
        return or_(column.not_in(value), column.is_(None))
    if op == "between":
        return column.between(value[0], value[1])
    if op == "is_null":
        return column.is_(None) if value else column.is_not(None)
    text = str(value).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{text}%" if op == "contains" else f"{text}%"
    return column.ilike(pattern, escape="\\")


def _past_limits(query: ListQuery) -> list[FieldError]:
    """The list parameters beyond limits.py's bounds, checked before any of them is parsed."""
    errors = []
    if len(query.filters) > limits.FILTERS:
        errors.append(FieldError("filter", "too_many", {"max": limits.FILTERS}))
    for i, cond in enumerate(query.filters[: limits.FILTERS]):
        values = cond.value if isinstance(cond.value, list | tuple) else [cond.value]
        if len(values) > limits.FILTER_VALUES:
            errors.append(FieldError(f"filter.{i}", "too_many", {"max": limits.FILTER_VALUES}))
        elif any(isinstance(v, str) and len(v) > limits.VALUE_LENGTH for v in values):
            errors.append(FieldError(f"filter.{i}", "too_long", {"max": limits.VALUE_LENGTH}))
    if len(query.sort) > limits.SORT_KEYS:
        errors.append(FieldError("sort", "too_many", {"max": limits.SORT_KEYS}))
    if query.q and len(query.q) > limits.SEARCH_LENGTH:
        errors.append(FieldError("q", "too_long", {"max": limits.SEARCH_LENGTH}))
    elif query.q and limits.bad_text(query.q):
        errors.append(FieldError("q", "bad_text"))
    if query.cursor and len(query.cursor) > limits.PARAMETER_LENGTH:
        errors.append(FieldError("cursor", "too_long", {"max": limits.PARAMETER_LENGTH}))
    return errors


def _encode_cursor(order: list[tuple[str, bool]], row: Mapping[str, Any]) -> str:
    payload = {
        "k": [f"{'-' if d else ''}{n}" for n, d in order],
        "v": [jsonable(row.get(n)) for n, _ in order],
    }
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def _decode_cursor(order: list[tuple[str, bool]], cursor: str) -> dict[str, Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded))
        keys = payload["k"]
        values = payload["v"]
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise ValidationFailed([FieldError("cursor", "bad_cursor")]) from None
    scalars = isinstance(values, list) and all(v is None or isinstance(v, str | int | float) for v in values)
    if keys != [f"{'-' if d else ''}{n}" for n, d in order] or not scalars or len(values) != len(keys):
        raise ValidationFailed([FieldError("cursor", "bad_cursor")])
    return {name: value for (name, _), value in zip(order, values, strict=True)}


def _typed(column: Any, value: Any) -> Any:
    """A cursor value (JSON) back in the column's Python type, so it binds like the column.

    A cursor comes from the client: a value of another type raises ValueError or TypeError.
    """
    if value is None:
        return None
    kind = column.type.impl if isinstance(column.type, TypeDecorator) else column.type
    try:
        python_type = cast(type, kind.python_type)
    except NotImplementedError:
        return value
    if isinstance(value, bool) and python_type is not bool:
        raise TypeError(value)
    if python_type is decimal.Decimal:
        number = decimal.Decimal(str(value))
        if not number.is_finite():
            raise ValueError(value)
        return number
    if python_type in (dt.date, dt.datetime, dt.time):
        return python_type.fromisoformat(value)
    if python_type is int and not (isinstance(value, int) and -(2**63) <= value < 2**63):
        raise ValueError(value)
    if python_type is str and not (isinstance(value, str) and not limits.bad_text(value)):
        raise ValueError(value)
    if python_type is float and isinstance(value, int):
        return float(value)
    if not isinstance(value, python_type):
        raise TypeError(value)
    return value


def _same(column: Any, value: Any) -> ColumnElement[bool]:
    return column.is_(None) if value is None else column == value
