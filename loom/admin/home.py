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
from sqlalchemy import literal
from sqlalchemy import select
from sqlalchemy import union_all

from loom.platform.actor import Actor
from loom.platform.database import reading
from loom.platform.services import Services
from loom.platform.web.moments import ago
from loom.platform.web.references import References
from loom.platform.web.widgets import local_time

from .history import ACTIONS
from .history import IDENTITY_ENTITIES
from .history import PEOPLE
from .history import details_url
from .history import want_titles
from .labels import lang
from .labels import text

RECENT_CHANGES = 10


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
    """Each app's label with the number of records of each of its (non-child) entities,
    all counted by one statement (a UNION ALL of one count per table): one round trip to
    the database however many entities the site has."""
    catalog, runtime = services.runtime.catalog, services.runtime
    entities = [e for e in catalog.entities.values() if not e.child]
    if not entities:
        return []
    statement = union_all(
        *(
            select(literal(e.qualified_name).label("entity"), func.count().label("n")).select_from(
                runtime.schema.of(e.qualified_name).table
            )
            for e in entities
        )
    )
    with reading(runtime.engine) as conn:
        numbers = {row.entity: row.n for row in conn.execute(statement)}
    found: list[tuple[str, list[Count]]] = []
    for app in catalog.apps.values():
        rows = [
            Count(
                text(e.label),
                numbers[e.qualified_name],
                url_for(f"records_{e.app}_{e.name}.index_view"),
            )
            for e in entities
            if e.app == app.name
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
    titles = want_titles(References(services, actor), runtime, ((e.entity, e.record_id) for e in entries))
    zone, now = services.records.schemas.tz, services.records.clock()
    return [
        Change(
            who=name or "—",  # the CLI and seeds act as no one
            action=text(ACTIONS[action]) if action in ACTIONS else action,
            kind=_kind(services, entity),
            title=titles.name(PEOPLE.get(entity, entity), record_id),
            url=details_url(runtime, entity, record_id) if action != "delete" else None,
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
