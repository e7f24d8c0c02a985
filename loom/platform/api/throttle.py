"""How often a password may be tried: per login and address, and per address across logins.

An attempt is counted *before* its password is checked, in its own committed transaction,
and only then are the attempts in the window counted. Whatever the interleaving of
concurrent requests, the k-th attempt to commit sees at least k rows, so no more than the
limit of passwords are ever checked (a race could only refuse one too many, never let one
too many through). This needs no locking or upsert syntax, so it holds the same on
SQLite and PostgreSQL, and across any number of processes.

A refused attempt takes its rows back, so hammering a locked login does not prolong the
lock; a successful one clears that login's count and its own mark on the address, so an
office signing in through one address in the morning does not reach the address cap.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement
from sqlalchemy import Connection
from sqlalchemy import Engine
from sqlalchemy import Table
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import or_
from sqlalchemy import select

from ..database import reading

MAX_FAILURES = 10  # per login and address
MAX_PER_ADDRESS = 100  # per address, whatever the login
WINDOW = dt.timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class Attempt:
    """The rows one sign-in attempt added (ids), and the keys they count against."""

    login_key: str
    address_key: str
    ids: tuple[int, int]


class Throttle:
    def __init__(self, engine: Engine, table: Table) -> None:
        self.engine = engine
        self.table = table

    def begin(self, address: str | None, login: str) -> Attempt | None:
        """Count an attempt; None when it is over a limit (and then it is not counted)."""
        login_key = f"{address}|{login.lower()}"[:190]
        address_key = f"{address}|*"
        now = dt.datetime.now(dt.UTC)
        with self.engine.begin() as conn:
            ids = (self._record(conn, login_key, now), self._record(conn, address_key, now))
        attempt = Attempt(login_key, address_key, ids)
        with reading(self.engine) as conn:
            counts: dict[str, int] = dict(
                conn.execute(
                    select(self.table.c.key, func.count())
                    .where(self.table.c.key.in_([login_key, address_key]), self.table.c.at > now - WINDOW)
                    .group_by(self.table.c.key)
                ).all()
            )
        if counts.get(login_key, 0) > MAX_FAILURES or counts.get(address_key, 0) > MAX_PER_ADDRESS:
            self._delete(self.table.c.id.in_(ids))
            return None
        return attempt

    def _record(self, conn: Connection, key: str, now: dt.datetime) -> int:
        """Record one attempt against ``key``; its row's id."""
        return conn.execute(
            insert(self.table).returning(self.table.c.id), {"key": key, "at": now}
        ).scalar_one()

    def succeeded(self, attempt: Attempt) -> None:
        """Clear the login's failures, this attempt's mark on the address, and stale rows."""
        stale = dt.datetime.now(dt.UTC) - WINDOW
        self._delete(
            or_(
                self.table.c.key == attempt.login_key,
                self.table.c.id.in_(attempt.ids),
                self.table.c.at < stale,
            )
        )

    def _delete(self, condition: ColumnElement[bool]) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(self.table).where(condition))
