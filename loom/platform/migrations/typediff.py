"""How a column's type changes: not at all, safely (widened) or at the cost of data.

Alembic's own type comparison only says "different"; the planner needs to know whether the
existing values all fit the new type. They do when a string gets longer (or unbounded), an
integer gets more bits, a decimal keeps at least as many digits on each side of the point,
or an integer becomes a decimal. Anything else may lose or reject values.

Types are compared as the dialect stores them, so variants (``BigInteger`` that is
``INTEGER`` on SQLite) and type decorators compare by what is really in the database.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy import Float
from sqlalchemy import Integer
from sqlalchemy import Numeric
from sqlalchemy import String
from sqlalchemy import func
from sqlalchemy.engine import Dialect
from sqlalchemy.types import BigInteger
from sqlalchemy.types import SmallInteger
from sqlalchemy.types import TypeDecorator
from sqlalchemy.types import TypeEngine

Where = Callable[[Any], ColumnElement[bool]]


class TypeChange(enum.Enum):
    SAME = "same"
    WIDEN = "widen"
    NARROW = "narrow"
    CHANGE = "change"


def classify(old: TypeEngine[Any], new: TypeEngine[Any], dialect: Dialect) -> TypeChange:
    """Classify the change from the live column type ``old`` to the target type ``new``."""
    old, new = resolve(old, dialect), resolve(new, dialect)
    old_family, new_family = _family(old), _family(new)
    if old_family != new_family:
        if (old_family, new_family) == ("integer", "numeric"):
            return TypeChange.WIDEN
        return TypeChange.CHANGE
    if old_family == "string":
        return _compare_sizes(old.length, new.length)  # type: ignore[attr-defined]
    if old_family == "integer":
        if dialect.name == "sqlite":  # every SQLite INTEGER holds 64 bits
            return TypeChange.SAME
        return _compare_sizes(_bits(old), _bits(new))
    if old_family == "numeric":
        return _compare_numeric(old, new)  # type: ignore[arg-type]
    return TypeChange.SAME if old._type_affinity is new._type_affinity else TypeChange.CHANGE


def resolve(type_: TypeEngine[Any], dialect: Dialect) -> TypeEngine[Any]:
    """The type the dialect really uses: decorators unwrapped, variants picked."""
    while isinstance(type_, TypeDecorator):
        type_ = type_.load_dialect_impl(dialect)
    return type_.dialect_impl(dialect)


def _family(type_: TypeEngine[Any]) -> str:
    if isinstance(type_, String):
        return "string"
    if isinstance(type_, Integer):
        return "integer"
    if isinstance(type_, Numeric) and not isinstance(type_, Float):
        return "numeric"
    return "other"


def _bits(type_: TypeEngine[Any]) -> int:
    if isinstance(type_, BigInteger):
        return 64
    return 16 if isinstance(type_, SmallInteger) else 32


def _compare_sizes(old: int | None, new: int | None) -> TypeChange:
    """Compare sizes where None means unbounded."""
    if old == new:
        return TypeChange.SAME
    if new is None or (old is not None and new > old):
        return TypeChange.WIDEN
    return TypeChange.NARROW


def _compare_numeric(old: Numeric[Any], new: Numeric[Any]) -> TypeChange:
    if (old.precision, old.scale) == (new.precision, new.scale):
        return TypeChange.SAME
    if new.precision is None:
        return TypeChange.WIDEN
    if old.precision is None:
        return TypeChange.NARROW
    old_scale, new_scale = old.scale or 0, new.scale or 0
    keeps_fraction = new_scale >= old_scale
    keeps_integer_part = new.precision - new_scale >= old.precision - old_scale
    return TypeChange.WIDEN if keeps_fraction and keeps_integer_part else TypeChange.NARROW


def changed_values(live: TypeEngine[Any], target: TypeEngine[Any], dialect: Dialect) -> Where:
    """Which stored values a type change may alter: strings longer than the new length, else all.

    The planner counts these rows and ``apply`` archives them before narrowing or converting.
    """
    live, target = resolve(live, dialect), resolve(target, dialect)
    length = getattr(target, "length", None)
    if _family(live) == _family(target) == "string" and length is not None:
        return lambda column: func.length(column) > length
    return lambda column: column.is_not(None)
