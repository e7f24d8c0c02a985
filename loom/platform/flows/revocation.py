"""Revoking an approved record (DingTalk's 撤销): the initiator takes back an approval that
already went through, giving a reason.

A flow says whether it may be revoked (``revoke.allowed``, off unless declared), for how long
after its approval (``revoke.within``, e.g. ``30d``; no limit unless declared) and whether the
revocation needs approval (``revoke.approval``: ``last_approver`` by default, the person whose
approval finished it; ``none`` revokes at once). While a revocation waits, the instance is
``revoking`` and the record stays ``approved`` (still in effect, still locked): only the
approver's decision changes it. Once revoked, instance and record are ``revoked``: the lock no
longer applies, the record may be edited and submitted again, and ``flow_finished`` automations
with outcome ``revoked`` undo what the approval did.

The rule read is the flow's as the catalog declares it now (else as it was when the approval
started), as the record's lock reads it: a flow that starts allowing revocation applies to the
records it approved before.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy import update

from loom.metadata.catalog import Catalog

from ..records.errors import FieldError
from ..records.errors import PermissionDenied
from ..records.errors import ValidationFailed
from .durations import duration
from .durations import spoken
from .engine import Engine
from .engine import Run
from .errors import NotYourTask

REVOKE_TASK = "revoke"  # the kind of a revocation's task, next to approve and cc
DECISIONS = frozenset({"approve", "reject"})  # what the approver of a revocation may do


class Revocations:
    def __init__(self, engine: Engine, catalog: Catalog) -> None:
        self.engine = engine
        self.catalog = catalog

    def rule(self, flow: str, started: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The flow's ``revoke`` rule with its defaults (not allowed; approval by the last approver),
        as the catalog declares it now, else as ``started`` (the definition the approval ran)."""
        current = self.catalog.definitions.get(("flow", flow))
        spec = current.spec if current is not None else started or {}
        rule = dict(spec.get("revoke") or {})
        approval = rule.get("approval", "last_approver")
        return {
            "allowed": bool(rule.get("allowed", False)),
            "approval": approval,
            "within": rule.get("within"),
        }

    def allows(self, flow: str, approved_at: dt.datetime | None, now: dt.datetime) -> bool:
        """Whether the flow allows revoking, ``now``, an approval finished at ``approved_at``."""
        rule = self.rule(flow)
        until = _deadline(rule, approved_at)
        return rule["allowed"] and (until is None or now <= until)

    def request(self, run: Run, payload: dict[str, Any]) -> None:
        """The initiator asks to revoke the approved record; the reason (``comment``) is required."""
        if run.actor.id != run.initiator:
            raise PermissionDenied()
        rule = self.rule(run.instance["flow"], run.definition)
        if not rule["allowed"]:
            raise ValidationFailed([FieldError("operation", "revoke_not_allowed")])
        until = _deadline(rule, run.instance["finished_at"])
        if until is not None and run.now > until:
            local = until.astimezone(self.engine.records.schemas.tz).strftime("%Y-%m-%d %H:%M")
            params = {"within": spoken(rule["within"]), "until": local}
            raise ValidationFailed([FieldError("operation", "revoke_expired", params)])
        reason = (payload.get("comment") or "").strip()
        if not reason:
            raise ValidationFailed([FieldError("comment", "required")])
        self.engine.event(run, "revoke", None, run.actor.id, comment=reason)
        node, approvers = self._approvers(run) if rule["approval"] == "last_approver" else ("", [])
        if not approvers:
            self.engine.finish(run, "revoked")
            return
        self._set_status(run, "revoking")
        for user in approvers:
            task = self.engine.assign(
                run, node, user, stage=10, stage_mode="any", kind=REVOKE_TASK, status="pending"
            )
            self.engine.notify(run, user, "revoke", node=node, task=task, comment=reason)

    def decide(self, run: Run, payload: dict[str, Any], operation: str) -> None:
        """The approver agrees (the record is revoked) or refuses (it stays approved)."""
        tasks = self.engine.tasks
        query = select(tasks).where(
            tasks.c.instance_id == run.instance["id"],
            tasks.c.kind == REVOKE_TASK,
            tasks.c.status == "pending",
            tasks.c.assignee_id == run.actor.id,
        )
        if payload.get("task") is not None:
            query = query.where(tasks.c.id == payload["task"])
        task = run.conn.execute(query.order_by(tasks.c.id)).mappings().first()
        if task is None:
            raise NotYourTask()
        approved = operation == "approve"
        comment = payload.get("comment")
        self.engine.close_task(run, dict(task), "approved" if approved else "rejected", comment)
        kind = "revoke_approve" if approved else "revoke_reject"
        self.engine.event(run, kind, task["node"], run.actor.id, comment=comment)
        if approved:
            self.engine.finish(run, "revoked")
            return
        self.engine.close_open_tasks(run)
        self._set_status(run, "approved")
        self.engine.notify(run, run.initiator, "revoke_refused", node=task["node"], comment=comment)

    def _approvers(self, run: Run) -> tuple[str, list[int]]:
        """Who approves the revocation, at which step: whoever approved last (DingTalk's default),
        else, if they have left or nobody approved by hand, the flow's administrators."""
        tasks = self.engine.tasks
        last = run.conn.execute(
            select(tasks.c.node, tasks.c.assignee_id)
            .where(
                tasks.c.instance_id == run.instance["id"],
                tasks.c.kind == "approve",
                tasks.c.status == "approved",
            )
            .order_by(tasks.c.acted_at.desc(), tasks.c.id.desc())
            .limit(1)
        ).first()
        node = last.node if last is not None else ""
        if last is not None and last.assignee_id in run.org.active:
            return node, [last.assignee_id]
        admin_role = run.definition.get("admin_role", "admin")
        return node, sorted(run.org.roles.get(admin_role, frozenset()) & run.org.active)

    def _set_status(self, run: Run, status: str) -> None:
        instances = self.engine.instances
        run.conn.execute(
            update(instances)
            .where(instances.c.id == run.instance["id"])
            .values(status=status, version=instances.c.version + 1)
        )
        run.instance["status"] = status


def _deadline(rule: Mapping[str, Any], approved_at: dt.datetime | None) -> dt.datetime | None:
    """Until when an approval finished at ``approved_at`` may be revoked (None: no limit)."""
    within = rule["within"]
    return approved_at + duration(within) if within and approved_at is not None else None
