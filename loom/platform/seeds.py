"""Seed data: the records of a package's ``data`` documents, installed with the site's migrations.

Installing is idempotent and respects the site's own changes. Every seeded record is
tracked in ``loom_seed_rows`` by data set and key, with a digest of the values the package
gave and the record's ``version`` after the install wrote it. On each install:

- a record not tracked yet is inserted (or, when a record with its key already exists,
  adopted as the site's own and left as it is);
- a tracked record whose package values are unchanged is left alone;
- a tracked record whose package values changed is updated, unless a person edited it since
  the install wrote it (its ``version`` moved and the audit log names a user) or it was
  deleted: the site's change wins.

A link field may name a seeded record of its target entity by that record's key
(``group: standard``), so data sets can refer to each other; they are installed in link
order. Writes go through the records service as the system actor, in one transaction.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import asdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy import Table
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update

from loom.errors import LoomError
from loom.metadata.catalog import Catalog
from loom.metadata.catalog import Definition
from loom.metadata.catalog import thaw

from .actor import SYSTEM
from .records.errors import RecordError
from .records.errors import ValidationFailed
from .records.service import RecordService


class SeedError(LoomError):
    """A seed record the records service refuses; nothing of the install is kept."""


@dataclass
class SeedReport:
    """How many seed records an install inserted, updated, found unchanged or kept as the site has them."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    kept: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    def summary(self, lang: str = "en") -> str:
        if lang == "zh":
            return (
                f"种子数据：新增 {self.inserted}，更新 {self.updated}，未变 {self.unchanged}，"
                f"保留站点修改 {self.kept}"
            )
        return (
            f"seed data: {self.inserted} inserted, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.kept} kept as edited on the site"
        )


@dataclass(frozen=True, slots=True)
class _Seed:
    dataset: str
    entity: str
    key: str
    key_field: str | None
    values: dict[str, Any]
    digest: str


def seed_count(catalog: Catalog) -> int:
    """The number of seed records the installed packages declare (for progress bars)."""
    return sum(len(d.spec["records"]) for d in catalog.of_kind("data"))


def install_seeds(records: RecordService, on_record: Callable[[], None] | None = None) -> SeedReport:
    """Insert or update the seed records of every installed package (see the module docstring)."""
    runtime = records.runtime
    tracked = runtime.schema.metadata.tables["loom_seed_rows"]
    report = SeedReport()
    with runtime.engine.begin() as conn:
        for seed in _seeds(runtime.catalog):
            outcome = _install(conn, records, tracked, seed)
            setattr(report, outcome, getattr(report, outcome) + 1)
            if on_record is not None:
                on_record()
    return report


def _seeds(catalog: Catalog) -> Iterator[_Seed]:
    for dataset in _in_link_order(catalog):
        key_field = dataset.spec.get("key")
        for index, record in enumerate(dataset.spec["records"]):
            values = _plain(record)
            key = str(values[key_field]) if key_field and values.get(key_field) is not None else f"#{index}"
            yield _Seed(dataset.qualified_name, dataset.entity or "", key, key_field, values, _digest(values))


def _in_link_order(catalog: Catalog) -> list[Definition]:
    """Data sets whose entity others link to come first, so keys in link fields resolve."""
    datasets = sorted(catalog.of_kind("data"), key=lambda d: d.qualified_name)
    targets = {
        d.qualified_name: {
            f.entity for f in catalog.entity(d.entity or "").fields if f.type in ("link", "many")
        }
        for d in datasets
    }
    ordered: list[Definition] = []
    while len(ordered) < len(datasets):
        pending = [d for d in datasets if d not in ordered]
        waiting = {d.entity for d in pending}
        ready = [d for d in pending if not targets[d.qualified_name] & (waiting - {d.entity})]
        ordered += ready or pending  # a cycle of links: keep the remaining order
    return ordered


def _install(conn: Connection, records: RecordService, tracked: Table, seed: _Seed) -> str:
    row = (
        conn.execute(select(tracked).where(tracked.c.dataset == seed.dataset, tracked.c.key == seed.key))
        .mappings()
        .first()
    )
    if row is None:
        return _insert(conn, records, tracked, seed)
    if row["digest"] == seed.digest:
        return "unchanged"
    if _edited_on_site(conn, records, seed.entity, row):
        return "kept"
    values = _resolved(conn, records, tracked, seed)
    written = _write(seed, lambda: records.update(seed.entity, row["record_id"], values, SYSTEM, conn=conn))
    conn.execute(
        update(tracked)
        .where(tracked.c.id == row["id"])
        .values(digest=seed.digest, version=written["version"])
    )
    return "updated"


def _edited_on_site(conn: Connection, records: RecordService, entity: str, row: Mapping[Any, Any]) -> bool:
    """Whether the site changed the record since the install wrote it: deleted, adopted, or
    updated by a person. A moved ``version`` alone is not enough: rollups and other derived
    values are rewritten by the system, and those are not edits (an entity without an audit
    log has only the version to go by)."""
    table = records.runtime.schema.of(entity).table
    version = conn.execute(select(table.c.version).where(table.c.id == row["record_id"])).scalar()
    if version is None or row["version"] is None:
        return True
    if version == row["version"]:
        return False
    if not records.runtime.catalog.entity(entity).audit:
        return True
    audit = records.runtime.schema.metadata.tables["loom_audit"]
    by_person = select(audit.c.id).where(
        audit.c.entity == entity,
        audit.c.record_id == row["record_id"],
        audit.c.user_id.is_not(None),
        audit.c.action != "create",
    )
    return conn.execute(by_person.limit(1)).first() is not None


def _insert(conn: Connection, records: RecordService, tracked: Table, seed: _Seed) -> str:
    existing = _existing(conn, records, seed)
    if existing is not None:
        # A record the site made itself before the package seeded it: adopt it, never overwrite.
        _track(conn, tracked, seed, existing, None)
        return "kept"
    values = _resolved(conn, records, tracked, seed)
    written = _write(seed, lambda: records.create(seed.entity, values, SYSTEM, conn=conn))
    _track(conn, tracked, seed, written["id"], written["version"])
    return "inserted"


def _existing(conn: Connection, records: RecordService, seed: _Seed) -> int | None:
    if seed.key_field is None:
        return None
    table = records.runtime.schema.of(seed.entity).table
    value = seed.values[seed.key_field]
    return conn.execute(select(table.c.id).where(table.c[seed.key_field] == value).limit(1)).scalar()


def _track(conn: Connection, tracked: Table, seed: _Seed, record_id: int, version: int | None) -> None:
    conn.execute(
        insert(tracked),
        {
            "dataset": seed.dataset,
            "key": seed.key,
            "entity": seed.entity,
            "record_id": record_id,
            "digest": seed.digest,
            "version": version,
        },
    )


def _resolved(conn: Connection, records: RecordService, tracked: Table, seed: _Seed) -> dict[str, Any]:
    """The seed's values with keys in link fields replaced by the ids of the seeded records."""
    entity = records.runtime.catalog.entity(seed.entity)
    values = dict(seed.values)
    for field in entity.fields:
        value = values.get(field.name)
        if field.type not in ("link", "many") or value is None:
            continue
        if field.type == "many" and isinstance(value, list):
            values[field.name] = [_seed_id(conn, tracked, seed, field.entity or "", v) for v in value]
        else:
            values[field.name] = _seed_id(conn, tracked, seed, field.entity or "", value)
    return values


def _seed_id(conn: Connection, tracked: Table, seed: _Seed, entity: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    found = conn.execute(
        select(tracked.c.record_id).where(tracked.c.entity == entity, tracked.c.key == value).limit(1)
    ).scalar()
    if found is None:
        raise SeedError(f"{seed.dataset} [{seed.key}]: no seed record of {entity} has the key {value!r}")
    return found


def _write(seed: _Seed, write: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    try:
        return write()
    except ValidationFailed as exc:
        problems = "; ".join(f"{e.field}: {e.message('en')}" for e in exc.errors)
        raise SeedError(f"{seed.dataset} [{seed.key}]: {problems}") from None
    except RecordError as exc:
        raise SeedError(f"{seed.dataset} [{seed.key}]: {exc.message('en')}") from None


def _digest(values: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(values, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _plain(record: Mapping[str, Any]) -> dict[str, Any]:
    """A record as JSON values: YAML dates become ISO text, as an API client would send them."""
    return json.loads(json.dumps(thaw(record), default=str, ensure_ascii=False))
