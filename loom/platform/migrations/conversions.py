"""Which stored values a column type change cannot convert, judged the same on every database.

PostgreSQL refuses a cast it cannot make (``'abc'::integer``) and rolls the change back;
SQLite's table rebuild casts whatever it gets (``CAST('abc' AS INTEGER)`` is 0, ``'3.7'``
is 3), and keeps 12345.67 in a column narrowed to four digits. So that a retype or a
narrowed number means the same on both, the planner reads the values first and refuses
the step while any of them would not convert the way PostgreSQL converts it, listing the
first few rows; ``apply`` checks again in its transaction.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Boolean
from sqlalchemy import Connection
from sqlalchemy import Date
from sqlalchemy import Float
from sqlalchemy import Integer
from sqlalchemy import Numeric
from sqlalchemy import String
from sqlalchemy import column
from sqlalchemy import select
from sqlalchemy import table
from sqlalchemy.sql.expression import ColumnClause
from sqlalchemy.types import BigInteger
from sqlalchemy.types import SmallInteger
from sqlalchemy.types import TypeEngine

from loom.metadata.catalog import Label

from .typediff import resolve

SHOWN = 5  # rows named in a refusal; the count covers all of them
_INTEGER = re.compile(r"\s*[+-]?[0-9]+\s*")
_NUMBER = re.compile(r"\s*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\s*")
_TRUTH = {"t", "true", "y", "yes", "on", "1", "f", "false", "n", "no", "off", "0"}


@dataclass(frozen=True, slots=True)
class Unconvertible:
    """How many non-null values would not convert, and the first few as (id, value)."""

    count: int
    examples: tuple[tuple[Any, Any], ...]

    def reason(self, name: str, new_type: str) -> Label:
        shown = ", ".join(f"id {key}: {_show(value)}" for key, value in self.examples)
        more = "…" if self.count > len(self.examples) else ""
        return Label(
            f"{name} 有 {self.count} 个值无法转换为 {new_type}（{shown}{more}）；请先修改或清空这些值",
            f"{self.count} value(s) of {name} cannot become {new_type} ({shown}{more}); "
            "correct or empty them first",
        )


def unconvertible(
    conn: Connection, name: str, on: str, target: TypeEngine[Any], *, cut_strings: bool = False
) -> Unconvertible | None:
    """The values of ``name.on`` that ``target`` cannot hold, or None when all convert.

    ``cut_strings``: a narrowed string column is cut to its new length on purpose, so
    long strings are not a reason to refuse there.
    """
    converts = _converter(resolve(target, conn.dialect), cut_strings)
    if converts is None:
        return None
    value: ColumnClause[Any] = column(on)  # untyped: read as stored, whatever the target
    key: ColumnClause[Any] = column("id")
    rows = conn.execute(
        select(key, value).select_from(table(name, key, value)).where(value.is_not(None)).order_by(key)
    )
    count, examples = 0, list[tuple[Any, Any]]()
    for row_id, stored in rows:
        if not converts(stored):
            count += 1
            if len(examples) < SHOWN:
                examples.append((row_id, stored))
    return Unconvertible(count, tuple(examples)) if count else None


def _converter(target: TypeEngine[Any], cut_strings: bool) -> Callable[[Any], bool] | None:
    if isinstance(target, Boolean):
        return lambda v: isinstance(v, bool) or v in (0, 1) or str(v).strip().lower() in _TRUTH
    if isinstance(target, Integer):
        bits = 64 if isinstance(target, BigInteger) else 16 if isinstance(target, SmallInteger) else 32
        return lambda v: _integer(v, bits)
    if isinstance(target, Numeric) and not isinstance(target, Float):
        return lambda v: _number(v, target.precision, target.scale)
    if isinstance(target, Date):
        return _date
    if isinstance(target, String) and not cut_strings:
        return lambda v: (
            not isinstance(v, bytes) and (target.length is None or len(_text(v)) <= target.length)
        )
    return None  # other targets: the database's own cast decides


def _integer(value: Any, bits: int) -> bool:
    if isinstance(value, bool):
        return True
    if isinstance(value, str):
        if not _INTEGER.fullmatch(value):
            return False
        value = int(value)
    elif isinstance(value, float | decimal.Decimal):
        if value != int(value):
            return False  # PostgreSQL rounds 3.5, SQLite truncates it: neither is what was meant
        value = int(value)
    return isinstance(value, int) and -(2 ** (bits - 1)) <= value < 2 ** (bits - 1)


def _number(value: Any, precision: int | None, scale: int | None) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float | decimal.Decimal | str):
        return False
    if isinstance(value, str) and not _NUMBER.fullmatch(value):
        return False
    number = decimal.Decimal(str(value).strip())
    if not number.is_finite():
        return False
    if precision is None:
        return True
    rounded = number.quantize(decimal.Decimal(1).scaleb(-(scale or 0)), rounding=decimal.ROUND_HALF_UP)
    return abs(rounded) < 10 ** (precision - (scale or 0))


def _date(value: Any) -> bool:
    if isinstance(value, dt.date):
        return True
    try:
        dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        return False
    return len(str(value).strip()) == 10


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _show(value: Any) -> str:
    """Text quoted (so that '' and ' 42 ' can be seen), anything else as the database holds it."""
    return repr(value) if isinstance(value, str) else str(value)
