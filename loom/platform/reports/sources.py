"""Platform data as report rows: approvals (one row per flow instance) and approval tasks (one
row per approver's task), each a subquery a report groups like an entity's table.

Only flow, node, people, status and time columns are offered, never a field of the approved
record, so a report over them leaks nothing the record's read scope would hide. ``hours`` is
the time taken, worked out by the database (PostgreSQL's ``extract(epoch …)``, SQLite's
``julianday``), empty while the approval is open and for tasks nobody decided; ``overdue`` is 1
for a task that waited, or has waited so far, past its node's first deadline.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy import MetaData
from sqlalchemy import Subquery
from sqlalchemy import case
from sqlalchemy import func
from sqlalchemy import literal
from sqlalchemy import select

from loom.metadata.catalog import Catalog
from loom.metadata.catalog import Label
from loom.metadata.checks.reports import SOURCES

from ..flows.durations import duration
from ..flows.nodes import walk
from ..types import UTCDateTime

LABELS = {
    "flow": Label("审批流程", "Flow"),
    "node": Label("审批节点", "Node"),
    "initiator": Label("发起人", "Initiator"),
    "assignee": Label("审批人", "Approver"),
    "initiator.department": Label("发起部门", "Initiator's department"),
    "assignee.department": Label("审批人部门", "Approver's department"),
    "status": Label("状态", "Status"),
    "started_at": Label("发起时间", "Started"),
    "finished_at": Label("完成时间", "Finished"),
    "created_at": Label("到达时间", "Arrived"),
    "acted_at": Label("处理时间", "Acted"),
    "hours": Label("耗时（小时）", "Time (hours)"),
    "overdue": Label("超时", "Overdue"),
}
# The tasks an approver (or a timeout for them) decided: the only ones whose time is counted;
# tasks passed automatically or cancelled (another approver of an any-mode step acted, the
# request was withdrawn) count as tasks but took nobody's time.
DECIDED = ("approved", "rejected", "returned")
STATUSES = {
    "running": Label("审批中", "In approval"),
    "approved": Label("已通过", "Approved"),
    "rejected": Label("已驳回", "Rejected"),
    "withdrawn": Label("已撤回", "Withdrawn"),
    "returned": Label("已退回", "Returned"),
    "revoked": Label("已撤销", "Revoked"),
    "closed": Label("已关闭", "Closed"),
    "pending": Label("待处理", "Pending"),
    "auto": Label("自动通过", "Auto-approved"),
    "cancelled": Label("已取消", "Cancelled"),
    "transferred": Label("已转交", "Transferred"),
}


def kind_of(source: str, column: str) -> str:
    """The type a source's column behaves as (``flow``, ``flow_node``, ``user``, ``datetime``…)."""
    return SOURCES[source][column]


def rows_of(source: str, metadata: MetaData, dialect: str, catalog: Catalog, now: dt.datetime) -> Subquery:
    """The source's rows with its columns named as reports name them; ``now`` is when an open
    task's wait ends for ``overdue``."""
    instances = metadata.tables["loom_flow_instances"]
    if source == "approvals":
        return select(
            instances.c.id,
            instances.c.flow,
            instances.c.initiator_id.label("initiator"),
            instances.c.status,
            instances.c.started_at,
            instances.c.finished_at,
            _hours(instances.c.started_at, instances.c.finished_at, dialect).label("hours"),
        ).subquery("approvals")
    tasks = metadata.tables["loom_flow_tasks"]
    node = instances.c.flow + ":" + tasks.c.node
    decided = tasks.c.status.in_(DECIDED)
    until = case(
        (tasks.c.status == "pending", literal(now, UTCDateTime())), (decided, tasks.c.acted_at), else_=None
    )
    limits = time_limits(catalog)
    overdue: Any = literal(0)
    if limits:
        limit = case(*((node == key, hours) for key, hours in sorted(limits.items())), else_=None)
        waited = _hours(tasks.c.created_at, until, dialect)
        overdue = case((limit.is_not(None) & (waited > limit), 1), else_=0)
    return (
        select(
            tasks.c.id,
            instances.c.flow,
            node.label("node"),
            tasks.c.assignee_id.label("assignee"),
            tasks.c.status,
            tasks.c.created_at,
            tasks.c.acted_at,
            case((decided, _hours(tasks.c.created_at, tasks.c.acted_at, dialect)), else_=None).label("hours"),
            overdue.label("overdue"),
        )
        .select_from(tasks.join(instances, instances.c.id == tasks.c.instance_id))
        .where(tasks.c.kind == "approve")
        .subquery("approval_tasks")
    )


def _hours(start: Any, end: Any, dialect: str) -> ColumnElement[Any]:
    if dialect == "postgresql":
        return func.extract("epoch", end - start) / 3600
    return (func.julianday(end) - func.julianday(start)) * 24


def time_limits(catalog: Catalog) -> dict[str, float]:
    """Hours an approver has at each ``flow:node`` with a timeout: its reminder's delay, else the
    delay after which the flow acts for them (the first deadline the flow sets)."""
    found = {}
    for flow in catalog.of_kind("flow"):
        for node in walk(flow.spec.get("nodes", ())):
            timeout = node.get("timeout") or {}
            delay = timeout.get("remind_after") or timeout.get("after")
            if delay:
                found[f"{flow.qualified_name}:{node['name']}"] = duration(delay).total_seconds() / 3600
    return found


def titles(catalog: Catalog, kind: str, keys: set[Any]) -> dict[Any, Label]:
    """How flow names, ``flow:node`` keys and statuses read."""
    found: dict[Any, Label] = {}
    for key in keys:
        if not isinstance(key, str):
            continue
        if kind == "select":
            found[key] = STATUSES.get(key, Label(key, key))
            continue
        flow_name, _, node = key.partition(":") if kind == "flow_node" else (key, "", "")
        flow = next((d for d in catalog.of_kind("flow") if d.qualified_name == flow_name), None)
        if flow is None:
            continue
        if kind == "flow":
            found[key] = flow.label
            continue
        spec = next((n for n in walk(flow.spec.get("nodes", ())) if n.get("name") == node), None)
        if spec is not None and spec.get("label"):
            own = spec["label"]
            label = Label.of(dict(own) if isinstance(own, Mapping) else own, node)
            found[key] = Label(
                f"{flow.label.get('zh')} · {label.get('zh')}", f"{flow.label.get('en')} · {label.get('en')}"
            )
    return found
