"""Signed-in browser sessions, kept in the database so they can be ended.

The session cookie is signed but only carries a random key; the row it names says whose
session it is and when it started and was last used. Ending a session deletes its row,
so a copy of the cookie taken earlier stops working at once: on sign-out, on a password
change (every other session of the user), when an admin signs a user out everywhere, and
when a user is deactivated. Only the key's SHA-256 hash is stored, as for API tokens.

Each request costs one indexed lookup that also loads the user (in the transaction that
loads their roles); ``seen_at`` is written at most once a minute per session, so the idle
timeout is exact to about a minute. Dead rows are deleted at the next sign-in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy import Engine
from sqlalchemy import Table
from sqlalchemy import delete
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update

TOUCH = dt.timedelta(minutes=1)
DEFAULT_IDLE_MINUTES = 8 * 60
DEFAULT_LIFETIME_HOURS = 14 * 24


@dataclass(frozen=True, slots=True)
class Limits:
    """How long a session lasts unused (idle) and at most (lifetime), from ``site.yaml``."""

    idle: dt.timedelta = dt.timedelta(minutes=DEFAULT_IDLE_MINUTES)
    lifetime: dt.timedelta = dt.timedelta(hours=DEFAULT_LIFETIME_HOURS)


class Sessions:
    """Starts, finds and ends sessions; ``clock`` is replaceable so tests need no waiting."""

    def __init__(
        self,
        engine: Engine,
        tables: Mapping[str, Table],
        limits: Limits | None = None,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.engine = engine
        self.table = tables["loom_sessions"]
        self.users = tables["loom_users"]
        self.limits = limits or Limits()
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))

    def start(self, conn: Connection, user_id: int) -> str:
        """A new session for ``user_id``; the key goes into the signed cookie, never in a log."""
        key = secrets.token_urlsafe(32)
        now = self.clock()
        conn.execute(
            insert(self.table),
            {"key_hash": _digest(key), "user_id": user_id, "created_at": now, "seen_at": now},
        )
        return key

    def user(self, conn: Connection, key: str) -> dict[str, Any] | None:
        """The active user whose live session ``key`` names; None if unknown, ended, idle or too old.

        Only reads, so the caller can load the user's roles in the same transaction; call
        :meth:`touch` with the row afterwards. Sessions found dead are deleted by :meth:`purge`.
        """
        now = self.clock()
        sessions, users = self.table, self.users
        query = (
            select(
                users,
                sessions.c.id.label("session_id"),
                sessions.c.created_at.label("session_created_at"),
                sessions.c.seen_at.label("session_seen_at"),
            )
            .select_from(sessions.join(users, users.c.id == sessions.c.user_id))
            .where(
                sessions.c.key_hash == _digest(key),
                users.c.active.is_(True),
                sessions.c.seen_at >= now - self.limits.idle,
                sessions.c.created_at >= now - self.limits.lifetime,
            )
        )
        row = conn.execute(query).mappings().first()
        return dict(row) if row else None

    def touch(self, user: dict[str, Any]) -> None:
        """Note the session of ``user`` (a row from :meth:`user`) as used now, at most once a minute."""
        now = self.clock()
        if now - user["session_seen_at"] > TOUCH:
            with self.engine.begin() as conn:
                conn.execute(
                    update(self.table).where(self.table.c.id == user["session_id"]).values(seen_at=now)
                )

    def end(self, conn: Connection, key: str) -> None:
        conn.execute(delete(self.table).where(self.table.c.key_hash == _digest(key)))

    def end_all(self, conn: Connection, user_id: int, keep: str | None = None) -> int:
        """End every session of ``user_id`` but ``keep`` (the caller's own); how many ended."""
        statement = delete(self.table).where(self.table.c.user_id == user_id)
        if keep:
            statement = statement.where(self.table.c.key_hash != _digest(keep))
        return conn.execute(statement).rowcount

    def purge(self, conn: Connection) -> int:
        """Forget sessions past their idle timeout or lifetime (a sign-in does this in passing)."""
        now = self.clock()
        return conn.execute(
            delete(self.table).where(
                (self.table.c.seen_at < now - self.limits.idle)
                | (self.table.c.created_at < now - self.limits.lifetime)
            )
        ).rowcount


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()
