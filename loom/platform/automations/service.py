"""Running automations: after record writes, when flows finish, on buttons and on schedules.

Record and flow triggers run inside the transaction of the change that fired them, so a
failing action (or a ``fail``) undoes the change itself. Buttons run in a transaction
of their own; scheduled rules in one per batch of records, with a savepoint per record
so one bad record does not stop the rest.
"""

from __future__ import annotations

import contextvars
import datetime as dt
from collections.abc import Iterator
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from sqlalchemy import Connection
from sqlalchemy import Engine
from sqlalchemy import Transaction
from sqlalchemy import select

from loom.metadata.catalog import Label

from ..actor import SYSTEM
from ..actor import Actor
from ..database import transaction
from ..flows.service import FlowService
from ..records.audit import diff
from ..records.cel_filter import matches
from ..records.cel_filter import sql_filter
from ..records.changes import Change
from ..records.errors import FieldError
from ..records.errors import NotFound
from ..records.errors import PermissionDenied
from ..records.errors import RecordError
from ..records.errors import ValidationFailed
from ..records.logic import cel_value
from ..records.logic import variables
from ..records.rows import read_record
from ..records.rows import read_related
from ..records.service import RecordService
from ..runtime import Runtime
from . import context
from .actions import Actions
from .actions import Step
from .actions import differing
from .definitions import RECORD_TRIGGERS
from .definitions import Automation
from .definitions import Registry
from .errors import AutomationFailed
from .errors import AutomationLoop
from .errors import BusinessError

# The automations running in this context, outermost first: the loop guard reads it.
_chain: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar("loom_automation_chain", default=())
# The approval's verdicts, which ``outcome: any`` means; a revocation undoes one, so it is asked for by name.
VERDICTS = frozenset({"approved", "rejected"})


@dataclass
class ScheduleRun:
    """What one run of a scheduled rule did (or, dry, would do)."""

    automation: str
    matched: int = 0
    changed: int = 0
    failed: int = 0
    errors: list[dict[str, Any]] = dc_field(default_factory=list)
    changes: list[dict[str, Any]] = dc_field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {"matched": self.matched, "changed": self.changed, "failed": self.failed}


class AutomationService:
    def __init__(self, runtime: Runtime, records: RecordService, flows: FlowService) -> None:
        self.runtime = runtime
        self.records = records
        self.flows = flows
        self.registry = Registry(runtime.catalog)
        self.actions = Actions(self)

    # -- triggers --------------------------------------------------------------------------

    def record_written(self, c: Connection, change: Change) -> None:
        """Run the automations a record write triggers (wired after rollups in ``Services.build``)."""
        entity = change.entity.qualified_name
        fired = list(self.registry.of(RECORD_TRIGGERS[change.action], entity))
        if change.action == "update":
            fired += [a for a in self.registry.of("changed", entity) if self._changed(c, a, change)]
        for automation in fired:
            self._run(c, automation, entity, change.record, change.before, change.actor, change.now)

    def _changed(self, c: Connection, automation: Automation, change: Change) -> bool:
        name = automation.options["field"]
        before, after = change.before.get(name), change.after.get(name)  # type: ignore[union-attr]
        if cel_value(before) == cel_value(after):
            return False
        entity = change.entity.qualified_name
        names = self._names(c, automation, entity, change.after, change.before, change.actor, change.now)
        for key, current in (("from", before), ("to", after)):
            expression = automation.expression(f"/on/changed/{key}")
            if expression is not None and not _same(expression.evaluate(names), current):
                return False
        return True

    def flow_finished(self, c: Connection, instance: Mapping[str, Any], outcome: str, actor: Actor) -> None:
        for automation in self.registry.of("flow_finished", instance["flow"]):
            if automation.outcome == outcome or (automation.outcome == "any" and outcome in VERDICTS):
                tables = self.runtime.schema.of(instance["entity"])
                record = read_record(c, tables, instance["record_id"])
                self._run(c, automation, instance["entity"], record, None, actor, self.records.clock())

    # -- buttons ---------------------------------------------------------------------------

    def buttons(self, entity: str, record_id: int, actor: Actor) -> list[dict[str, Any]]:
        """The buttons of the record that ``actor`` may press now."""
        with transaction(self.runtime.engine, read=True) as c:
            record = self._readable(c, entity, record_id, actor)
            return [
                {
                    "name": a.name,
                    "label": _label(a.options["label"]),
                    "confirm": _label(a.options["confirm"]) if "confirm" in a.options else None,
                    "params": a.options.get("params", []),
                }
                for a in self.registry.of("button", entity)
                if self._may_press(c, a, entity, record, actor)
            ]

    def press(
        self, entity: str, record_id: int, name: str, params: Mapping[str, Any], actor: Actor
    ) -> dict[str, Any] | None:
        """Run a button's automation on the record; returns the record as the actor sees it after,
        or None when it is no longer theirs to see (a transfer to someone else)."""
        automation = self.registry.named(name)
        if automation is None or automation.trigger != "button" or automation.target != entity:
            raise NotFound(button=name)
        with transaction(self.runtime.engine) as c:
            record = self._readable(c, entity, record_id, actor)
            if not self._may_press(c, automation, entity, record, actor):
                raise PermissionDenied(operation=automation.definition.name, entity=entity)
            values = _checked_params(automation, params)
            self._run(c, automation, entity, record, None, actor, self.records.clock(), values, guarded=False)
            try:
                return self.records.get(entity, record_id, actor, conn=c)
            except NotFound:
                return None

    def _readable(self, c: Connection, entity: str, record_id: int, actor: Actor) -> dict[str, Any]:
        """The whole record, if the actor may read it (expressions may read hidden fields)."""
        self.records.get(entity, record_id, actor, conn=c)
        return read_record(c, self.runtime.schema.of(entity), record_id)

    def _may_press(
        self, c: Connection, automation: Automation, entity: str, record: Mapping[str, Any], actor: Actor
    ) -> bool:
        roles = set(automation.options.get("roles", ()))
        permissions = self.records.access.permissions
        if roles and not (roles & permissions.roles_of(actor) or permissions.is_superuser(actor)):
            return False
        names = self._names(c, automation, entity, record, None, actor, self.records.clock())
        return all(
            expression is None or matches(expression, names)
            for expression in (automation.expression("/on/button/when"), automation.expression("/if"))
        )

    # -- schedules -------------------------------------------------------------------------

    def run_schedule(
        self,
        name: str,
        *,
        now: dt.datetime | None = None,
        dry_run: bool = False,
        conn: Connection | None = None,
    ) -> ScheduleRun:
        """Run a scheduled rule over its matching records now, in batches (dry: report, then roll back).

        Each batch is a transaction of its own, or a savepoint of the caller's ``conn`` (the demo
        grants in the transaction that fills the site).
        """
        automation = self.registry.named(name)
        if automation is None or automation.trigger != "schedule":
            raise NotFound(automation=name)
        now = now or self.records.clock()
        tables = self.runtime.schema.of(automation.target)
        table, entity = tables.table, tables.entity
        where = automation.expression("/on/schedule/where")
        clock = {"now": cel_value(now), "today": now.date().isoformat()}
        found = sql_filter(where, entity, table, clock) if where is not None else None
        batch = int(automation.options.get("batch_size", 500))
        result = ScheduleRun(automation.name)
        last = 0
        while True:
            query = select(table).where(table.c.id > last).order_by(table.c.id).limit(batch)
            if found is not None:
                query = query.where(found.clause)
            with transaction(self.runtime.engine, conn, read=True) as c:
                rows = c.execute(query).mappings().all()
            if not rows:
                return result
            last = rows[-1]["id"]
            chosen = [
                dict(r)
                for r in rows
                if where is None
                or (found is not None and found.exact)
                or matches(where, {**variables(entity, r, SYSTEM, now), **clock})
            ]
            result.matched += len(chosen)
            if chosen:
                self._run_batch(automation, chosen, now, result, dry_run, conn)

    def _run_batch(
        self,
        automation: Automation,
        records: list[dict[str, Any]],
        now: dt.datetime,
        result: ScheduleRun,
        dry_run: bool,
        conn: Connection | None,
    ) -> None:
        tables = self.runtime.schema.of(automation.target)
        with _batch(self.runtime.engine, conn) as (c, outer):
            read_related(c, tables, records)
            if (
                not dry_run
                and self._set_based(automation)
                and self._run_set(c, automation, records, now, result)
            ):
                return
            for before in records:
                record_id = before["id"]
                try:
                    with c.begin_nested():
                        if self._run(c, automation, automation.target, before, None, SYSTEM, now):
                            result.changed += 1
                            if dry_run:
                                after = read_record(c, tables, record_id)
                                result.changes.append({"id": record_id, "changes": _changes(before, after)})
                except NotFound:
                    continue  # deleted since it was read
                except RecordError as error:
                    result.failed += 1
                    result.errors.append({"id": record_id, "error": error.message("en")})
            if dry_run:
                outer.rollback()

    def _set_based(self, automation: Automation) -> bool:
        """Whether a scheduled rule may write its batches set-based: its only action is a
        ``set`` and nothing follows a write of its entity (no rollup reads it, no automation
        fires on its updates, no other after-write work is wired)."""
        target = automation.target
        records = self.records
        return (
            len(automation.actions) == 1
            and "set" in automation.actions[0]
            and records.after_write == [records.rollups, self.record_written]
            and not records.rollups.sources(target)
            and not self.registry.of("updated", target)
            and not self.registry.of("changed", target)
        )

    def _run_set(
        self,
        c: Connection,
        automation: Automation,
        records: list[dict[str, Any]],
        now: dt.datetime,
        result: ScheduleRun,
    ) -> bool:
        """A batch of a plain ``set`` rule: the values of each record as ``_run`` would compute
        them, written by ``RecordService.update_many`` in a few statements.

        False, having written nothing, when a record cannot be done so (an expression fails,
        a value is refused, a record is gone): the batch is then run record by record, which
        reports each failure as before.
        """
        pointer, spec = "/do/0/set", automation.actions[0]["set"]
        condition = automation.expression("/if")
        changes: dict[int, dict[str, Any]] = {}
        ran = 0
        try:
            for record in records:
                names = self._names(c, automation, automation.target, record, None, SYSTEM, now)
                if condition is not None and not matches(condition, names):
                    continue
                ran += 1
                step = Step(c, automation, automation.target, record, names, SYSTEM, now)
                wanted = differing(record, step.assignments(pointer, spec))
                if wanted:
                    changes[record["id"]] = wanted
            if changes:
                with c.begin_nested() as savepoint:
                    if not self.records.update_many(automation.target, changes, conn=c):
                        savepoint.rollback()
                        return False
        except RecordError:
            return False
        result.changed += ran
        return True

    # -- running ---------------------------------------------------------------------------

    def _run(
        self,
        c: Connection,
        automation: Automation,
        entity: str,
        record: Mapping[str, Any] | None,
        old: Mapping[str, Any] | None,
        actor: Actor,
        now: dt.datetime,
        params: Mapping[str, Any] | None = None,
        *,
        guarded: bool = True,
    ) -> bool:
        """Run one automation if its guard holds; True if it ran."""
        names = self._names(c, automation, entity, record, old, actor, now, params)
        condition = automation.expression("/if")
        if guarded and condition is not None and not matches(condition, names):
            return False
        step = Step(c, automation, entity, dict(record) if record else None, names, actor, now)
        if automation.run_as_system:
            step.actor = SYSTEM
        with _depth(automation):
            for index, action in enumerate(automation.actions):
                try:
                    self.actions.run(step, index, action)
                except (AutomationFailed, AutomationLoop, BusinessError):
                    raise
                except RecordError as error:
                    raise AutomationFailed(automation.label, index, _kind(action), error) from None
        return True

    def _names(
        self,
        c: Connection,
        automation: Automation,
        entity: str,
        record: Mapping[str, Any] | None,
        old: Mapping[str, Any] | None,
        actor: Actor,
        now: dt.datetime,
        params: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """What the automation's expressions read; linked records only if one reads them."""
        roles = self.records.access.permissions.roles_of(actor)
        names = context.names(record, old, actor, now, params, roles=roles)
        if record is not None and automation.reads_links:
            names["linked"] = cel_value(self._linked(c, entity, record))
        return names

    def _linked(self, c: Connection, entity: str, record: Mapping[str, Any]) -> dict[str, Any]:
        """The records the trigger record links to, by link field (``linked.customer.title``)."""
        found = {}
        for field in self.runtime.catalog.entity(entity).fields:
            if field.type == "link" and field.entity and record.get(field.name) is not None:
                tables = self.runtime.schema.of(field.entity)
                try:
                    found[field.name] = read_record(c, tables, record[field.name])
                except NotFound:
                    continue
        return found


@contextmanager
def _batch(engine: Engine, conn: Connection | None) -> Iterator[tuple[Connection, Transaction]]:
    """A batch's transaction: a savepoint of the caller's ``conn``, or one of its own."""
    if conn is not None:
        with conn.begin_nested() as outer:
            yield conn, outer
        return
    with engine.connect() as c, c.begin() as outer:
        yield c, outer


@contextmanager
def _depth(automation: Automation) -> Iterator[None]:
    chain = _chain.get()
    if len(chain) >= automation.max_depth:
        raise AutomationLoop([*chain, automation.name])
    token = _chain.set((*chain, automation.name))
    try:
        yield
    finally:
        _chain.reset(token)


def _kind(action: Mapping[str, Any]) -> str:
    return next(iter(action))


def _same(expected: Any, stored: Any) -> bool:
    return expected == cel_value(stored)


def _changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    skip = {"version", "updated_at", "updated_by"}
    return {k: v for k, v in diff(dict(before), dict(after)).items() if k not in skip}


def _checked_params(automation: Automation, params: Mapping[str, Any]) -> dict[str, Any]:
    """A button's parameters: the declared ones only, required ones present, options respected."""
    errors, values = [], {}
    for spec in automation.options.get("params", ()):
        name = spec["name"]
        value = params.get(name)
        if value in (None, "") and spec.get("required"):
            errors.append(FieldError(f"params.{name}", "required"))
        elif value is not None and spec.get("options"):
            allowed = [o if isinstance(o, str) else o["key"] for o in spec["options"]]
            if value not in allowed:
                details = {"value": value, "allowed": allowed}
                errors.append(FieldError(f"params.{name}", "not_option", details))
        values[name] = value
    if errors:
        raise ValidationFailed(errors)
    return values


def _label(value: Any) -> dict[str, str]:
    label = Label.of(value)
    return {"zh": label.zh, "en": label.en}
