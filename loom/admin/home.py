"""What the console's front page shows: how many records each app's entities hold, and the
latest changes from the audit log (who, what, when), so an admin sees at a glance what the
site holds and what just happened.

Times read as the portal's timelines read them (刚刚, 3小时前, else the day and time), in the
site's time zone; records by their titles, read through the records service as the admin.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from sqlalchemy import func
from sqlalchemy import select

from loom.platform.actor import Actor
from loom.platform.database import reading
from loom.platform.identity import DEPARTMENTS
from loom.platform.identity import USERS
from loom.platform.services import Services
from loom.platform.web.moments import ago
from loom.platform.web.references import References
from loom.platform.web.widgets import local_time

from .history import ACTIONS
from .history import IDENTITY_ENTITIES
from .labels import lang
from .labels import text

RECENT_CHANGES = 10
PEOPLE = {USERS: "user", DEPARTMENTS: "department"}  # identity's rows in the audit log


@dataclass(frozen=True, slots=True)
class Count:
    label: str
    count: int
    url: str


@dataclass(frozen=True, slots=True)
class Change:
    who: str
    action: str
    kind: str  # the entity's label
    title: str
    url: str | None  # the record's details; none for deleted records and people
    when: str  # 3小时前, or the day and time
    at: str  # the full local time, for the tooltip


def counts(services: Services) -> list[tuple[str, list[Count]]]:
    """Each app's label with the number of records of each of its (non-child) entities."""
    catalog, runtime = services.runtime.catalog, services.runtime
    found: list[tuple[str, list[Count]]] = []
    with reading(runtime.engine) as conn:
        for app in catalog.apps.values():
            entities = [e for e in catalog.entities.values() if e.app == app.name and not e.child]
            rows = [
                Count(
                    text(entity.label),
                    conn.execute(
                        select(func.count()).select_from(runtime.schema.of(entity.qualified_name).table)
                    ).scalar_one(),
                    url_for(f"records_{entity.app}_{entity.name}.index_view"),
                )
                for entity in entities
            ]
            if rows:
                found.append((text(app.label), rows))
    return found


def recent_changes(services: Services, actor: Actor) -> list[Change]:
    """The latest entries of the audit log, newest first."""
    runtime = services.runtime
    audit, users = runtime.schema.metadata.tables["loom_audit"], runtime.schema.metadata.tables["loom_users"]
    query = (
        select(audit.c.at, audit.c.entity, audit.c.record_id, audit.c.action, users.c.name)
        .select_from(audit.outerjoin(users, audit.c.user_id == users.c.id))
        .order_by(audit.c.at.desc(), audit.c.id.desc())
        .limit(RECENT_CHANGES)
    )
    with reading(runtime.engine) as conn:
        entries = conn.execute(query).all()
    titles = References(services, actor)
    for entity in {e.entity for e in entries}:
        target = PEOPLE.get(entity, entity)
        if target in runtime.catalog.entities or entity in PEOPLE:
            titles.want(target, [e.record_id for e in entries if e.entity == entity])
    zone, now = services.records.schemas.tz, services.records.clock()
    return [
        Change(
            who=name or "—",  # the CLI and seeds act as no one
            action=text(ACTIONS[action]) if action in ACTIONS else action,
            kind=_kind(services, entity),
            title=titles.name(PEOPLE.get(entity, entity), record_id),
            url=_details(services, entity, record_id) if action != "delete" else None,
            when=ago(at, now, zone, lang()),
            at=local_time(at, zone).strftime("%Y-%m-%d %H:%M"),
        )
        for at, entity, record_id, action, name in entries
    ]


def _kind(services: Services, entity: str) -> str:
    found = services.runtime.catalog.entities.get(entity)
    if found is not None:
        return text(found.label)
    return text(IDENTITY_ENTITIES[entity]) if entity in IDENTITY_ENTITIES else entity


def _details(services: Services, entity: str, record_id: int) -> str | None:
    found = services.runtime.catalog.entities.get(entity)
    if found is None or found.child:
        return None
    return url_for(f"records_{found.app}_{found.name}.details_view", id=record_id)
