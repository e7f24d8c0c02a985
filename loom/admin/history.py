"""Read-only views of what happened: the audit log, approval flow instances and metadata
revisions.

All are written only by the services (the records service audits every write, the flow engine
keeps its instances, the publish pipeline records revisions), so the console offers no way to
change them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from flask import url_for
from markupsafe import Markup
from sqlalchemy import Select
from sqlalchemy import select

from loom.platform.api.auth import services
from loom.platform.identity import DEPARTMENTS
from loom.platform.identity import USERS
from loom.platform.runtime import Runtime
from loom.platform.web.references import References
from loom.platform.web.wording import AUDIT_ACTIONS

from .cells import labelled
from .filters import ConditionFilter
from .labels import FLOW_STATUSES
from .labels import PLATFORM_LABELS
from .labels import Text
from .labels import lazy
from .labels import text
from .references import references
from .rows import Row
from .tables import TableView

# The portal's words for the audit log's actions (its record histories), and identity's own.
ACTIONS: dict[str, Text] = {**AUDIT_ACTIONS, "password": {"zh": "修改密码", "en": "Password changed"}}
# Identity's own rows in the audit log (loom.platform.identity), beside the entities'.
IDENTITY_ENTITIES = {USERS: PLATFORM_LABELS["user"], DEPARTMENTS: PLATFORM_LABELS["department"]}
PEOPLE = {USERS: "user", DEPARTMENTS: "department"}  # where identity's audited rows get their names
INSTANCE_STATUSES = {
    key: FLOW_STATUSES[key] for key in ("running", "approved", "rejected", "withdrawn", "revoked", "revoking")
}


def _pretty_json(view: Any, context: Any, model: Row, name: str) -> Markup:
    value = getattr(model, name)
    return Markup("<pre>{}</pre>").format(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def _entity_label(view: Any, context: Any, model: Row, name: str) -> str:
    key = getattr(model, name)
    entity = services().runtime.catalog.entities.get(key)
    if entity is not None:
        return f"{text(entity.label)} ({entity.qualified_name})"
    return text(IDENTITY_ENTITIES[key]) if key in IDENTITY_ENTITIES else key


def _options(labels: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(key, lazy(label)) for key, label in labels.items()]


def _entity_options(runtime: Runtime, identity: bool = False) -> list[tuple[str, Any]]:
    options = [(name, lazy(e.label)) for name, e in runtime.catalog.entities.items() if not e.child]
    return options + (_options(IDENTITY_ENTITIES) if identity else [])


def want_titles(titles: References, runtime: Runtime, entries: Iterable[tuple[str, int]]) -> References:
    """Fetch the titles of audited records (``(entity, record_id)`` pairs): one query per
    entity, records through the records service as ``titles``' actor, people by name."""
    wanted: dict[str, list[int]] = {}
    for entity, record_id in entries:
        if entity in PEOPLE or entity in runtime.catalog.entities:
            wanted.setdefault(PEOPLE.get(entity, entity), []).append(record_id)
    for target, ids in wanted.items():
        titles.want(target, ids)
    return titles


def details_url(runtime: Runtime, entity: str, record_id: int) -> str | None:
    """The console's details page of an audited record (none for child rows and people)."""
    found = runtime.catalog.entities.get(entity)
    if found is None or found.child:
        return None
    return url_for(f"records_{found.app}_{found.name}.details_view", id=record_id)


def _record_title(view: Any, context: Any, model: Row, name: str) -> Markup | str:
    """The audited record by its title (a person or department by name), linked to its
    details while it exists; ``#id`` when it has no title any more (deleted, or unreadable)."""
    entity, record_id = model.entity, getattr(model, name)
    title = references().name(PEOPLE.get(entity, entity), record_id)
    url = details_url(services().runtime, entity, record_id) if model.action != "delete" else None
    return Markup('<a href="{}">{}</a>').format(url, title) if url else title


class AuditView(TableView):
    """Who changed which record, when, and what changed (before and after): people by name,
    records by title."""

    table_name = "loom_audit"
    column_list = ("at", "user", "entity", "record_id", "action")
    column_details_list = (*column_list, "login", "changes", "note")
    column_formatters = {  # noqa: RUF012
        "entity": _entity_label,
        "action": labelled(ACTIONS),
        "record_id": _record_title,
    }
    column_formatters_detail = {**column_formatters, "changes": _pretty_json}  # noqa: RUF012
    searchable = ("user", "login")
    default_sort = ("at", True)

    def query(self) -> Select:
        audit, users = self.table, self.tables["loom_users"]
        return select(
            audit.c.id, audit.c.at, users.c.name.label("user"), users.c.login, audit.c.entity,
            audit.c.record_id, audit.c.action, audit.c.changes, audit.c.note,
        ).select_from(audit.outerjoin(users, audit.c.user_id == users.c.id))  # fmt: skip

    def get_list(self, *args: Any, **kwargs: Any) -> tuple[int, list[Row]]:
        total, rows = super().get_list(*args, **kwargs)
        want_titles(references(), services().runtime, ((r.entity, r.record_id) for r in rows))
        return total, rows

    def get_one(self, id: Any) -> Row | None:
        row = super().get_one(id)
        if row is not None:
            want_titles(references(), services().runtime, [(row.entity, row.record_id)])
        return row

    def filters(self, runtime: Runtime) -> list[ConditionFilter]:
        return [
            ConditionFilter(
                "entity", "eq", PLATFORM_LABELS["entity"], _entity_options(runtime, identity=True)
            ),
            ConditionFilter("action", "eq", PLATFORM_LABELS["action"], _options(ACTIONS)),
            ConditionFilter("record_id", "eq", PLATFORM_LABELS["record_id"], parse=int),
        ]


class FlowInstanceView(TableView):
    """Approval flows started on records: their state, initiator and outcome."""

    table_name = "loom_flow_instances"
    column_list = ("id", "flow", "entity", "record_id", "initiator", "status", "started_at", "finished_at")
    column_details_list = (*column_list, "state")
    column_formatters = {"entity": _entity_label, "status": labelled(INSTANCE_STATUSES)}  # noqa: RUF012
    column_formatters_detail = {**column_formatters, "state": _pretty_json}  # noqa: RUF012
    searchable = ("initiator",)
    default_sort = ("started_at", True)

    def query(self) -> Select:
        instances, users = self.table, self.tables["loom_users"]
        return select(
            instances.c.id, instances.c.flow, instances.c.entity, instances.c.record_id,
            users.c.login.label("initiator"), instances.c.status, instances.c.started_at,
            instances.c.finished_at, instances.c.state,
        ).select_from(instances.outerjoin(users, instances.c.initiator_id == users.c.id))  # fmt: skip

    def filters(self, runtime: Runtime) -> list[ConditionFilter]:
        flows = [(d.qualified_name, lazy(d.label)) for d in runtime.catalog.of_kind("flow")]
        return [
            ConditionFilter("flow", "eq", PLATFORM_LABELS["flow"], flows),
            ConditionFilter("status", "eq", PLATFORM_LABELS["status"], _options(INSTANCE_STATUSES)),
            ConditionFilter("entity", "eq", PLATFORM_LABELS["entity"], _entity_options(runtime)),
        ]


REVISION_CHANGES = {
    "added": {"zh": "新增", "en": "added"},
    "changed": {"zh": "修改", "en": "changed"},
    "removed": {"zh": "删除", "en": "removed"},
}


def _revision_changes(view: Any, context: Any, model: Row, name: str) -> Markup:
    lines = [
        Markup("{} <code>{}</code>").format(
            text(REVISION_CHANGES.get(c["action"], {"zh": c["action"]})), c["path"]
        )
        for c in getattr(model, name) or ()
    ]
    return Markup("<br>").join(lines)


def _revision_documents(view: Any, context: Any, model: Row, name: str) -> Markup:
    documents = getattr(model, name) or {}
    return Markup("").join(
        Markup("<p><code>{}</code></p><pre>{}</pre>").format(path, body)
        for path, body in sorted(documents.items())
    )


class RevisionView(TableView):
    """Who published which metadata change, when, why, and the documents of each revision
    (``loom explain-metadata`` says which revision set a given property)."""

    table_name = "loom_metadata_revisions"
    column_list = ("id", "created_at", "user", "message", "changes", "rollback_of")
    column_details_list = (*column_list, "digest", "documents")
    column_formatters = {"changes": _revision_changes}  # noqa: RUF012
    column_formatters_detail = {**column_formatters, "documents": _revision_documents}  # noqa: RUF012
    searchable = ("message",)
    default_sort = ("id", True)

    def query(self) -> Select:
        revisions, users = self.table, self.tables["loom_users"]
        return select(
            revisions.c.id, revisions.c.created_at, users.c.name.label("user"), revisions.c.message,
            revisions.c.changes, revisions.c.rollback_of, revisions.c.digest, revisions.c.documents,
        ).select_from(revisions.outerjoin(users, revisions.c.author_id == users.c.id))  # fmt: skip
