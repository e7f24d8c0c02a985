"""CEL conditions over stored records, pushed into SQL where they can be.

A condition such as ``id == record.opportunity && !in_pool && days_between(...) > 30``
is a conjunction. Each top-level conjunct of the shape ``field OP value`` (the value
reading only context names, never the record's own fields) or ``field`` / ``!field``
becomes a bound SQL clause; the rest stays CEL. A query then reads only the rows the SQL
part admits, and the whole condition is still evaluated on each of them unless every
conjunct went into SQL, so both halves can never disagree.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from operator import eq
from operator import ge
from operator import gt
from operator import le
from operator import lt
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy import Table
from sqlalchemy import true

from loom.metadata.catalog import Entity
from loom.metadata.expressions import Expression
from loom.metadata.expressions import compile_expression

_COMPARISON = re.compile(r"^([A-Za-z_]\w*)\s*(==|!=|<=|>=|<|>)\s*(.+)$", re.S)
_MIRRORED = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "==": "==", "!=": "!="}
_OPERATORS = {"==": eq, "<": lt, "<=": le, ">": gt, ">=": ge}
_BARE = re.compile(r"^(!?)\s*([A-Za-z_]\w*)$")


@dataclass(frozen=True, slots=True)
class Filter:
    """The SQL part of a condition, and whether the CEL part must still be checked."""

    clause: ColumnElement[bool]
    exact: bool


def sql_filter(expression: Expression, entity: Entity, table: Table, context: Mapping[str, Any]) -> Filter:
    """The SQL clause implied by ``expression`` over ``table``; context names are constants."""
    columns = set(table.c.keys())  # the entity's own fields and system columns, never related rows
    clauses: list[ColumnElement[bool]] = []
    exact = True
    for part in conjuncts(expression.source):
        clause = _clause(part, entity, table, columns, context)
        if clause is None:
            exact = False
        else:
            clauses.append(clause)
    combined: ColumnElement[bool] = true()
    for clause in clauses:
        combined = combined & clause
    return Filter(combined, exact)


@cache  # an automation's or rollup's condition is split on every run; its text never changes
def conjuncts(source: str) -> tuple[str, ...]:
    """The top-level ``&&`` parts of ``source``, outer parentheses removed."""
    text = _unwrap(source.strip())
    parts, depth, start, quote, i = [], 0, 0, "", 0
    while i < len(text):
        char = text[i]
        if quote:
            if char == "\\":
                i += 1
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif depth == 0 and text.startswith("&&", i):
            parts.append(text[start:i])
            start = i + 2
            i += 1
        elif depth == 0 and (text.startswith("||", i) or char == "?"):
            return (text,)  # a disjunction or a choice is one condition
        i += 1
    parts.append(text[start:])
    return tuple(_unwrap(p.strip()) for p in parts)


def equality_columns(expression: Expression, entity: Entity, columns: set[str]) -> tuple[str, ...]:
    """The columns a condition pins to one value (``field == value``, ``flag``, ``!flag``), in order.

    Whatever the value is at run time (``current_user``, a constant), rows matching such a
    condition lie together in an index that starts with those columns, so a view's index can
    lead with them (loom.platform.ordering).
    """
    found: list[str] = []
    for part in conjuncts(expression.source):
        bare = _BARE.match(part)
        if bare and bare.group(2) in columns and _is_boolean(entity, bare.group(2)):
            found.append(bare.group(2))
            continue
        for match in (_COMPARISON.match(part), _COMPARISON.match(_mirror(part))):
            if (
                match
                and match.group(2) == "=="
                and match.group(1) in columns
                and _reads_no(match.group(3), columns)
            ):
                found.append(match.group(1))
                break
    return tuple(dict.fromkeys(found))


def _unwrap(text: str) -> str:
    while text.startswith("(") and text.endswith(")") and _closes_at_end(text):
        text = text[1:-1].strip()
    return text


def _closes_at_end(text: str) -> bool:
    depth = 0
    for i, char in enumerate(text):
        depth += char == "("
        depth -= char == ")"
        if depth == 0 and i < len(text) - 1:
            return False
    return True


def _clause(
    part: str, entity: Entity, table: Table, columns: set[str], context: Mapping[str, Any]
) -> ColumnElement[bool] | None:
    bare = _BARE.match(part)
    if bare and bare.group(2) in columns and _is_boolean(entity, bare.group(2)):
        column = table.c[bare.group(2)]
        # CEL's `!null` is an error, not true: a NULL flag passes neither `flag` nor `!flag`
        return column.is_(False) if bare.group(1) else column.is_(True)
    match = _COMPARISON.match(part)
    if not match:
        return None
    name, operator, other = match.groups()
    if name not in columns:
        mirrored = _COMPARISON.match(_mirror(part))
        if mirrored is None or mirrored.group(1) not in columns:
            return None
        name, operator, other = mirrored.groups()
    found, value = _constant(other, columns, context)
    if not found:
        return None
    return _compare(table.c[name], operator, _as_column_value(entity, name, value))


def _reads_no(source: str, columns: set[str]) -> bool:
    """Whether an expression compiles and reads none of the record's own columns."""
    try:
        return not compile_expression(source).variables & columns
    except ValueError:
        return False


def _mirror(part: str) -> str:
    """``value OP field`` as ``field OP' value``."""
    match = re.match(r"^(.+?)\s*(==|!=|<=|>=|<|>)\s*([A-Za-z_]\w*)$", part, re.S)
    if not match:
        return ""
    value, operator, name = match.groups()
    return f"{name} {_MIRRORED[operator]} {value}"


def _constant(source: str, columns: set[str], context: Mapping[str, Any]) -> tuple[bool, Any]:
    try:
        expression = compile_expression(source)
    except ValueError:
        return False, None
    if expression.variables & columns or not expression.variables <= set(context):
        return False, None
    try:
        return True, expression.evaluate(context)
    except Exception:
        return False, None


def _compare(column: Any, operator: str, value: Any) -> ColumnElement[bool] | None:
    if value is None:
        return {"==": column.is_(None), "!=": column.is_not(None)}.get(operator)
    if isinstance(value, list | dict):
        return None
    if operator not in ("==", "!=") and isinstance(value, bool | str):
        # SQL cannot order booleans, and orders text by the database's collation, not
        # by code point as CEL does
        return None
    if operator == "!=":
        return column.is_distinct_from(value)  # CEL: null != 5 holds
    return _OPERATORS[operator](column, value)


def _is_boolean(entity: Entity, name: str) -> bool:
    return entity.has_field(name) and entity.field(name).type == "boolean"


def _as_column_value(entity: Entity, name: str, value: Any) -> Any:
    """A CEL value (ISO text for dates, UTC timestamps) in the column's own type."""
    kind = entity.field(name).type if entity.has_field(name) else ""
    if kind == "date" and isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    if (kind == "datetime" or name in ("created_at", "updated_at")) and isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    return value


def matches(expression: Expression, names: Mapping[str, Any]) -> bool:
    """Whether a condition holds; one that cannot be evaluated does not."""
    try:
        return expression.evaluate(names) is True
    except Exception:
        return False
