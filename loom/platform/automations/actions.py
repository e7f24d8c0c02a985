"""The actions of an automation, each done through the records or flow service.

Nothing here writes a record table directly: ``set``, ``create`` and ``update`` are
records-service calls with the run-as actor, so validation, permissions, numbering,
audit, rollups and further automations apply to them as to any other write.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import TYPE_CHECKING
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import Connection
from sqlalchemy import insert
from sqlalchemy import select

from loom.metadata.catalog import Label

from ..actor import Actor
from ..flows.approvers import Org
from ..records.audit import jsonable
from ..records.cel_filter import matches
from ..records.cel_filter import sql_filter
from ..records.errors import RecordError
from ..records.logic import cel_value
from ..records.logic import variables
from ..records.rows import read_record
from ..records.rows import read_related
from ..records.schemas import Schemas
from ..tables import RecordTables
from .definitions import Automation
from .errors import BusinessError

if TYPE_CHECKING:
    from .service import AutomationService


class ExpressionFailed(RecordError):
    """A CEL expression of an automation could not be evaluated on this record."""

    code = "expression_failed"


@dataclass
class Step:
    """One run of one automation: where it writes, as whom, and what it has seen so far."""

    c: Connection
    automation: Automation
    entity: str
    record: dict[str, Any] | None
    names: dict[str, Any]
    actor: Actor
    now: dt.datetime
    created: dict[str, Any] = dc_field(default_factory=dict)

    def evaluate(self, pointer: str, names: Mapping[str, Any] | None = None) -> Any:
        expression = self.automation.expression(pointer)
        assert expression is not None, pointer  # compiled by the Catalog for every CEL key
        try:
            return jsonable(expression.evaluate(names if names is not None else self.names))
        except Exception as exc:
            raise ExpressionFailed(expression=expression.source, detail=str(exc)) from None

    def refresh(self, record: dict[str, Any]) -> None:
        """The trigger record as an action left it, for the actions after it."""
        self.record = record
        self.names["record"] = cel_value(record)

    def assignments(self, pointer: str, keys: Mapping[str, Any], names: Mapping[str, Any] | None = None):
        return {key: self.evaluate(f"{pointer}/{key}", names) for key in keys}


class Actions:
    def __init__(self, service: AutomationService) -> None:
        self.service = service
        self.records = service.records
        self.notifications = service.runtime.schema.metadata.tables["loom_notifications"]

    def run(self, step: Step, index: int, action: Mapping[str, Any]) -> None:
        kind, spec = next(iter(action.items()))
        getattr(self, f"_{kind}")(step, f"/do/{index}/{kind}", spec)

    def _set(self, step: Step, pointer: str, spec: Mapping[str, Any]) -> None:
        assert step.record is not None
        wanted = step.assignments(pointer, spec)
        self._write(step, step.entity, step.record, wanted)

    def _create(self, step: Step, pointer: str, spec: Mapping[str, Any]) -> None:
        """One record, or one per item of ``for_each`` (each read as ``item`` by the values)."""
        entity = step.automation.entity_of(spec["entity"])
        source = spec.get("for_each")
        if isinstance(source, Mapping):
            every = [
                {**step.names, "item": cel_value(row)}
                for row, _ in self._matching(step, f"{pointer}/for_each", source)
            ]
        elif source is not None:
            items = step.evaluate(f"{pointer}/for_each")
            if not isinstance(items, list):
                raise ExpressionFailed(expression=source, detail="not a list")
            every = [{**step.names, "item": cel_value(item)} for item in items]
        else:
            every = [step.names]
        tables = self.records.runtime.schema.of(entity)
        for names in every:
            values = step.assignments(f"{pointer}/values", spec["values"], names)
            if spec.get("skip_existing") and _exists(step.c, self.records.schemas, tables, values):
                continue
            made = self.records.create(entity, values, step.actor, conn=step.c)
            step.created[entity.rsplit(".", 1)[1]] = made
            step.names["created"] = cel_value(step.created)

    def _update(self, step: Step, pointer: str, spec: Mapping[str, Any]) -> None:
        entity = step.automation.entity_of(spec["entity"])
        tables = self.records.runtime.schema.of(entity)
        # The selected row is what the values are compared with, unless one sets related rows.
        related = any(name in tables.children or name in tables.links for name in spec["set"])
        # As the system, the rows are locked as they are found and handed to the update, which
        # then need not select each again (its permission checks have nothing to read).
        locked = step.actor.is_system
        for row, own in self._matching(step, pointer, spec, lock=locked):
            current = read_record(step.c, tables, row["id"]) if related else row
            if locked and not related and (tables.links or tables.children):
                read_related(step.c, tables, [current])
            wanted = step.assignments(f"{pointer}/set", spec["set"], own)
            self._write(step, entity, current, wanted, locked=locked)

    def _matching(
        self, step: Step, pointer: str, spec: Mapping[str, Any], lock: bool = False
    ) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """The records of ``spec["entity"]`` the run-as actor may read and ``where`` admits (all of
        them without one), in id order, each with the names its own expressions read; ``lock``:
        locked for update (PostgreSQL; a SQLite write transaction has the database to itself)."""
        entity = step.automation.entity_of(spec["entity"])
        tables = self.records.runtime.schema.of(entity)
        where = step.automation.expression(f"{pointer}/where")
        found = sql_filter(where, tables.entity, tables.table, step.names) if where is not None else None
        decision = self.records.access.require(step.actor, tables.entity, "read")
        scope = self.records.access.clause(step.c, step.actor, tables, decision)
        query = select(tables.table).order_by(tables.table.c.id)
        if found is not None:
            query = query.where(found.clause)
        if scope is not None:
            query = query.where(scope)
        if lock and step.c.dialect.name == "postgresql":
            query = query.with_for_update()
        chosen = []
        for row in step.c.execute(query).mappings().all():
            own = {**variables(tables.entity, row, step.actor, step.now), **step.names}
            if found is None or found.exact or matches(where, own):  # type: ignore[arg-type]
                chosen.append((dict(row), own))
        return chosen

    def _write(
        self,
        step: Step,
        entity: str,
        current: Mapping[str, Any],
        wanted: Mapping[str, Any],
        locked: bool = False,
    ) -> None:
        """Update a record with the values that differ; a no-op write would only re-trigger automations.

        ``locked``: ``current`` is the whole record, locked in this transaction (see ``_update``).
        """
        changes = differing(current, wanted)
        if not changes:
            return
        held = current if locked else None
        updated = self.records.update(entity, current["id"], changes, step.actor, conn=step.c, locked=held)
        if entity == step.entity and step.record is not None and current["id"] == step.record["id"]:
            if not step.actor.is_system:  # the service hid what the actor may not see
                updated = read_record(step.c, self.records.runtime.schema.of(entity), current["id"])
            step.refresh(updated)

    def _start_flow(self, step: Step, pointer: str, spec: Any) -> None:
        assert step.record is not None
        self.service.flows.submit(step.entity, step.record["id"], step.actor, conn=step.c)
        tables = self.records.runtime.schema.of(step.entity)
        step.refresh(read_record(step.c, tables, step.record["id"]))

    def _notify(self, step: Step, pointer: str, spec: Mapping[str, Any]) -> None:
        people: set[int] = set()
        if "users" in spec:
            found = step.evaluate(f"{pointer}/users")
            people.update(found if isinstance(found, list) else [found])
        if "role" in spec:
            people.update(Org.load(step.c, self.records.runtime).roles.get(spec["role"], ()))
        owner = step.record.get("owner") if spec.get("owner") and step.record is not None else None
        if owner is not None:
            people.add(owner)
        title = Label.of(spec["title"]) if "title" in spec else step.automation.label
        text = Label.of(spec["message"])
        message = {
            "automation": step.automation.name,
            "title": {"zh": title.zh, "en": title.en},
            "text": {"zh": text.zh, "en": text.en},
        }
        rows = [
            {
                "user_id": int(user),
                "at": step.now,
                "kind": "automation",
                "entity": step.entity,
                "record_id": step.record["id"] if step.record else None,
                "message": message,
            }
            for user in sorted(p for p in people if isinstance(p, int))
        ]
        if rows:
            step.c.execute(insert(self.notifications), rows)

    def _fail(self, step: Step, pointer: str, spec: Any) -> None:
        raise BusinessError(spec)


def differing(current: Mapping[str, Any], wanted: Mapping[str, Any]) -> dict[str, Any]:
    """The values of ``wanted`` a record does not hold yet (a no-op write would re-trigger automations)."""
    return {k: v for k, v in wanted.items() if cel_value(current.get(k)) != cel_value(v)}


def _exists(c: Connection, schemas: Schemas, tables: RecordTables, values: Mapping[str, Any]) -> bool:
    """Whether a record holds the same ``values`` on one of the entity's unique fields or indexes.

    A value that does not parse matches nothing: the create then reports it.
    """
    entity = tables.entity
    keys: list[tuple[str, ...]] = [
        (f.name,) for f in entity.fields if f.unique and f.type not in ("table", "many")
    ]
    keys += [index.fields for index in entity.indexes if index.unique]
    for key in keys:
        if any(values.get(name) is None for name in key):
            continue
        try:
            parsed = {n: schemas.filter_field(entity.qualified_name, n).deserialize(values[n]) for n in key}
        except ValidationError:
            continue
        query = select(tables.table.c.id).where(*(tables.table.c[n] == v for n, v in parsed.items()))
        if c.execute(query.limit(1)).first() is not None:
            return True
    return False
