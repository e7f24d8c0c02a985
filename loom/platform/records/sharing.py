"""Record sharing: one record shared with single users, to read or also to write (团队成员).

A share widens one user's scope to one record (``Access.shared`` puts it in every query);
it never grants an operation their roles lack. The record's owner and whoever may write
it manage its shares, and every grant and withdrawal is audited, since it changes who
sees the record. An expired share stops counting at once (the access check compares it
with the clock) and is deleted the next time the record's shares are read or changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from typing import cast

from sqlalchemy import Connection
from sqlalchemy import delete
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from ..actor import Actor
from ..database import transaction
from ..permissions import SHARE_LEVELS
from ..tables import RecordTables
from .audit import jsonable
from .audit import record_change
from .errors import FieldError
from .errors import IntegrityConflict
from .errors import NotFound
from .errors import PermissionDenied
from .errors import ValidationFailed
from .people import active_user_errors
from .rows import read_record
from .service import RecordService

SHARE_KEYS = ("user_id", "level", "expires_at")


class Sharing:
    """Shares of records, under the records service's access rules and clock."""

    def __init__(self, records: RecordService) -> None:
        self.records = records
        self.runtime = records.runtime
        tables = records.runtime.schema.metadata.tables
        self.shares = tables["loom_shares"]
        self.users = tables["loom_users"]
        self.audit = tables["loom_audit"]

    def shares_of(
        self, entity: str, record_id: int, actor: Actor, *, conn: Connection | None = None
    ) -> list[dict[str, Any]]:
        """The record's unexpired shares, for anyone who may read the record."""
        tables = self._tables(entity)
        with transaction(self.runtime.engine, conn) as c:
            self._readable(c, tables, record_id, actor)
            self._purge(c, entity, record_id)
            return self._rows(c, entity, record_id)

    def share(
        self,
        entity: str,
        record_id: int,
        data: Mapping[str, Any],
        actor: Actor,
        *,
        conn: Connection | None = None,
    ) -> dict[str, Any]:
        """Share the record with ``user_id`` at ``level`` (``read`` if not given) until ``expires_at``.

        Sharing again with the same user replaces the level and the expiry.
        """
        tables = self._tables(entity)
        now = self.records.clock()
        with transaction(self.runtime.engine, conn) as c:
            self._manageable(c, tables, record_id, actor)
            user_id, level, expires_at = self._parse(c, data, now)
            self._purge(c, entity, record_id)
            before = self._row(c, entity, record_id, user_id)
            values = {"level": level, "expires_at": expires_at, "granted_by": actor.id, "granted_at": now}
            try:
                if before is None:
                    key = {"entity": entity, "record_id": record_id, "user_id": user_id}
                    c.execute(insert(self.shares), {**key, **values})
                else:
                    c.execute(update(self.shares).where(self.shares.c.id == before["id"]), values)
            except IntegrityError:  # the same user shared by a concurrent request first
                raise IntegrityConflict() from None
            after = self._row(c, entity, record_id, user_id)
            assert after is not None  # written just above, in this transaction
            self._audit_entry(c, entity, record_id, "share", before, after, actor, now)
            return _public(after)

    def unshare(
        self, entity: str, record_id: int, user_id: int, actor: Actor, *, conn: Connection | None = None
    ) -> None:
        """End a share; its holder may also give it up."""
        tables = self._tables(entity)
        now = self.records.clock()
        with transaction(self.runtime.engine, conn) as c:
            if user_id == actor.id:
                self._readable(c, tables, record_id, actor)
            else:
                self._manageable(c, tables, record_id, actor)
            self._purge(c, entity, record_id)
            before = self._row(c, entity, record_id, user_id)
            if before is None:
                raise NotFound(id=user_id)
            c.execute(delete(self.shares).where(self.shares.c.id == before["id"]))
            self._audit_entry(c, entity, record_id, "unshare", before, None, actor, now)

    def held(self, c: Connection, entity: str, record_id: int, actor: Actor) -> dict[str, Any] | None:
        """The actor's own unexpired share of the record: its level and expiry."""
        share = self._row(c, entity, record_id, actor.id) if actor.id is not None else None
        if share is None or (share["expires_at"] is not None and share["expires_at"] <= self.records.clock()):
            return None
        return _terms(share)

    # -- checks ----------------------------------------------------------------------------

    def _tables(self, entity: str) -> RecordTables:
        if entity not in self.runtime.schema.records:
            raise NotFound(entity=entity)
        return self.runtime.schema.of(entity)

    def _readable(self, c: Connection, tables: RecordTables, record_id: int, actor: Actor) -> dict[str, Any]:
        access = self.records.access
        return read_record(c, tables, record_id, where=access.readable(c, actor, tables))

    def _manageable(self, c: Connection, tables: RecordTables, record_id: int, actor: Actor) -> None:
        """The owner and whoever may write the record manage its shares; other readers are refused."""
        record = self._readable(c, tables, record_id, actor)
        if record["owner"] is not None and record["owner"] == actor.id:
            return
        access = self.records.access
        write = access.permissions.decide(actor, tables.entity, "write")
        if write.allowed:
            where = access.clause(c, actor, tables, write)
            query = select(tables.table.c.id).where(tables.table.c.id == record_id)
            if c.execute(query if where is None else query.where(where)).first():
                return
        raise PermissionDenied(operation="share", entity=tables.entity.qualified_name)

    def _parse(
        self, c: Connection, data: Mapping[str, Any], now: dt.datetime
    ) -> tuple[int, str, dt.datetime | None]:
        """The share's values, or every problem with them at once (422)."""
        errors = [FieldError(key, "unknown") for key in data if key not in SHARE_KEYS]
        user_id = data.get("user_id")
        errors += active_user_errors(c, self.users, "user_id", user_id)
        level = data.get("level", "read")
        if level not in SHARE_LEVELS:
            errors.append(
                FieldError("level", "not_option", {"value": level, "allowed": ", ".join(SHARE_LEVELS)})
            )
        try:
            expires_at = _moment(data.get("expires_at"), now.tzinfo)
        except ValueError:
            expires_at = None
            errors.append(FieldError("expires_at", "invalid", {"kind": "datetime"}))
        if expires_at is not None and expires_at <= now:
            errors.append(FieldError("expires_at", "min", {"min": now.isoformat(timespec="seconds")}))
        if errors:
            raise ValidationFailed(errors)
        return cast(int, user_id), level, expires_at  # user_id: active_user_errors found none

    # -- rows ------------------------------------------------------------------------------

    def _purge(self, c: Connection, entity: str, record_id: int) -> None:
        shares = self.shares
        c.execute(
            delete(shares).where(
                shares.c.entity == entity,
                shares.c.record_id == record_id,
                shares.c.expires_at <= self.records.clock(),
            )
        )

    def _row(self, c: Connection, entity: str, record_id: int, user_id: int) -> dict[str, Any] | None:
        shares = self.shares
        query = select(shares).where(
            shares.c.entity == entity, shares.c.record_id == record_id, shares.c.user_id == user_id
        )
        row = c.execute(query).mappings().first()
        return dict(row) if row else None

    def _rows(self, c: Connection, entity: str, record_id: int) -> list[dict[str, Any]]:
        shares, users = self.shares, self.users
        query = (
            select(shares, users.c.name.label("user_name"))
            .join(users, users.c.id == shares.c.user_id)
            .where(shares.c.entity == entity, shares.c.record_id == record_id)
            .order_by(shares.c.granted_at, shares.c.id)
        )
        return [{**_public(row), "user_name": row["user_name"]} for row in c.execute(query).mappings()]

    def _audit_entry(
        self,
        c: Connection,
        entity: str,
        record_id: int,
        action: str,
        before: Mapping[str, Any] | None,
        after: Mapping[str, Any] | None,
        actor: Actor,
        now: dt.datetime,
    ) -> None:
        """Always audited, even for entities with ``audit: false``: a share changes who sees the record."""
        changes = {"shared_with": {"before": jsonable(_terms(before)), "after": jsonable(_terms(after))}}
        record_change(
            c, self.audit, entity=entity, record_id=record_id, action=action,
            changes=changes, user_id=actor.id, at=now,
        )  # fmt: skip


def _public(share: Mapping[Any, Any]) -> dict[str, Any]:
    keys = ("user_id", "level", "expires_at", "granted_by", "granted_at")
    return {key: share[key] for key in keys}


def _terms(share: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return None if share is None else {key: share[key] for key in SHARE_KEYS}


def _moment(value: Any, zone: dt.tzinfo | None) -> dt.datetime | None:
    """An ISO 8601 date-time, in the site's zone when it has no offset; ValueError if it is none."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(value)
    moment = dt.datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)
