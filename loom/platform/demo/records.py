"""Demo records for every entity of the Catalog, written through the records service as the people
who would write them.

Nothing here names an entity of OA or CRM. Entities are filled in link order (customers
before contacts), each record by someone whose roles may create it, with links to records
that person may read and that the link's ``filter`` offers, child rows within the table's
bounds, and values from :mod:`.values`. A record the records service refuses is tried
again with fresh values, leaving out the optional fields it complained about. An entity
holding one record per person (a unique user field, such as a profile) gets one for each
person of the company; entities that scheduled automations fill are left to them
(:mod:`.scheduled`).
"""

from __future__ import annotations

import datetime as dt
import io
import random
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from sqlalchemy import Connection
from sqlalchemy import select

from loom.metadata.catalog import Catalog
from loom.metadata.catalog import Entity
from loom.metadata.catalog import Field

from ..actor import Actor
from ..records import logic
from ..records.errors import RecordError
from ..records.errors import ValidationFailed
from ..records.schemas import SERVER_OWNED
from ..services import Services
from .company import Company
from .company import Member
from .text import is_company
from .timeline import Timeline
from .values import SKIP
from .values import Faker
from .values import field_value

ATTEMPTS = 8
OPTIONAL_FILLED = 0.85  # share of optional fields given a value: real forms have blanks
CANDIDATES = 400  # linked records considered per link field
# How many records an entity gets: more for those many others hang on, enough in every flow status.
HUB_COUNT = 30
FLOW_COUNT = 12
PLAIN_COUNT = 8
_REFERENCES = frozenset({"link", "many", "user", "department"})
_MINIMAL_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass
class Made:
    """A record the demo created, the person who created it (who then submits it), and when."""

    entity: str
    record: dict[str, Any]
    creator: Member
    at: dt.datetime  # when it was made, then when its approval flow last moved (the demo's timeline)


@dataclass
class RecordMaker:
    """Writes in the caller's transaction ``conn``, each record under a savepoint: a refused one
    leaves the transaction usable (PostgreSQL aborts a transaction on a failed statement)."""

    services: Services
    conn: Connection
    company: Company
    fake: Faker
    timeline: Timeline
    _candidates: dict[tuple[str, int | None], list[dict[str, Any]]] = dc_field(default_factory=dict)
    _made: dict[tuple[str | None, int], Made] = dc_field(default_factory=dict)

    @property
    def rng(self) -> random.Random:
        return self.fake.rng

    def make(self, entity: Entity, count: int, on_record: Callable[[], None]) -> list[Made]:
        """Up to ``count`` records of ``entity``; fewer if the records service keeps refusing."""
        creators = self.creators(entity)
        person = person_field(entity)
        made = []
        for index in range(count):
            fixed = {person.name: self.company.members[index].id} if person is not None else {}
            found = self._one(
                entity, self._first_creators(entity, creators) if index == 0 else creators, fixed
            )
            found = found or (self._one(entity, creators, fixed) if index == 0 else None)
            if found is not None:
                made.append(found)
            on_record()
        self.forget(entity.qualified_name)
        return made

    def creators(self, entity: Entity) -> list[Member]:
        """The people whose roles may create the entity; administrators only when nobody else may."""
        permissions = self.services.records.access.permissions
        allowed = [m for m in self.company.members if permissions.decide(m.actor, entity, "create").allowed]
        specific = [m for m in allowed if not _is_superuser(m.actor)]
        return specific or allowed

    def _first_creators(self, entity: Entity, creators: list[Member]) -> list[Member]:
        """Who files the first record of an entity with a flow: the head of the company when he may.

        He is his own level-1 manager, so the demo shows how each flow treats an initiator
        who would approve his own request (the builtin flows skip to the next level).
        """
        top = self.company.members[0]
        return [top] if entity.has_flow and top in creators else creators

    def remember(self, entity: Entity, at: dt.datetime) -> None:
        """Count the records a rule made of ``entity`` (a year's balances) as made ``at``: what
        links to them comes after, so no leave is taken from a balance before it was granted."""
        table = self.services.runtime.schema.of(entity.qualified_name).table
        member = self.company.members[0]
        for (record_id,) in self.conn.execute(select(table.c.id)):
            self._made[(entity.qualified_name, record_id)] = Made(entity.qualified_name, {}, member, at)

    def forget(self, entity: str) -> None:
        """Drop cached link candidates of ``entity`` after it changed (new records, new statuses)."""
        for key in [k for k in self._candidates if k[0] == entity]:
            del self._candidates[key]

    def _one(self, entity: Entity, creators: list[Member], fixed: dict[str, Any]) -> Made | None:
        dropped: set[str] = set()
        for _ in range(ATTEMPTS if creators else 0):
            self.fake.today = self.timeline.start().date()  # its dates are about when it was made
            creator = self.rng.choice(creators)
            values = self._values(entity, creator, dropped, fixed)
            if values is None:
                continue  # a required link with nothing this person may link to: try someone else
            planned = self.fake.today
            self.timeline.not_before(self._newest_linked(entity, values))
            values = self._dated(entity, values, (self.timeline().date() - planned).days)
            try:
                with self.conn.begin_nested():
                    record = self.services.records.create(
                        entity.qualified_name, values, creator.actor, conn=self.conn
                    )
            except ValidationFailed as exc:
                paths = {_path(e.field) for e in exc.errors}
                dropped |= {p for p in paths if not _needed_at(self.services.records.catalog, entity, p)}
                continue
            except RecordError:
                continue
            made = Made(entity.qualified_name, record, creator, self.timeline())
            self._made[(entity.qualified_name, record["id"])] = made
            return made
        return None

    def _values(
        self, entity: Entity, creator: Member, dropped: set[str], fixed: dict[str, Any] | None = None
    ) -> dict[str, Any] | None:
        """Values of a new record; ``fixed`` ones as given (the person a per-person record is of).

        A per-person record describes someone working at the company today, so its choices keep
        their defaults (a profile's status is "employed", not a random one).
        """
        if not entity.child:
            self.fake.new_record()
        values: dict[str, Any] = dict(fixed or {})
        # Child rows have no grants of their own: their parent's decide.
        locked = frozenset() if entity.child else self.services.records.access.locked(creator.actor, entity)
        # References first: a contract's name can then name its customer.
        for field in sorted(entity.fields, key=lambda f: f.type not in _REFERENCES):
            if not _writable(field, locked) or field.name in dropped or field.name in values:
                continue
            if fixed and field.type == "select" and field.default is not None:
                continue
            if not _needed(field) and self.rng.random() > OPTIONAL_FILLED:
                continue
            value = self._value(field, entity, creator, values, dropped)
            if value is SKIP:
                if _needed(field) and field.default is None:
                    return None
                continue
            values[field.name] = value
        return values

    def _value(
        self, field: Field, entity: Entity, creator: Member, values: dict[str, Any], dropped: set[str]
    ) -> Any:
        kind = field.type
        if kind in ("link", "many"):
            return self._link(field, creator, values)
        if kind == "user":
            return self._user(field, creator)
        if kind == "department":
            return self._department(field, creator)
        if kind == "table":
            return self._rows(field, creator, dropped)
        if kind in ("file", "image"):
            return self._file(field, creator)
        return field_value(field, entity, self.fake, values)

    def _link(self, field: Field, creator: Member, values: dict[str, Any]) -> Any:
        rows = self._readable(field.entity or "", creator.actor)
        wanted = self.rng.randint(1, 2) if field.type == "many" or field.multiple else 1
        catalog = self.services.records.catalog
        # In random order, stopping at the first offered rows: filters are evaluated per row.
        picked = []
        for row in self.rng.sample(rows, len(rows)):
            if _offered(catalog, field, row, values, creator.actor, self.services.records.clock()):
                picked.append(row["id"])
                if len(picked) == wanted:
                    break
        if not picked:
            return SKIP
        target = self.services.records.catalog.entity(field.entity or "")
        row = next(r for r in rows if r["id"] == picked[0])
        if is_company(target.name) and target.title_field:
            self.fake.about(str(row[target.title_field]))
        elif field.required and not self.fake.parent:
            self.fake.under(row)
        return picked if field.type == "many" or field.multiple else picked[0]

    def _dated(self, entity: Entity, values: dict[str, Any], days: int) -> dict[str, Any]:
        """``values`` with their dates and times ``days`` later: a record made later than first
        planned (after what it links to) keeps its dates about the day it was made."""
        if not days:
            return values
        shifted = dict(values)
        for field in entity.fields:
            value = values.get(field.name)
            if value is None:
                continue
            if field.type in ("date", "datetime") and isinstance(value, str):
                kind = dt.date if field.type == "date" else dt.datetime
                shifted[field.name] = (kind.fromisoformat(value) + dt.timedelta(days=days)).isoformat()
            elif field.type == "table" and isinstance(value, list):
                child = self.services.records.catalog.entity(field.entity or "")
                shifted[field.name] = [self._dated(child, row, days) for row in value]
        return shifted

    def _newest_linked(self, entity: Entity, values: dict[str, Any]) -> dt.datetime | None:
        """When the newest demo record ``values`` link to was made: a record comes after what it
        names (seed data, such as stages, was there before the history began)."""
        found = []
        for field in entity.fields:
            if field.type in ("link", "many") and values.get(field.name) is not None:
                ids = values[field.name] if isinstance(values[field.name], list) else [values[field.name]]
                found += [self._made[(field.entity, i)].at for i in ids if (field.entity, i) in self._made]
        return max(found, default=None)

    def _readable(self, entity: str, actor: Actor) -> list[dict[str, Any]]:
        """Records of ``entity`` the actor may read, so a link to them passes the service's check."""
        key = (entity, actor.id)
        if key not in self._candidates:
            records = self.services.records
            tables = records.runtime.schema.of(entity)
            decision = records.access.permissions.decide(actor, tables.entity, "read")
            rows: list[dict[str, Any]] = []
            if decision.allowed:
                scope = records.access.clause(self.conn, actor, tables, decision)
                query = select(tables.table).order_by(tables.table.c.id).limit(CANDIDATES)
                query = query.where(scope) if scope is not None else query
                rows = [dict(r) for r in self.conn.execute(query).mappings()]
            self._candidates[key] = rows
        return self._candidates[key]

    def _user(self, field: Field, creator: Member) -> Any:
        if field.default is not None:
            return SKIP  # "=current_user": the creator
        colleagues = [m for m in self.company.members if m.actor.department_id == creator.actor.department_id]
        pool = colleagues if len(colleagues) > 1 else list(self.company.members)
        if field.multiple:
            return [m.id for m in self.rng.sample(pool, min(len(pool), 2))]
        return self.rng.choice(pool).id

    def _department(self, field: Field, creator: Member) -> Any:
        if field.default is not None:
            return SKIP
        if field.multiple:
            return (
                []
                if self.rng.random() < 0.7
                else [self.rng.choice(list(self.company.department_ids.values()))]
            )
        return creator.actor.department_id

    def _rows(self, field: Field, creator: Member, dropped: set[str]) -> Any:
        child = self.services.records.catalog.entity(field.entity or "")
        prefix = f"{field.name}."
        dropped_here = {p.removeprefix(prefix) for p in dropped if p.startswith(prefix)}
        low = max(field.min_rows or 0, 1)
        high = max(low, min(field.max_rows or 4, 4))
        rows = []
        for _ in range(self.rng.randint(low, high)):
            row = self._values(child, creator, dropped_here)
            if row is None:
                return SKIP
            rows.append(row)
        return rows

    def _file(self, field: Field, creator: Member) -> Any:
        """Optional attachments stay empty; a required one gets a small PDF uploaded by the creator."""
        if not field.required:
            return SKIP
        stored = self.services.files.save(
            io.BytesIO(_MINIMAL_PDF), "附件.pdf", creator.actor, "application/pdf", conn=self.conn
        )
        return [stored["id"]] if field.multiple else stored["id"]


def counts(catalog: Catalog, seeded: set[str], people: int, grown: Mapping[str, set[str]]) -> dict[str, int]:
    """How many records each fillable entity gets, in an order where link targets come first.

    A per-person entity gets one per person; an entity that scheduled automations fill
    (``grown``: entity → the entities they read) gets none, and comes after what they read.
    """
    fillable = [e for e in catalog.entities.values() if not e.child and e.qualified_name not in seeded]
    linked_to: dict[str, int] = {}
    for entity in catalog.entities.values():
        for field in entity.fields:
            if field.type == "link" and field.entity:
                linked_to[field.entity] = linked_to.get(field.entity, 0) + 1
    result = {}
    for entity in _link_order(catalog, fillable, grown):
        if entity.qualified_name in grown:
            result[entity.qualified_name] = 0
        elif person_field(entity) is not None:
            result[entity.qualified_name] = people
        elif entity.has_flow:
            result[entity.qualified_name] = FLOW_COUNT
        elif linked_to.get(entity.qualified_name, 0) >= 3:
            result[entity.qualified_name] = HUB_COUNT
        else:
            result[entity.qualified_name] = PLAIN_COUNT
    return result


def _link_order(catalog: Catalog, entities: list[Entity], after: Mapping[str, set[str]]) -> list[Entity]:
    """Entities after the ones their links point to (and the ones ``after`` names): required
    links always, optional ones when the links allow it (a customer's primary contact cannot
    come before the customer)."""
    names = {e.qualified_name for e in entities}
    required = {
        e.qualified_name: (_targets(catalog, e, True) | after.get(e.qualified_name, set()))
        & (names - {e.qualified_name})
        for e in entities
    }
    every = {e.qualified_name: _targets(catalog, e, False) & (names - {e.qualified_name}) for e in entities}
    ordered: list[Entity] = []
    done: set[str] = set()
    pending = sorted(entities, key=lambda e: e.qualified_name)
    while pending:
        ready = [e for e in pending if required[e.qualified_name] <= done]
        complete = [e for e in ready if every[e.qualified_name] <= done]
        batch = complete or ready[:1] or [min(pending, key=lambda e: len(required[e.qualified_name] - done))]
        ordered += batch
        done |= {e.qualified_name for e in batch}
        pending = [e for e in pending if e.qualified_name not in done]
    return ordered


def _targets(catalog: Catalog, entity: Entity, required_only: bool) -> set[str]:
    """Entities linked from the entity or its child rows (only by required links, if asked)."""
    found = set()
    for field in entity.fields:
        if field.type in ("link", "many") and field.entity and (field.required or not required_only):
            found.add(field.entity)
        elif field.type == "table" and field.entity:
            found |= _targets(catalog, catalog.entity(field.entity), required_only)
    return found


def person_field(entity: Entity) -> Field | None:
    """The user field an entity keeps one record per person by: unique, alone or as the only
    field of a unique index (an employee profile)."""
    alone = {i.fields[0] for i in entity.indexes if i.unique and len(i.fields) == 1}
    for field in entity.fields:
        if field.type == "user" and not field.multiple and (field.unique or field.name in alone):
            return field
    return None


def _offered(
    catalog: Catalog,
    field: Field,
    row: dict[str, Any],
    values: dict[str, Any],
    actor: Actor,
    now: dt.datetime,
) -> bool:
    """Whether the link's ``filter`` offers ``row`` to a record holding ``values`` (the service's rule)."""
    if field.filter is None:
        return True
    target = catalog.entity(field.entity or "")
    names = logic.variables(target, row, actor, now)  # the site's clock, as the service uses
    names["record"] = {k: logic.cel_value(v) for k, v in values.items()}
    return logic.evaluate(field.filter, names) is not False


def _writable(field: Field, locked: frozenset[str]) -> bool:
    if field.type in SERVER_OWNED or field.type == "json":
        return False
    return not (field.readonly or field.hidden or field.name in locked)


def _needed(field: Field) -> bool:
    """Whether a record cannot do without the field: required, or a table with a minimum of rows."""
    return field.required or (field.type == "table" and (field.min_rows or 0) > 0)


def _path(field_path: str) -> str:
    """An error's field path without row numbers: ``lines.0.amount`` is ``lines.amount``."""
    return ".".join(part for part in field_path.split(".") if not part.isdigit())


def _needed_at(catalog: Catalog, entity: Entity, path: str) -> bool:
    """Whether the field at ``path`` (through child tables) is one a record cannot leave out."""
    head, _, rest = path.partition(".")
    if not entity.has_field(head):
        return True  # a rule on the whole record: try again with fresh values
    field = entity.field(head)
    if rest and field.type == "table":
        return _needed_at(catalog, catalog.entity(field.entity or ""), rest)
    return _needed(field)


def _is_superuser(actor: Actor) -> bool:
    return "admin" in actor.roles
