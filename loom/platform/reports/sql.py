"""The report's SQL: dimension columns (joins through links, date buckets), measure
aggregates, and running one grouping of them.

Every identifier comes from the validated report and the Catalog's tables; every value is
bound. Date buckets are computed by the database in the site's time zone: PostgreSQL with
``date_trunc`` on the value shifted ``AT TIME ZONE``. SQLite knows no zones: values since the
zone last changed its offset (1991 for Asia/Shanghai) are shifted by that offset with SQLite's
own date functions; older values, and every value in a zone with daylight saving, go through a
function registered on the connection that does the arithmetic in Python with the zone's rules
from ``zoneinfo``. Both return the bucket's first local date as ``YYYY-MM-DD`` text.
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
from sqlalchemy import Date
from sqlalchemy import DateTime
from sqlalchemy import FromClause
from sqlalchemy import Integer
from sqlalchemy import and_
from sqlalchemy import case
from sqlalchemy import cast
from sqlalchemy import distinct
from sqlalchemy import func
from sqlalchemy import literal
from sqlalchemy import null
from sqlalchemy import or_
from sqlalchemy import select

from .model import Measure
from .periods import local_bucket

MAX_GROUPS = 20_000
AGGREGATES: dict[str, Any] = {"sum": func.sum, "avg": func.avg, "min": func.min, "max": func.max}


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
    if not is_datetime:
        return _sqlite_bucket(column, unit, 0)
    fixed = fixed_offset(zone)
    if fixed is None:
        return func.loom_bucket(column, unit, zone)
    minutes, since = fixed
    return case(
        (column >= since, _sqlite_bucket(column, unit, minutes)), else_=func.loom_bucket(column, unit, zone)
    )


def _sqlite_bucket(column: Any, unit: str, minutes: int) -> Any:
    """SQLite's date functions on a UTC value shifted by a fixed number of minutes."""
    shift = f"{minutes:+d} minutes"
    if unit == "day":
        return func.date(column, shift)
    if unit == "week":  # back 6 days, then forward to a Monday: the Monday on or before
        return func.date(column, shift, "-6 days", "weekday 1")
    if unit == "month":
        return func.strftime("%Y-%m-01", column, shift)
    if unit == "quarter":
        month = cast(func.strftime("%m", column, shift), Integer)
        return func.printf("%s-%02d-01", func.strftime("%Y", column, shift), (month - 1) // 3 * 3 + 1)
    return func.strftime("%Y-01-01", column, shift)


@lru_cache(maxsize=16)
def fixed_offset(name: str) -> tuple[int, dt.datetime] | None:
    """The zone's UTC offset in minutes and the instant since which it has not changed;
    None when it changes again within two years (daylight saving)."""
    zone = ZoneInfo(name)
    now = dt.datetime.now(dt.UTC)
    offset = now.astimezone(zone).utcoffset()
    week = dt.timedelta(days=7)
    if any((now + week * i).astimezone(zone).utcoffset() != offset for i in range(1, 106)):
        return None
    later = now
    while later.year > 1900:
        earlier = later - week
        if earlier.astimezone(zone).utcoffset() != offset:
            while later - earlier > dt.timedelta(minutes=1):  # the change, to the minute
                middle = earlier + (later - earlier) / 2
                if middle.astimezone(zone).utcoffset() == offset:
                    later = middle
                else:
                    earlier = middle
            break
        later = earlier
    assert offset is not None
    return int(offset.total_seconds() // 60), later.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)


def aggregate(measure: Measure, column: ColumnElement[Any] | None) -> ColumnElement[Any]:
    if measure.aggregate == "count":
        return func.count()
    assert column is not None, "only count reads no field"
    if measure.aggregate == "count_distinct":
        return func.count(distinct(column))
    return AGGREGATES[measure.aggregate](column)


def aging(column: ColumnElement[Any], bounds: Sequence[int], today: dt.date, dialect: str) -> Any:
    """The first day of the days-ago bucket a date falls in: 0 when not yet past, 1 for the days
    up to the first bound, one past each bound after; empty for an empty date."""
    if dialect == "sqlite":
        days: Any = func.julianday(literal(today.isoformat())) - func.julianday(column)
    else:
        days = literal(today, Date()) - column
    whens = [(column.is_(None), null()), (days <= 0, literal(0))]
    starts = [1, *(b + 1 for b in bounds)]
    whens += [(days <= bound, literal(start)) for start, bound in zip(starts, bounds, strict=False)]
    return case(*whens, else_=literal(starts[-1]))


def prepare(conn: Connection) -> None:
    """Give a SQLite connection the bucket function (a no-op elsewhere; cheap to repeat)."""
    if conn.dialect.name == "sqlite":
        raw = conn.connection.dbapi_connection
        raw.create_function("loom_bucket", 3, _python_bucket, deterministic=True)  # type: ignore[union-attr]


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


def _python_bucket(value: Any, unit: str, zone: str) -> str | None:
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
