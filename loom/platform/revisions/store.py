"""Reading and writing metadata revisions (table ``loom_metadata_revisions``).

A revision is a whole snapshot of the site's layer (every document changed through the API),
so any revision can be loaded, compared or restored alone. Revision 0 is the files on disk
with no layer; the current revision is the latest one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from sqlalchemy import Connection
from sqlalchemy import Engine
from sqlalchemy import MetaData
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from loom.metadata import Layer

from ..database import reading
from ..platform_tables import define_revisions

_metadata = MetaData()
define_revisions(_metadata)
TABLE = _metadata.tables["loom_metadata_revisions"]
_HEAD_SQL = "SELECT max(id) FROM loom_metadata_revisions"


@dataclass(frozen=True, slots=True)
class Revision:
    id: int
    parent: int
    author_id: int | None
    created_at: dt.datetime | None
    message: str
    documents: Mapping[str, str] = field(default_factory=dict)
    changes: tuple[Mapping[str, str], ...] = ()
    digest: str = ""
    rollback_of: int | None = None

    @property
    def layer(self) -> Layer:
        return Layer(self.documents, f"revision {self.id}")

    def summary(self) -> dict[str, Any]:
        """What lists of revisions show: everything but the documents."""
        return {
            "id": self.id,
            "parent": self.parent,
            "author_id": self.author_id,
            "created_at": self.created_at,
            "message": self.message,
            "changes": list(self.changes),
            "digest": self.digest,
            "rollback_of": self.rollback_of,
        }


BASE = Revision(0, 0, None, None, "", {}, (), "")


def next_layer(base: Revision, documents: Mapping[str, str]) -> Layer:
    """``documents`` as the revision after ``base`` would hold them: problems in a draft name the
    revision they would land as."""
    return Layer(documents, f"revision {base.id + 1}")


def digest(documents: Mapping[str, str]) -> str:
    """The content hash of a layer: equal layers have equal digests, whatever their history."""
    return hashlib.sha256(
        json.dumps(dict(sorted(documents.items())), ensure_ascii=False).encode()
    ).hexdigest()


def head(engine: Engine) -> int:
    """The current revision's id, in one indexed read (0 before any revision or migration)."""
    try:
        with reading(engine) as conn:
            return int(conn.execute(select(func.max(TABLE.c.id))).scalar() or 0)
    except DBAPIError:  # the table is not there yet: the site was never migrated
        return 0


def current(engine: Engine) -> Revision:
    try:
        with reading(engine) as conn:
            row = conn.execute(select(TABLE).order_by(TABLE.c.id.desc()).limit(1)).first()
    except DBAPIError:
        return BASE
    return _revision(row) if row is not None else BASE


class HeadReader:
    """``head`` for every request of a process: one statement on a connection kept for it.

    Through the pool, each read would be a checkout (a ping on PostgreSQL), a transaction and
    its rollback; here it is a single autocommit ``SELECT`` on one DBAPI connection, shared
    by the process's threads under a lock. A broken connection is dropped and read anew.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.lock = threading.Lock()
        self.raw: Any = None

    def __call__(self) -> int:
        with self.lock:
            try:
                if self.raw is None:
                    self.raw = self._connect()
                cursor = self.raw.cursor()
                try:
                    cursor.execute(_HEAD_SQL)
                    row: Any = cursor.fetchone()
                    return int(row[0] or 0)
                finally:
                    cursor.close()
            except self.engine.dialect.loaded_dbapi.Error:
                self.close()
        return head(self.engine)

    def _connect(self) -> Any:
        raw = self.engine.raw_connection()
        driver: Any = raw.driver_connection
        if hasattr(driver, "autocommit"):  # psycopg; sqlite3 connections of Loom are autocommit already
            driver.autocommit = True
        return raw

    def close(self) -> None:
        if self.raw is not None:
            with suppress(Exception):
                self.raw.invalidate()
            self.raw = None


def get(conn: Connection, revision_id: int) -> Revision | None:
    if revision_id == 0:
        return BASE
    row = conn.execute(select(TABLE).where(TABLE.c.id == revision_id)).first()
    return _revision(row) if row is not None else None


def history(conn: Connection, limit: int = 50) -> list[Revision]:
    """The latest revisions, newest first, without their documents."""
    columns = [c for c in TABLE.c if c.name != "documents"]
    rows = conn.execute(select(*columns).order_by(TABLE.c.id.desc()).limit(limit)).all()
    return [_revision(row) for row in rows]


def record(
    conn: Connection,
    parent: Revision,
    documents: Mapping[str, str],
    *,
    author_id: int | None,
    message: str,
    now: dt.datetime,
    rollback_of: int | None = None,
) -> Revision:
    """Insert the revision after ``parent``; a concurrent one on the same parent makes this fail."""
    found = changes(parent.documents, documents)
    values: dict[str, Any] = {
        "parent_id": parent.id,
        "author_id": author_id,
        "created_at": now,
        "message": message,
        "documents": dict(documents),
        "changes": found,
        "digest": digest(documents),
        "rollback_of": rollback_of,
    }
    key: Any = conn.execute(insert(TABLE).values(**values)).inserted_primary_key
    new_id = key[0]
    return Revision(
        new_id,
        parent.id,
        author_id,
        now,
        message,
        dict(documents),
        tuple(found),
        values["digest"],
        rollback_of,
    )


def changes(before: Mapping[str, str], after: Mapping[str, str]) -> list[dict[str, str]]:
    """Which documents ``after`` adds, changes or removes, by path."""
    found = []
    for path in sorted({*before, *after}):
        if path not in before:
            found.append({"path": path, "action": "added"})
        elif path not in after:
            found.append({"path": path, "action": "removed"})
        elif before[path] != after[path]:
            found.append({"path": path, "action": "changed"})
    return found


def _revision(row: Any) -> Revision:
    data = row._mapping
    return Revision(
        id=data["id"],
        parent=data["parent_id"],
        author_id=data["author_id"],
        created_at=data["created_at"],
        message=data["message"],
        documents=data.get("documents") or {},
        changes=tuple(data["changes"] or ()),
        digest=data["digest"],
        rollback_of=data["rollback_of"],
    )
