"""The report's SQL: dimension columns (joins through links, date buckets), measure
aggregates, and running one grouping of them.

Every identifier comes from the validated report and the Catalog's tables; every value is
bound. Date buckets are computed by the database in the site's time zone: PostgreSQL with
``date_trunc`` on the value shifted ``AT TIME ZONE``; SQLite, which knows no zones, with a
function registered on the connection that does the same arithmetic in Python (the zone's
rules, daylight saving included, come from ``zoneinfo``). Both return the bucket's first
local date as ``YYYY-MM-DD`` text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement
from sqlalchemy import Connection
from sqlalchemy import DateTime
from sqlalchemy import FromClause
from sqlalchemy import and_
from sqlalchemy import cast
from sqlalchemy import distinct
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select

from .model import Measure
from .periods import local_bucket

MAX_GROUPS = 20_000
AGGREGATES = {"sum": func.sum, "avg": func.avg, "min": func.min, "max": func.max}


@dataclass(frozen=True)
class Plan:
    """What every grouping of one run shares: the joined rows, the conditions, the columns."""

    source: FromClause
    where: tuple[ColumnElement[bool], ...]
    dimensions: tuple[ColumnElement[Any], ...]
    measures: tuple[tuple[str, ColumnElement[Any]], ...]


def bucket(column: ColumnElement[Any], unit: str, is_datetime: bool, dialect: str, zone: str) -> Any:
    """The first local date of the bucket holding each value, as ``YYYY-MM-DD`` text."""
    if dialect == "postgresql":
        local = func.timezone(zone, column) if is_datetime else cast(column, DateTime())
        return func.to_char(func.date_trunc(unit, local), "YYYY-MM-DD")
    return func.loom_bucket(column, unit, zone)


def aggregate(measure: Measure, column: ColumnElement[Any] | None) -> ColumnElement[Any]:
    if measure.aggregate == "count":
        return func.count()
    if measure.aggregate == "count_distinct":
        return func.count(distinct(column))
    return AGGREGATES[measure.aggregate](column)


def prepare(conn: Connection) -> None:
    """Give a SQLite connection the bucket function (a no-op elsewhere; cheap to repeat)."""
    if conn.dialect.name == "sqlite":
        raw = conn.connection.dbapi_connection
        raw.create_function("loom_bucket", 3, _sqlite_bucket, deterministic=True)  # type: ignore[union-attr]


def group(
    conn: Connection, plan: Plan, dims: Sequence[int], extra: Sequence[ColumnElement[bool]] = ()
) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    """The measures grouped by the dimensions ``dims`` (indexes into the plan): (keys, values)."""
    keys = [plan.dimensions[i].label(f"d{i}") for i in dims]
    values = [column.label(f"m_{name}") for name, column in plan.measures]
    statement = select(*keys, *values).select_from(plan.source).where(*plan.where, *extra)
    if keys:
        statement = statement.group_by(*(plan.dimensions[i] for i in dims)).limit(MAX_GROUPS + 1)
    rows = conn.execute(statement).all()
    return [
        (tuple(row[: len(keys)]), {name: row[len(keys) + j] for j, (name, _) in enumerate(plan.measures)})
        for row in rows
    ]


def outside(column: ColumnElement[Any], keys: Sequence[Any]) -> ColumnElement[bool]:
    """Rows whose value is none of ``keys`` (an empty value being one key like any other)."""
    present = [k for k in keys if k is not None]
    if None in keys:
        return and_(column.is_not(None), column.not_in(present)) if present else column.is_not(None)
    return or_(column.is_(None), column.not_in(present)) if present else column.is_(None)


def _sqlite_bucket(value: Any, unit: str, zone: str) -> str | None:
    if value is None:
        return None
    text = str(value)
    try:
        parsed: dt.date = (
            dt.date.fromisoformat(text)
            if len(text) == 10
            else dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)
        )
    except ValueError:
        return None
    return local_bucket(parsed, unit, _zone(zone)).isoformat()


@lru_cache(maxsize=16)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)
