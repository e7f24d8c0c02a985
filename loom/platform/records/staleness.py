"""What a writer who read an older version is told: who changed the record, when, and which
fields, from the audit entries written since that version (each write adds one version and,
on an audited entity, one entry). Fields the writer may not see are not named."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection
from sqlalchemy import select

from loom.metadata.catalog import Entity

from ..tables import RecordTables
from .errors import Stale

MAX_ENTRIES = 50
SYSTEM_NAME = {"en": "the system", "zh": "系统"}
FLOW_STATUS = {"en": "approval status", "zh": "审批状态"}
UNKNOWN_FIELDS = {"en": "fields not shown", "zh": "未显示的字段"}


def stale(
    c: Connection,
    tables: RecordTables,
    audit: Any,
    users: Any,
    current: Mapping[str, Any],
    expected: int,
    visible: Collection[str],
    zone: dt.tzinfo | None,
) -> Stale:
    """The conflict of a write at version ``expected`` against the ``current`` record."""
    entity = tables.entity
    missed = max(1, min(current["version"] - expected, MAX_ENTRIES))
    entries = c.execute(
        select(audit.c.changes)
        .where(audit.c.entity == entity.qualified_name, audit.c.record_id == current["id"])
        .order_by(audit.c.id.desc())
        .limit(missed)
    ).scalars()
    names = sorted({name for changes in entries for name in changes if name in visible}, key=_order(entity))
    by = current.get("updated_by")
    who = c.execute(select(users.c.name).where(users.c.id == by)).scalar() if by is not None else None
    at = current["updated_at"]
    when = (at.astimezone(zone) if zone and at.tzinfo else at).strftime("%Y-%m-%d %H:%M")
    labels = [_label(entity, n) for n in names]
    fields = {
        "en": ", ".join(label["en"] for label in labels) or UNKNOWN_FIELDS["en"],
        "zh": "、".join(label["zh"] for label in labels) or UNKNOWN_FIELDS["zh"],
    }
    changed = {"by": by, "by_name": who, "at": at.isoformat(), "fields": names, "version": current["version"]}
    return Stale(
        changed=changed,
        name=who or SYSTEM_NAME,
        at=when,
        fields=fields,
        expected=expected,
        actual=current["version"],
    )


def _order(entity: Entity):
    """Fields in the entity's order, system columns last."""
    order = {f.name: i for i, f in enumerate(entity.fields)}
    return lambda name: (order.get(name, len(order)), name)


def _label(entity: Entity, name: str) -> Mapping[str, str]:
    if entity.has_field(name):
        label = entity.field(name).label
        return {"en": label.en, "zh": label.zh}
    return FLOW_STATUS if name == "flow_status" else {"en": name, "zh": name}
