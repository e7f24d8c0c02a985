"""Titles of what values point at: linked records, users, departments and files.

Collected for a whole page of records and fetched in one query per target, so a list of
fifty rows costs a handful of queries. Linked records are read through the records
service as the signed-in user: a record they may not read shows as its bare number.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Table
from sqlalchemy import or_
from sqlalchemy import select

from loom.metadata.catalog import Entity
from loom.metadata.catalog import Field

from ..actor import Actor
from ..database import reading
from ..records.errors import RecordError
from ..records.query import Condition
from ..records.query import ListQuery
from ..services import Services
from .widgets import is_reference

PICK_LIMIT = 10
FILTERED_SCAN = 200  # candidates read to find PICK_LIMIT that pass a link's filter


def target_of(field: Field) -> str:
    """Where a reference field points: an entity name, or ``user``/``department``/``file``."""
    if field.type in ("link", "many"):
        return field.entity or ""
    return "file" if field.type == "image" else field.type


class References:
    def __init__(self, services: Services, actor: Actor) -> None:
        self.services = services
        self.actor = actor
        self.titles: dict[str, dict[int, str]] = {}
        self.files: dict[int, dict[str, Any]] = {}

    def load(self, entity: Entity, records: Iterable[Mapping[str, Any]]) -> References:
        """Fetch the titles of everything ``records`` (and their child rows) refer to."""
        wanted: dict[str, set[int]] = {}
        self._collect(entity, list(records), wanted)
        for target, ids in wanted.items():
            self.want(target, ids)
        return self

    def want(self, target: str, ids: Iterable[int | None]) -> References:
        """Fetch the titles of ``ids`` of one target (an entity, ``user``, ``department``, ``file``)."""
        known = self.titles.setdefault(target, {})
        missing = {i for i in ids if isinstance(i, int)} - set(known)
        if missing:
            known.update(self._fetch(target, missing))
        return self

    def name(self, target: str, value: Any) -> str:
        if not isinstance(value, int):
            return "" if value is None else str(value)
        return self.titles.get(target, {}).get(value) or f"#{value}"

    def title(self, field: Field, value: Any) -> str:
        return self.name(target_of(field), value)

    def file(self, file_id: Any) -> dict[str, Any] | None:
        return self.files.get(file_id) if isinstance(file_id, int) else None

    def _collect(self, entity: Entity, records: list[Mapping[str, Any]], wanted: dict[str, set[int]]) -> None:
        for field in entity.fields:
            if field.type == "table":
                child = self.services.runtime.catalog.entity(field.entity or "")
                rows = [row for r in records for row in (r.get(field.name) or []) if isinstance(row, Mapping)]
                self._collect(child, rows, wanted)
            elif is_reference(field):
                ids = wanted.setdefault(target_of(field), set())
                for record in records:
                    value = record.get(field.name)
                    ids.update(
                        v for v in (value if isinstance(value, list) else [value]) if isinstance(v, int)
                    )

    def _fetch(self, target: str, ids: set[int]) -> dict[int, str]:
        if target in ("user", "department", "file"):
            return self._fetch_platform(target, ids)
        entity = self.services.runtime.catalog.entity(target)
        shown = entity.title_field
        query = ListQuery(
            filters=(Condition("id", "in", sorted(ids)),),
            page_size=min(len(ids), 500),
            count="none",
            fields=(shown,) if shown else (),
        )
        try:
            rows = self.services.records.list(target, query, self.actor).records
        except RecordError:  # no read permission on the target: numbers only
            return {}
        return {r["id"]: title_of(r, shown) for r in rows}

    def _fetch_platform(self, target: str, ids: set[int]) -> dict[int, str]:
        table = _platform_table(self.services, target)
        with reading(self.services.runtime.engine) as conn:
            rows = conn.execute(select(table).where(table.c.id.in_(sorted(ids)))).mappings().all()
        if target == "file":
            self.files.update({r["id"]: dict(r) for r in rows})
        return {r["id"]: r["name"] for r in rows}


def _platform_table(services: Services, target: str) -> Table:
    tables = services.runtime.schema.metadata.tables
    return tables[{"user": "loom_users", "department": "loom_departments", "file": "loom_files"}[target]]


def search_people(
    services: Services, target: str, text: str, role: str | None = None
) -> list[tuple[int, str]]:
    """Active users (by name or login; with ``role``, only its holders) or departments (by name)
    matching ``text``."""
    table = _platform_table(services, target)
    text = text.strip()
    query = select(table.c.id, table.c.name).order_by(table.c.name, table.c.id).limit(PICK_LIMIT)
    if target == "user":
        query = query.where(
            table.c.active.is_(True),
            or_(
                table.c.name.icontains(text, autoescape=True), table.c.login.icontains(text, autoescape=True)
            ),
        )
        if role:
            members = services.runtime.schema.metadata.tables["loom_memberships"]
            query = query.where(table.c.id.in_(select(members.c.user_id).where(members.c.role == role)))
    else:
        query = query.where(table.c.name.icontains(text, autoescape=True))
    with reading(services.runtime.engine) as conn:
        return [(row.id, row.name) for row in conn.execute(query)]


def search_records(
    services: Services,
    entity: str,
    text: str,
    actor: Actor,
    offered: Callable[[Mapping[str, Any]], bool] | None = None,
) -> list[tuple[int, str]]:
    """Records of ``entity`` the actor may read, found by the entity's search; with ``offered``,
    only those it accepts (a link field's ``filter``), looked for among the first few pages."""
    found = services.runtime.catalog.entity(entity)
    shown = found.title_field
    query = ListQuery(
        q=text.strip() or None,
        page_size=PICK_LIMIT if offered is None else FILTERED_SCAN,
        count="none",
        fields=(shown,) if shown and offered is None else None,
    )
    rows = services.records.list(entity, query, actor).records
    if offered is not None:
        rows = [r for r in rows if offered(r)][:PICK_LIMIT]
    return [(r["id"], title_of(r, shown)) for r in rows]


def title_of(row: Mapping[str, Any], shown: str | None) -> str:
    """The record's title, or its number when it has none: a picker never shows an empty line."""
    return str((row.get(shown) if shown else None) or f"#{row['id']}")
