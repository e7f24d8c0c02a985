"""Node timeouts: remind an approver after a while, approve or reject for them after longer.

``run_timeouts`` is one pass over the open tasks; the job runner (``loom serve`` or
``loom worker``) runs it every minute and ``loom flow timeouts`` runs it once. Every change goes
through the same task status and version checks as a person's approval, so several
processes running passes at once cannot act twice.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select

from ..actor import SYSTEM
from ..records.errors import RecordError
from .durations import duration
from .nodes import node_named
from .service import FlowService
from .snapshots import upgraded

log = logging.getLogger("loom.flows")


def run_timeouts(flows: FlowService, now: dt.datetime | None = None) -> dict[str, int]:
    """Send due reminders and apply due timeouts; returns how many of each."""
    now = now or flows.clock()
    engine = flows.engine
    t, i = engine.tasks, engine.instances
    query = (
        select(
            t.c.id,
            t.c.node,
            t.c.created_at,
            t.c.assignee_id,
            i.c.id.label("instance_id"),
            i.c.entity,
            i.c.record_id,
            i.c.definition,
        )
        .join(i, i.c.id == t.c.instance_id)
        .where(t.c.status == "pending", t.c.kind == "approve", i.c.status == "running")
    )
    with flows.runtime.engine.connect() as conn:
        due = [dict(r) for r in conn.execute(query).mappings()]
    counts = {"reminded": 0, "approved": 0, "rejected": 0}
    for task in due:
        node = node_named(upgraded(task["definition"])["nodes"], task["node"]) or {}
        timeout = node.get("timeout") or {}
        waited = now - task["created_at"]
        try:
            if "after" in timeout and waited >= duration(timeout["after"]):
                outcome = timeout.get("then", "approve")
                flows.act(
                    task["entity"],
                    task["record_id"],
                    SYSTEM,
                    "timeout",
                    {"task": task["id"], "then": outcome},
                )
                counts["approved" if outcome == "approve" else "rejected"] += 1
            elif (
                "remind_after" in timeout
                and waited >= duration(timeout["remind_after"])
                and flows.remind_once(task, now)
            ):
                counts["reminded"] += 1
        except RecordError:
            continue  # somebody acted first; nothing is due any more
    return counts
