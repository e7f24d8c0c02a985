"""The records service: the only way records are written.

The REST API, the web UI, the admin console, importers, flows and automations all call
it, so every write gets the same validation, defaults, computed values, numbering,
optimistic locking and audit entry. Each call runs in one transaction, or inside the
caller's when a connection is passed in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection
from sqlalchemy import and_
from sqlalchemy import bindparam
from sqlalchemy import delete as sql_delete
from sqlalchemy import false
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update as sql_update
from sqlalchemy.exc import IntegrityError

from loom.metadata.catalog import Entity
from loom.metadata.catalog import ListView

from ..actor import SYSTEM
from ..actor import Actor
from ..database import transaction
from ..runtime import Runtime
from ..tables import RecordTables
from . import derived
from . import views
from .access import Access
from .audit import change_row
from .audit import diff
from .audit import differs
from .audit import record_change
from .changes import AfterWrite
from .changes import Change
from .changes import note_write
from .changes import watching
from .errors import Conflict
from .errors import FieldError
from .errors import IntegrityConflict
from .errors import NotFound
from .errors import PermissionDenied
from .errors import Referenced
from .errors import ValidationFailed
from .hiding import HidingRule
from .locks import STATUS_LABELS
from .locks import Lock
from .locks import Locks
from .locks import lock_refusal
from .logic import apply_computed
from .numbering import next_number
from .query import Lister
from .query import ListQuery
from .query import Page
from .rollups import Rollups
from .rows import inserting
from .rows import read_record
from .rows import read_related
from .rows import related_of
from .rows import related_subset
from .rows import row_values
from .rows import updating
from .rows import write_related
from .schemas import Schemas
from .staleness import stale
from .validation import Validator


class RecordService:
    def __init__(self, runtime: Runtime, clock: Any = None) -> None:
        self.runtime = runtime
        self.catalog = runtime.catalog
        tz = runtime.site.settings.time_zone if runtime.site else "Asia/Shanghai"
        self.schemas = Schemas(runtime.catalog, tz)
        self._lister = Lister(runtime.schema, self.schemas)
        # Local time of the site: "today", autonumber periods, dates and share expiry follow it.
        zone = ZoneInfo(tz)
        self.clock = clock or (lambda: dt.datetime.now(zone))
        self.access = Access(runtime, clock=self.clock)
        # Extra rules that hide fields of records from one actor (an approval step's hidden fields).
        self.hiding_rules: list[HidingRule] = []
        self.validator = Validator(runtime, self.schemas, self.access)
        self.locks = Locks(runtime.catalog, self.access.permissions, self.access.instances)
        # Work that follows every write inside its transaction: rollups first, then automations.
        self.rollups = Rollups(self)
        self.after_write: list[AfterWrite] = [self.rollups]
        tables = runtime.schema.metadata.tables
        self._series = tables["loom_number_series"]
        self._audit = tables["loom_audit"]

    # -- reading ---------------------------------------------------------------------------

    def get(
        self, entity: str, record_id: int, actor: Actor, *, conn: Connection | None = None
    ) -> dict[str, Any]:
        tables = self._tables(entity)
        with transaction(self.runtime.engine, conn, read=True) as c:
            record = read_record(c, tables, record_id, where=self.access.readable(c, actor, tables))
            return self._visible(c, actor, tables.entity, [record])[0]

    def visible(
        self,
        entity: str,
        records: Sequence[Mapping[str, Any]],
        actor: Actor,
        *,
        conn: Connection | None = None,
    ) -> list[dict[str, Any]]:
        """The records as the actor may see them: without the fields their roles hide, nor those
        an approval step hides from them. Every read path uses it (reports too); it does not
        decide which records the actor may read."""
        tables = self._tables(entity)
        with transaction(self.runtime.engine, conn, read=True) as c:
            return self._visible(c, actor, tables.entity, records)

    def unfilterable(self, entity: str, actor: Actor, *, conn: Connection | None = None) -> frozenset[str]:
        """Fields the actor may not filter, search or sort on: hidden from them on some record."""
        tables = self._tables(entity)
        with transaction(self.runtime.engine, conn, read=True) as c:
            return self._unfilterable(c, actor, tables.entity)

    def offered_views(self, entity: str, actor: Actor, *, conn: Connection | None = None) -> list[ListView]:
        """The entity's saved views the actor may choose (``ListQuery.view``)."""
        tables = self._tables(entity)
        with transaction(self.runtime.engine, conn, read=True) as c:
            return self._views(actor, tables.entity, self._unfilterable(c, actor, tables.entity))

    def _views(self, actor: Actor, entity: Entity, hidden: frozenset[str]) -> list[ListView]:
        permissions = self.access.permissions
        return views.offered(entity, permissions.roles_of(actor), permissions.is_superuser(actor), hidden)

    def _visible(
        self, c: Connection, actor: Actor, entity: Entity, records: Sequence[Mapping[str, Any]]
    ) -> list[dict[str, Any]]:
        shown = self.access.shown_all(actor, entity, records)
        for rule in self.hiding_rules:
            for record, hidden in zip(shown, rule.of_records(c, actor, entity, records), strict=True):
                for name in hidden:
                    record.pop(name, None)
        return shown

    def _unfilterable(self, c: Connection, actor: Actor, entity: Entity) -> frozenset[str]:
        hidden = self.access.hidden(actor, entity)
        return hidden.union(*(rule.anywhere(c, actor, entity) for rule in self.hiding_rules))

    def lock(
        self, entity: str, record: Mapping[str, Any], actor: Actor, *, conn: Connection | None = None
    ) -> Lock | None:
        """What the record's approval forbids the actor to change (None: their rights decide)."""
        tables = self._tables(entity)
        with transaction(self.runtime.engine, conn, read=True) as c:
            return self.locks.of(c, actor, tables.entity, record)

    def list(self, entity: str, query: ListQuery, actor: Actor, *, conn: Connection | None = None) -> Page:
        """One page of records; related rows only for the table/many fields named in ``fields``."""
        tables = self._tables(entity)
        with transaction(self.runtime.engine, conn, read=True) as c:
            decision = self.access.require(actor, tables.entity, "read")
            scope = self.access.clause(c, actor, tables, decision)
            hidden = self._unfilterable(c, actor, tables.entity)
            if query.view is not None:
                view = views.chosen(tables.entity, self._views(actor, tables.entity, hidden), query.view)
                narrowed = views.clause(c, view, tables, actor, self.clock(), scope)
                if narrowed is not None:
                    scope = narrowed if scope is None else and_(scope, narrowed)
                query = replace(query, sort=query.sort or view.sort)
            rows, page = self._lister.run(
                c,
                tables,
                query,
                scope=scope,
                hidden=hidden,
                guard=lambda linked: self._guard(c, actor, linked),
            )
            related = related_subset(tables, query.fields)
            if rows and (related.links or related.children):
                read_related(c, related, rows)
            rows = self._visible(c, actor, tables.entity, rows)
            return replace(page, records=rows)

    # -- writing ---------------------------------------------------------------------------

    def create(
        self, entity: str, data: Mapping[str, Any], actor: Actor, *, conn: Connection | None = None
    ) -> dict[str, Any]:
        tables = self._tables(entity)
        now = self.clock()
        with transaction(self.runtime.engine, conn) as c:
            self.access.require(actor, tables.entity, "create")
            values = self.validator.prepare(c, tables, dict(data), actor, now, existing=None)
            row = row_values(tables.entity, values)
            row.update(created_at=now, updated_at=now, created_by=actor.id, updated_by=actor.id, version=1)
            row["owner"] = data.get("owner") if actor.is_system and data.get("owner") else actor.id
            self._number(c, tables.entity, row, now)
            table = tables.table
            with _integrity_as_conflict():
                # Values as parameters, not in the statement: one cached statement per table.
                record = dict(c.execute(inserting(table), row).mappings().one())
                record_id = record["id"]
                # The response and the audit entry are built from what was written, as stored.
                record.update(related_of(tables, write_related(c, tables, record_id, values)))
            self._audit_entry(c, tables.entity, record_id, "create", diff({}, _audited(record)), actor, now)
            if self.follow(c, Change(tables.entity, "create", None, record, actor, now)):
                record = read_record(c, tables, record_id)
            return self.access.shown(actor, tables.entity, record)

    def update(
        self,
        entity: str,
        record_id: int,
        changes: Mapping[str, Any],
        actor: Actor,
        *,
        version: int | None = None,
        conn: Connection | None = None,
        locked: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Change a record. ``locked``, for the system only: the whole record as the caller read
        and locked it in ``conn`` (an automation's update), so it is not selected again."""
        tables = self._tables(entity)
        now = self.clock()
        with transaction(self.runtime.engine, conn) as c:
            if locked is not None and actor.is_system and conn is not None:
                before, lock = dict(locked), None  # the system may write any record, locked or not
            else:
                before, lock = self._for_update(c, tables, record_id, actor)
            if lock is not None and not lock.editable:
                raise lock_refusal(lock)
            expected = version if version is not None else changes.get("version")
            if expected is not None and expected != before["version"]:
                raise self._stale(c, tables, before, expected, actor)
            values = self.validator.prepare(c, tables, dict(changes), actor, now, existing=before)
            if lock is not None:
                _only_editable(tables.entity, lock, changes, before, values)
            row = _updated_row(tables.entity, values, before, changes, actor, now)
            with _integrity_as_conflict():
                parameters = {**row, "_id": record_id, "_version": before["version"]}
                stored = c.execute(updating(tables.table), parameters).mappings().first()
                if stored is None:
                    raise Conflict(expected=before["version"], actual=before["version"] + 1)
                written = write_related(c, tables, record_id, values, replace=True)
            note_write(c, tables.entity.qualified_name, record_id)
            # The record as stored, from what the statements returned: no second read.
            after = _after(c, tables, before, dict(stored), written)
            changed = diff(_audited(before), _audited(after))
            self._audit_entry(c, tables.entity, record_id, "update", changed, actor, now)
            if self.follow(c, Change(tables.entity, "update", before, after, actor, now)):
                after = read_record(c, tables, record_id)
            return self.access.shown(actor, tables.entity, after)

    def delete(
        self,
        entity: str,
        record_id: int,
        actor: Actor,
        *,
        version: int | None = None,
        conn: Connection | None = None,
    ) -> None:
        tables = self._tables(entity)
        now = self.clock()
        with transaction(self.runtime.engine, conn) as c:
            before = self._writable(c, tables, record_id, actor, "delete")
            lock = self.locks.of(c, actor, tables.entity, before)
            if lock is not None:
                raise lock_refusal(lock)
            if version is not None and version != before["version"]:
                raise self._stale(c, tables, before, version, actor)
            try:
                with c.begin_nested():
                    c.execute(sql_delete(tables.table).where(tables.table.c.id == record_id))
            except IntegrityError:
                raise Referenced() from None
            shares = self.access.shares
            c.execute(sql_delete(shares).where(shares.c.entity == entity, shares.c.record_id == record_id))
            self._audit_entry(c, tables.entity, record_id, "delete", diff(_audited(before), {}), actor, now)
            self.follow(c, Change(tables.entity, "delete", before, None, actor, now))

    def update_many(self, entity: str, changes: Mapping[int, Mapping[str, Any]], *, conn: Connection) -> bool:
        """Update records as the system, set-based: one locking read, one UPDATE run over all of
        them, one read of the results and one INSERT of their audit entries.

        The values, checks and audit entries are those of ``update`` record by record, but no
        after-write work runs: for callers that know none concerns the entity (a scheduled
        rule's plain ``set``, see AutomationService). Returns False, having written nothing,
        when it cannot stand in for ``update``: a record is gone or a change is refused (one by
        one, each is reported), or the entity has related rows.
        """
        tables = self._tables(entity)
        if tables.links or tables.children:
            return False
        now = self.clock()
        table = tables.table
        ids = sorted(changes)
        query = select(table).where(table.c.id.in_(ids))
        if conn.dialect.name == "postgresql":
            query = query.with_for_update()
        before = {row["id"]: dict(row) for row in conn.execute(query).mappings()}
        if len(before) != len(ids):
            return False
        rows = []
        for record_id in ids:
            current, wanted = before[record_id], changes[record_id]
            try:
                values = self.validator.prepare(conn, tables, dict(wanted), SYSTEM, now, existing=current)
            except ValidationFailed:
                return False
            row = _updated_row(tables.entity, values, current, wanted, SYSTEM, now)
            row.setdefault("owner", current["owner"])  # one set of columns for every record
            rows.append({**row, "_id": record_id, "_version": current["version"]})
        statement = sql_update(table).where(
            table.c.id == bindparam("_id"), table.c.version == bindparam("_version")
        )
        with _integrity_as_conflict():
            done = conn.execute(statement, rows).rowcount
        if conn.dialect.supports_sane_multi_rowcount and done != len(rows):
            raise Conflict()  # the rows are locked: not expected
        if tables.entity.audit:
            after = {
                row["id"]: dict(row)
                for row in conn.execute(select(table).where(table.c.id.in_(ids))).mappings()
            }
            entries = [
                change_row(entity, i, "update", diff(_audited(before[i]), _audited(after[i])), SYSTEM.id, now)
                for i in ids
            ]
            conn.execute(insert(self._audit), entries)
        return True

    def store_derived(
        self,
        c: Connection,
        entity: str,
        record_id: int,
        derive: Callable[[Connection], Mapping[str, Any]],
        now: dt.datetime,
    ) -> None:
        """Store values the server derives from other records (rollups), and what follows from them.

        The row is locked before ``derive`` reads, so concurrent writers of related records
        queue here and each sees the rows the others committed. On PostgreSQL the lock is
        FOR NO KEY UPDATE, which does not wait for their foreign-key checks on this row:
        two writers cannot deadlock on it.
        """
        tables = self._tables(entity)
        table = tables.table
        query = select(table.c.id).where(table.c.id == record_id)
        if c.dialect.name == "postgresql":
            query = query.with_for_update(key_share=True)
        if c.execute(query).first() is None:
            return  # deleted in this transaction
        before = read_record(c, tables, record_id)
        after = {**before, **derive(c)}
        apply_computed(tables.entity, after, SYSTEM, now)
        changes = {k: v for k, v in row_values(tables.entity, after).items() if v != before.get(k)}
        if not changes:
            return
        unfit = derived.unfit(tables.entity, after, only=changes)
        if unfit:  # a sum past its column's digits: the write that changed the rows is refused
            raise ValidationFailed(unfit)
        statement = sql_update(table).where(table.c.id == record_id).returning(*table.c)
        values = {**changes, "updated_at": now, "version": table.c.version + 1}
        stored = c.execute(statement.values(**values)).mappings().one()
        note_write(c, tables.entity.qualified_name, record_id)
        after = _after(c, tables, before, dict(stored), {})
        changed = diff(_audited(before), _audited(after))
        self._audit_entry(c, tables.entity, record_id, "update", changed, SYSTEM, now)
        self.follow(c, Change(tables.entity, "update", before, after, SYSTEM, now))

    # -- helpers ---------------------------------------------------------------------------

    def follow(self, c: Connection, change: Change) -> bool:
        """Run the after-write work; True if it wrote the record just written (read it again).

        Whether an automation ran says nothing about the record: most update other records,
        and reading the trigger record again after each of them cost a statement per write.
        """
        with watching(c, change.entity.qualified_name, change.record["id"]) as written:
            for work in self.after_write:
                work(c, change)
            return written()

    def _guard(self, c: Connection, actor: Actor, linked: RecordTables) -> tuple[Any, frozenset[str]]:
        """What a filter through a link may see of the linked entity."""
        decision = self.access.permissions.decide(actor, linked.entity, "read")
        if not decision.allowed:
            return false(), frozenset()
        return self.access.clause(c, actor, linked, decision), self._unfilterable(c, actor, linked.entity)

    def _number(self, c: Connection, entity: Entity, row: dict[str, Any], now: dt.datetime) -> None:
        for field in entity.fields:
            if field.type == "autonumber":
                series = f"{entity.qualified_name}.{field.name}"
                row[field.name] = next_number(c, self._series, series, field, now)

    def _audit_entry(
        self, c: Connection, entity: Entity, record_id: int, action: str, changes: dict, actor: Actor, now
    ) -> None:
        if entity.audit:
            record_change(
                c, self._audit, entity=entity.qualified_name, record_id=record_id, action=action,
                changes=changes, user_id=actor.id, at=now,
            )  # fmt: skip

    def _stale(
        self, c: Connection, tables: RecordTables, current: dict[str, Any], expected: Any, actor: Actor
    ) -> Conflict:
        """The conflict of a write made at an older version: who changed what since, and when."""
        if not isinstance(expected, int) or isinstance(expected, bool) or expected > current["version"]:
            return Conflict(expected=expected, actual=current["version"])
        visible = self._visible(c, actor, tables.entity, [current])[0]
        users = self.access.users
        return stale(c, tables, self._audit, users, current, expected, visible, self.clock().tzinfo)

    def _for_update(
        self, c: Connection, tables: RecordTables, record_id: int, actor: Actor
    ) -> tuple[dict[str, Any], Lock | None]:
        """The record, locked, and its approval's lock; a role the flow lets change some fields
        of a locked record may change them without the entity's write permission."""
        try:
            before = self._writable(c, tables, record_id, actor, "write")
        except (PermissionDenied, NotFound):
            readable = self.access.readable(c, actor, tables)
            before = read_record(c, tables, record_id, lock=True, where=readable)
            lock = self.locks.of(c, actor, tables.entity, before)
            if lock is None or not lock.editable:
                raise
            return before, lock
        return before, self.locks.of(c, actor, tables.entity, before)

    def _writable(
        self, c: Connection, tables: RecordTables, record_id: int, actor: Actor, operation: str
    ) -> dict[str, Any]:
        """The record, locked, if the actor may change it; a record they cannot even see is not found."""
        decision = self.access.require(actor, tables.entity, operation)
        try:
            where = self.access.clause(c, actor, tables, decision)
            return read_record(c, tables, record_id, lock=True, where=where)
        except NotFound:
            read = self.access.permissions.decide(actor, tables.entity, "read")
            if read.allowed:
                read_record(c, tables, record_id, where=self.access.clause(c, actor, tables, read))
                raise PermissionDenied(operation=operation, entity=tables.entity.qualified_name) from None
            raise

    def _tables(self, entity: str) -> RecordTables:
        if entity not in self.runtime.schema.records:
            raise NotFound(entity=entity)
        return self.runtime.schema.of(entity)


def _only_editable(
    entity: Entity,
    lock: Lock,
    changes: Mapping[str, Any],
    before: Mapping[str, Any],
    after: Mapping[str, Any],
) -> None:
    """Of a locked record, only the fields the flow leaves editable may change (422 per field)."""
    refused = [
        FieldError(name, "locked_field", {"status": STATUS_LABELS.get(lock.status, lock.status)})
        for name in changes
        if entity.has_field(name) and name not in lock.editable and differs(before.get(name), after.get(name))
    ]
    if refused:
        raise ValidationFailed(refused)


def _updated_row(
    entity: Entity,
    values: Mapping[str, Any],
    before: Mapping[str, Any],
    changes: Mapping[str, Any],
    actor: Actor,
    now: dt.datetime,
) -> dict[str, Any]:
    """The row an update stores: the record's values and the next version."""
    row = row_values(entity, values)
    row.update(updated_at=now, updated_by=actor.id, version=before["version"] + 1)
    if actor.is_system and changes.get("owner"):  # a claim or a transfer, done by an automation
        row["owner"] = changes["owner"]
    return row


def _after(
    c: Connection,
    tables: RecordTables,
    before: Mapping[str, Any],
    stored: Mapping[str, Any],
    written: Mapping[str, Any],
) -> dict[str, Any]:
    """An updated record: its row as the UPDATE returned it, the related fields it wrote, the
    others as they were; only a rewritten table whose rows have related rows is read again."""
    after = {name: before[name] for name in (*tables.links, *tables.children)}
    after.update(stored, **written)
    unread = tuple(
        name
        for name, child in tables.children.items()
        if name not in written and (child.children or child.links)
    )
    if unread:
        read_related(c, related_subset(tables, unread), [after])
    return after


def _audited(record: Mapping[str, Any]) -> dict[str, Any]:
    skip = {"id", "version", "created_at", "updated_at", "created_by", "updated_by"}
    return {k: v for k, v in record.items() if k not in skip}


@contextmanager
def _integrity_as_conflict() -> Iterator[None]:
    """A constraint the checks could not foresee (a concurrent writer) is a conflict, not a crash.

    The transaction is lost either way, so no savepoint is spent on every write.
    """
    try:
        yield
    except IntegrityError:
        raise IntegrityConflict() from None
