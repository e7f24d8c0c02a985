"""Autonumbers such as ``HT-{YYYY}{MM}-{####}``: gap-free counters per pattern and period.

The counter row is incremented inside the transaction that inserts the record, so the
row lock serializes concurrent writers and a rolled-back insert gives its number back.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection
from sqlalchemy import Table
from sqlalchemy import bindparam
from sqlalchemy import insert
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.dml import ReturningUpdate

from loom.metadata.catalog import Field

_COUNTER = re.compile(r"\{(#{2,12})\}")
_PERIODS = {"yearly": "%Y", "monthly": "%Y%m", "daily": "%Y%m%d", "never": ""}


def period_of(field: Field, now: dt.datetime) -> str:
    return now.strftime(_PERIODS[field.reset or "never"]) if field.reset != "never" else "-"


def format_number(pattern: str, value: int, now: dt.datetime) -> str:
    text = _COUNTER.sub(lambda m: str(value).zfill(len(m.group(1))), pattern)
    for token, fmt in (("{YYYY}", "%Y"), ("{YY}", "%y"), ("{MM}", "%m"), ("{DD}", "%d")):
        text = text.replace(token, now.strftime(fmt))
    return text


def next_number(conn: Connection, series_table: Table, series: str, field: Field, now: dt.datetime) -> str:
    """Take the next number of ``series`` for the period ``now`` falls in."""
    period = period_of(field, now)
    value = _increment(conn, series_table, series, period)
    if value is None:
        try:
            with conn.begin_nested():
                conn.execute(insert(series_table).values(series=series, period=period, value=1))
            value = 1
        except IntegrityError:  # another transaction created the row first: count on it
            value = _increment(conn, series_table, series, period)
    return format_number(field.pattern or "{####}", value or 1, now)


def _increment(conn: Connection, table: Table, series: str, period: str) -> int | None:
    return conn.execute(_incrementing(table), {"_series": series, "_period": period}).scalar_one_or_none()


@lru_cache(maxsize=16)
def _incrementing(table: Table) -> ReturningUpdate[Any]:
    """The statement, built once: building it cost more than running it on SQLite."""
    return (
        update(table)
        .where(table.c.series == bindparam("_series"), table.c.period == bindparam("_period"))
        .values(value=table.c.value + 1)
        .returning(table.c.value)
    )
