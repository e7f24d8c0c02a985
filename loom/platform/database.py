"""Engines for SQLite and PostgreSQL, set up so both behave the same where Loom relies on it.

SQLite needs two adjustments: foreign keys are off unless switched on per connection, and
Python's sqlite3 driver does not open a transaction before DDL, so a failed migration would
leave half its steps applied. We take over BEGIN ourselves (SQLAlchemy's documented recipe)
so that schema changes are as transactional on SQLite as on PostgreSQL.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextlib import suppress
from typing import Any

from sqlalchemy import Connection
from sqlalchemy import Engine
from sqlalchemy import create_engine
from sqlalchemy import event
from sqlalchemy.engine import make_url

READ_ONLY = "loom_read_only"


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A read-only transaction, which on SQLite runs beside a writer instead of queueing."""
    with engine.connect() as conn:
        conn.execution_options(**{READ_ONLY: True})
        with conn.begin():
            yield conn


@contextmanager
def single_read(engine: Engine) -> Iterator[Connection]:
    """A connection for one reading statement, which needs no transaction around it.

    On PostgreSQL it runs in autocommit, saving the BEGIN and COMMIT round trips (the token
    check of every API call is one such read); on SQLite, where they cost nothing and Loom
    emits BEGIN itself, it is an ordinary read transaction.
    """
    if engine.dialect.name != "postgresql":
        with reading(engine) as conn:
            yield conn
        return
    with engine.connect() as conn:
        yield conn.execution_options(isolation_level="AUTOCOMMIT")


@contextmanager
def transaction(
    engine: Engine, conn: Connection | None = None, *, read: bool = False
) -> Iterator[Connection]:
    """The caller's transaction when it passes one, so services compose; else a new one."""
    if conn is not None:
        yield conn
        return
    with reading(engine) if read else engine.begin() as fresh:
        yield fresh


def normalize_url(url: str) -> str:
    """Use the psycopg 3 driver for plain ``postgresql://`` URLs."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, **options: Any) -> Engine:
    url = normalize_url(url)
    if url.startswith("sqlite"):
        create_private(make_url(url).database)
        options.setdefault("connect_args", {}).setdefault("timeout", 30)
        engine = create_engine(url, **options)
        _make_sqlite_transactional(engine)
        return engine
    options.setdefault("pool_pre_ping", True)
    return create_engine(url, **options)


def create_private(path: str | os.PathLike[str] | None) -> None:
    """Create a file readable by its owner only (0600), unless it exists already.

    Used for the SQLite database (SQLite gives its -wal and -shm files the same mode) and
    ``site.yaml``: both hold what lets a reader forge a session or read every record.
    """
    if not path or str(path) == ":memory:" or str(path).startswith("file:"):
        return
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _make_sqlite_transactional(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        # IMMEDIATE takes the write lock up front, so concurrent writers queue instead of
        # failing with "database is locked" when they upgrade a read transaction. Reads
        # (see ``reading``) take no lock and run beside a writer, as WAL allows.
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"
