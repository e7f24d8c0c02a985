"""Metadata drafts kept on the server (table ``loom_metadata_drafts``).

A draft is the ``changes`` a publish would take (path → text, None removes), named, with the
revision it was made on as its parent, so an admin can leave work and come back to it, or
hand it to another admin. Every write is audited (entity ``loom.metadata_draft``), and a save
names the version it was made on, so two admins cannot overwrite each other unseen.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from sqlalchemy import Connection
from sqlalchemy import MetaData
from sqlalchemy import delete as delete_rows
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update

from ..platform_tables import define
from ..records.audit import record_change
from ..records.errors import Conflict
from ..records.errors import NotFound

_metadata = MetaData()
define(_metadata)
TABLE = _metadata.tables["loom_metadata_drafts"]
USERS = _metadata.tables["loom_users"]
AUDIT = _metadata.tables["loom_audit"]
AUDIT_ENTITY = "loom.metadata_draft"
MAX_NAME = 200


@dataclass(frozen=True, slots=True)
class Saved:
    """A stored draft; ``changes`` is empty when read for a list."""

    id: int
    name: str
    author_id: int | None
    author_name: str | None
    parent: int
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int
    changes: Mapping[str, str | None] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """What a list of drafts shows: everything but the changes, and the paths they touch."""
        return {
            "id": self.id,
            "name": self.name,
            "author_id": self.author_id,
            "author_name": self.author_name,
            "parent": self.parent,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "version": self.version,
        }


def listed(conn: Connection) -> list[Saved]:
    """Every draft, the latest saved first, without its changes."""
    columns = [c for c in TABLE.c if c.name != "changes"]
    rows = conn.execute(_joined(*columns).order_by(TABLE.c.updated_at.desc(), TABLE.c.id.desc())).all()
    return [_saved(row) for row in rows]


def get(conn: Connection, draft_id: int) -> Saved | None:
    row = conn.execute(_joined(*TABLE.c).where(TABLE.c.id == draft_id)).first()
    return _saved(row) if row is not None else None


def create(
    conn: Connection,
    *,
    name: str,
    changes: Mapping[str, str | None],
    parent: int,
    author_id: int | None,
    now: dt.datetime,
) -> Saved:
    values = {"name": name, "author_id": author_id, "parent_id": parent, "changes": dict(changes)}
    key: Any = conn.execute(
        insert(TABLE).values(**values, created_at=now, updated_at=now, version=1)
    ).inserted_primary_key
    _audit(conn, key[0], "create", {"name": name, "paths": sorted(changes)}, author_id, now)
    return _found(conn, key[0])


def replace(
    conn: Connection,
    draft_id: int,
    *,
    version: int,
    name: str,
    changes: Mapping[str, str | None],
    author_id: int | None,
    now: dt.datetime,
) -> Saved:
    """Save ``name`` and ``changes`` over the draft as it was at ``version``; the parent stays."""
    done = conn.execute(
        update(TABLE)
        .where(TABLE.c.id == draft_id, TABLE.c.version == version)
        .values(name=name, changes=dict(changes), updated_at=now, version=TABLE.c.version + 1)
    )
    if done.rowcount != 1:
        _refuse(conn, draft_id, version)
    _audit(conn, draft_id, "update", {"name": name, "paths": sorted(changes)}, author_id, now)
    return _found(conn, draft_id)


def remove(
    conn: Connection,
    draft_id: int,
    *,
    version: int | None,
    author_id: int | None,
    now: dt.datetime,
    action: str = "delete",
    note: Mapping[str, Any] | None = None,
) -> None:
    """Delete the draft (at ``version`` when given); ``action`` says why, for the audit log."""
    found = _found(conn, draft_id)
    condition = [TABLE.c.id == draft_id]
    if version is not None:
        condition.append(TABLE.c.version == version)
    if conn.execute(delete_rows(TABLE).where(*condition)).rowcount != 1:
        _refuse(conn, draft_id, version or found.version)
    _audit(conn, draft_id, action, {"name": found.name, **(note or {})}, author_id, now)


def _joined(*columns: Any) -> Any:
    users = USERS.alias("author")
    return select(*columns, users.c.name.label("author_name")).select_from(
        TABLE.outerjoin(users, users.c.id == TABLE.c.author_id)
    )


def _found(conn: Connection, draft_id: int) -> Saved:
    found = get(conn, draft_id)
    if found is None:
        raise NotFound()
    return found


def _refuse(conn: Connection, draft_id: int, version: int) -> None:
    """The draft is gone (NotFound) or was saved since ``version`` was read (Conflict)."""
    raise Conflict(expected=version, actual=_found(conn, draft_id).version)


def _audit(
    conn: Connection,
    draft_id: int,
    action: str,
    changes: Mapping[str, Any],
    user_id: int | None,
    now: dt.datetime,
) -> None:
    record_change(
        conn,
        AUDIT,
        entity=AUDIT_ENTITY,
        record_id=draft_id,
        action=action,
        changes=changes,
        user_id=user_id,
        at=now,
    )


def _saved(row: Any) -> Saved:
    data = row._mapping
    return Saved(
        id=data["id"],
        name=data["name"],
        author_id=data["author_id"],
        author_name=data["author_name"],
        parent=data["parent_id"],
        created_at=data["created_at"],
        updated_at=data["updated_at"],
        version=data["version"],
        changes=data.get("changes") or {},
    )
