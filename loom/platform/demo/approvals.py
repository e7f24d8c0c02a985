"""Demo records taken through their approval flows into every status, by the people involved.

Nothing is written around the flow service: the creator submits (or withdraws), and each
open task is approved, rejected or returned by its assignee, so timelines, inboxes and
notifications are the ones real use would leave.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection

from loom.metadata.catalog import Catalog

from ..actor import Actor
from ..flows.nodes import walk
from ..records.errors import RecordError
from ..services import Services
from .company import Company
from .company import Member
from .records import Made
from .timeline import Timeline

# The status each record should end in, dealt out in turn; approvals and open ones weigh most,
# so reports have approved amounts and inboxes have work.
TARGETS = (
    "approved", "in_approval", "draft", "approved", "rejected", "in_approval",
    "withdrawn", "approved", "returned", "in_approval",
)  # fmt: skip
APPROVE: tuple[str, ...] = ("同意。", "同意，请按流程办理。", "情况属实，同意。", "已核对，同意。")
REJECT: tuple[str, ...] = (
    "预算不足，本次不予批准。",
    "理由不充分，不予批准。",
    "金额超出公司标准，不予批准。",
)
RETURN: tuple[str, ...] = ("请补充相关附件后重新提交。", "请补充费用明细说明。", "日期有误，请修改后再提交。")
MAX_STEPS = 30  # a flow longer than this is left where it is


class Approvals:
    """Acts in the caller's transaction ``conn``, each operation under a savepoint, so one the
    flow service refuses is undone alone."""

    def __init__(
        self, services: Services, conn: Connection, company: Company, rng: random.Random, timeline: Timeline
    ) -> None:
        self.services = services
        self.conn = conn
        self.company = company
        self.rng = rng
        self.timeline = timeline
        self._actors: dict[int, Actor | None] = {}

    def drive(self, made: list[Made], on_record: Callable[[], None]) -> Counter[str]:
        """Take each record towards its target status; the statuses they ended in."""
        reached: Counter[str] = Counter()
        targets = list(TARGETS)
        self.rng.shuffle(targets)
        for index, item in enumerate(made):
            target = targets[index % len(targets)]
            reached[self._drive(item, target)] += 1
            if target != "draft":  # what links to the record comes after its last step
                item.at = self.timeline()
            on_record()
        return reached

    def _drive(self, made: Made, target: str) -> str:
        if target == "draft":
            return "draft"
        self.timeline.resume(made.at)
        creator = made.creator.actor
        chosen = self._chosen(self.services.records.catalog, made.entity, made.creator)
        flows = self.services.flows
        summary = self._operate(
            lambda c: flows.submit(made.entity, made.record["id"], creator, chosen=chosen, conn=c)
        )
        if summary is not None and target == "withdrawn":
            summary = self._act(made, creator, "withdraw", {"comment": "信息填写有误，撤回修改。"})
        # How many steps are approved before the record stops or is turned down.
        approvals = self.rng.choice((0, 0, 1)) if target == "in_approval" else self.rng.choice((0, 1, 1))
        steps = 0
        while summary is not None and summary["status"] == "running" and steps < MAX_STEPS:
            task = _open_task(summary)
            actor = self._actor(task["assignee_id"]) if task else None
            if task is None or actor is None or (target == "in_approval" and steps >= approvals):
                break
            operation, comments = "approve", APPROVE
            if target in ("rejected", "returned") and steps >= approvals:
                operation, comments = ("reject", REJECT) if target == "rejected" else ("return", RETURN)
            summary = self._act(
                made, actor, operation, {"comment": self.rng.choice(comments), "task": task["id"]}
            )
            steps += 1
        latest = flows.latest(self.conn, made.entity, made.record["id"])
        if latest is None:
            return "draft"
        return "in_approval" if latest["status"] == "running" else latest["status"]

    def _act(
        self, made: Made, actor: Actor, operation: str, payload: dict[str, Any]
    ) -> dict[str, Any] | None:
        flows = self.services.flows
        return self._operate(
            lambda c: flows.act(made.entity, made.record["id"], actor, operation, payload, conn=c)
        )

    def _operate(self, operation: Callable[[Connection], dict[str, Any]]) -> dict[str, Any] | None:
        """The flow summary after ``operation``, or None if the flow service refused it (then undone).

        A refusal means a flow the demo cannot walk (an approver it cannot stand in for): the
        record keeps the status it reached.
        """
        self.timeline.later()  # each step a while after the one before
        try:
            with self.conn.begin_nested():
                return operation(self.conn)
        except RecordError:
            return None

    def _chosen(self, catalog: Catalog, entity: str, creator: Member) -> dict[str, list[int]]:
        """Approvers for nodes where the initiator picks them: a holder of the asked role, or anyone."""
        chosen: dict[str, list[int]] = {}
        for flow in catalog.flows_of(entity):
            for node in walk(list(flow.spec.get("nodes", ()))):
                spec = node.get("approve") or node.get("cc") or {}
                if "chosen" not in spec:
                    continue
                rule = spec["chosen"] if isinstance(spec["chosen"], dict) else {}
                pool = self.company.holders({rule["role"]}) if "role" in rule else list(self.company.members)
                pool = [m for m in pool if m.id != creator.id] or pool
                if pool:
                    chosen[node["name"]] = [self.rng.choice(pool).id]
        return chosen

    def _actor(self, user_id: int | None) -> Actor | None:
        """The actor of an assignee: a demo person, or another user of the site (its admin)."""
        if user_id is None:
            return None
        member = self.company.member(user_id)
        if member is not None:
            return member.actor
        if user_id not in self._actors:
            self._actors[user_id] = self.services.identity.actor(self.conn, user_id)
        return self._actors[user_id]


def _open_task(summary: dict[str, Any]) -> dict[str, Any] | None:
    return next((t for t in summary["tasks"] if t["status"] == "pending" and t["kind"] == "approve"), None)
