"""Archive tables: where destructive steps copy the data they would lose, before losing it.

An archive table is named ``loom_archive_<table>[__<column>]_<yyyymmddHHMMSS>`` (UTC, the
time the plan was made), shortened with a hash to fit PostgreSQL's 63-byte identifiers. It
holds plain copies: the primary key and the column for a column step, every column for a
table. The planner never touches archive tables, so they stay until someone drops them.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import Column
from sqlalchemy import Connection
from sqlalchemy import MetaData
from sqlalchemy import Table
from sqlalchemy import insert
from sqlalchemy import select

from .typediff import Where

ARCHIVE_PREFIX = "loom_archive_"
MAX_IDENTIFIER = 63


def is_archive(table: str) -> bool:
    return table.startswith(ARCHIVE_PREFIX)


def archive_name(table: str, column: str | None, stamp: str) -> str:
    """The archive table for ``table`` (or one of its columns) made at ``stamp``."""
    base = f"{ARCHIVE_PREFIX}{table}__{column}" if column else f"{ARCHIVE_PREFIX}{table}"
    name = f"{base}_{stamp}"
    if len(name) <= MAX_IDENTIFIER:  # metadata names are ASCII: one byte per character
        return name
    digest = hashlib.sha1(name.encode()).hexdigest()[:8]
    keep = MAX_IDENTIFIER - len(stamp) - len(digest) - 2
    return f"{base[:keep]}_{digest}_{stamp}"


def copy_to_archive(
    conn: Connection, archive: str, table: str, column: str | None = None, where: Where | None = None
) -> int:
    """Create ``archive`` and copy into it the rows of ``table`` matching ``where``; returns the count.

    ``where`` receives the live column (or, for a whole table, is not given) so the caller
    can archive only the rows a step changes, such as the values a narrowing would cut.
    """
    source = Table(table, MetaData(), autoload_with=conn)
    columns = list(source.columns)
    if column is not None:
        keys = [c for c in source.primary_key.columns if c.name != column]
        columns = [*keys, source.c[column]] if keys else columns
    target = Table(archive, MetaData(), *(Column(c.name, c.type) for c in columns))
    target.create(conn)
    query = select(*columns)
    if where is not None and column is not None:
        query = query.where(where(source.c[column]))
    result = conn.execute(insert(target).from_select([c.name for c in columns], query))
    return result.rowcount
