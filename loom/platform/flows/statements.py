"""The engine's SQL, built once with bound parameters.

An approval runs some twenty statements; building each SQLAlchemy construct anew every
time cost more than running it. These are built when the engine starts and executed
with parameters only.
"""

from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy import bindparam
from sqlalchemy import false
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.sql import Select
from sqlalchemy.sql import Update

OPEN = ("pending", "waiting")


class Statements:
    def __init__(self, instances: Table, tasks: Table, events: Table) -> None:
        t, i = tasks, instances
        self.node_tasks: Select = (
            select(t.c.id, t.c.node, t.c.stage, t.c.stage_mode, t.c.status, t.c.assignee_id)
            .where(
                t.c.instance_id == bindparam("b_instance"),
                t.c.node == bindparam("b_node"),
                t.c.kind == "approve",
                t.c.status != "cancelled",
                t.c.status != "transferred",
                t.c.superseded == false(),
            )
            .order_by(t.c.stage, t.c.id)
        )
        self.pending: Select = (
            select(t)
            .where(t.c.instance_id == bindparam("b_instance"), t.c.status == "pending", t.c.kind == "approve")
            .order_by(t.c.id)
        )
        cancel = {"status": "cancelled", "version": t.c.version + 1}
        open_tasks = (t.c.instance_id == bindparam("b_instance"), t.c.status.in_(OPEN))
        self.close_open: Update = update(t).where(*open_tasks).values(cancel)
        self.close_open_node: Update = (
            update(t).where(*open_tasks, t.c.node == bindparam("b_node")).values(cancel)
        )
        self.set_task: Update = (
            update(t)
            .where(t.c.id == bindparam("b_task"))
            .values(status=bindparam("b_status"), version=t.c.version + 1)
        )
        self.act_task: Update = (
            update(t)
            .where(t.c.id == bindparam("b_task"))
            .values(status=bindparam("b_status"), acted_at=bindparam("b_at"), version=t.c.version + 1)
        )
        self.open_task: Update = (
            update(t)
            .where(t.c.id == bindparam("b_task"))
            .values(status="pending", created_at=bindparam("b_at"), version=t.c.version + 1)
        )
        self.close_task: Update = (
            update(t)
            .where(
                t.c.id == bindparam("b_task"), t.c.status == "pending", t.c.version == bindparam("b_version")
            )
            .values(
                status=bindparam("b_status"),
                acted_at=bindparam("b_at"),
                comment=bindparam("b_comment"),
                version=t.c.version + 1,
            )
        )
        self.save_state: Update = (
            update(i)
            .where(i.c.id == bindparam("b_instance"))
            .values(state=bindparam("b_state"), version=i.c.version + 1)
        )
        self.finish: Update = (
            update(i)
            .where(i.c.id == bindparam("b_instance"))
            .values(
                status=bindparam("b_status"),
                finished_at=bindparam("b_at"),
                state=bindparam("b_state"),
                version=i.c.version + 1,
            )
        )
        latest = (
            select(i)
            .where(i.c.entity == bindparam("b_entity"), i.c.record_id == bindparam("b_record"))
            .order_by(i.c.id.desc())
            .limit(1)
        )
        self.latest: Select = latest
        self.latest_locked: Select = latest.with_for_update()
        self.instance: Select = select(i).where(i.c.id == bindparam("b_instance"))
        self.instance_tasks: Select = (
            select(t).where(t.c.instance_id == bindparam("b_instance")).order_by(t.c.id)
        )
        self.instance_events: Select = (
            select(events).where(events.c.instance_id == bindparam("b_instance")).order_by(events.c.id)
        )
        self._flow_status: dict[str, Update] = {}

    def flow_status(self, table: Table) -> Update:
        """The update of one entity's flow_status, built on first use."""
        found = self._flow_status.get(table.name)
        if found is None:
            found = self._flow_status[table.name] = (
                update(table)
                .where(table.c.id == bindparam("b_record"))
                .values(
                    flow_status=bindparam("b_status"),
                    updated_at=bindparam("b_at"),
                    version=table.c.version + 1,
                )
            )
        return found
