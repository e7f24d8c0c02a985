"""An inbox's page is read from an index, newest first, on both databases: the user who holds
thousands of open tasks gets the first 50 without the database sorting them all, and its count
reads the tasks alone unless a filter is about their approvals."""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy import insert

from loom.metadata import validate_paths
from loom.platform.actor import Actor
from loom.platform.database import make_engine
from loom.platform.flows.inbox import Inbox
from loom.platform.flows.inbox import Narrowing
from loom.platform.runtime import Runtime

LEAVE = """\
kind: entity
name: leave
label: {zh: 请假, en: Leave}
title_field: title
fields:
  - {name: title, type: string, required: true}
permissions:
  - {role: employee, read: all}
"""
TASKS = 3000
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def inbox(module_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    folder = tmp_path_factory.mktemp("package") / "hr"
    (folder / "entities").mkdir(parents=True)
    (folder / "app.yaml").write_text("kind: app\nname: hr\nlabel: HR\nversion: 1.0.0\n")
    (folder / "entities" / "leave.yaml").write_text(textwrap.dedent(LEAVE), encoding="utf-8")
    catalog = validate_paths([Path(folder)]).catalog
    assert catalog is not None
    runtime = Runtime.for_catalog(catalog, make_engine(module_database_url))
    runtime.schema.metadata.create_all(runtime.engine)
    tables = runtime.schema.metadata.tables
    users, instances, tasks = tables["loom_users"], tables["loom_flow_instances"], tables["loom_flow_tasks"]
    leave = runtime.schema.of("hr.leave").table
    with runtime.engine.begin() as conn:
        boss, staff = (
            conn.execute(
                insert(users).values(login=name, name=name, created_at=START).returning(users.c.id)
            ).scalar_one()
            for name in ("boss", "staff")
        )
        records = conn.execute(
            insert(leave).returning(leave.c.id),
            [{"title": f"请假 {i}", "created_at": START, "updated_at": START} for i in range(TASKS)],
        ).scalars().all()  # fmt: skip
        started = conn.execute(
            insert(instances).returning(instances.c.id),
            [
                {"flow": "hr.leave_approval", "entity": "hr.leave", "record_id": rid, "initiator_id": staff,
                 "status": "running", "definition": {}, "state": {}, "started_at": START}
                for rid in records
            ],
        ).scalars().all()  # fmt: skip
        conn.execute(
            insert(tasks),
            [
                {"instance_id": iid, "node": "manager", "kind": "approve", "assignee_id": boss,
                 "status": "pending" if i % 10 else "approved",
                 "created_at": START + dt.timedelta(minutes=i // 3)}  # three tasks arrive each minute
                for i, iid in enumerate(started)
            ],
        )  # fmt: skip
        conn.exec_driver_sql("ANALYZE")
    yield runtime, Inbox(runtime), Actor(boss, "boss", frozenset({"employee"}))
    runtime.engine.dispose()


def read(inbox: Any, only: Narrowing | None = None) -> tuple[dict[str, Any], list[str]]:
    """The first page of the boss's to-dos, and the statements that read it."""
    runtime, box, actor = inbox
    statements: list[tuple[str, Any]] = []

    def keep(conn, cursor, statement, parameters, context, executemany) -> None:
        if "loom_flow_tasks" in statement:
            statements.append((statement, parameters))

    event.listen(runtime.engine, "before_cursor_execute", keep)
    try:
        page = box.items(actor, "todo", page_size=50, only=only)
    finally:
        event.remove(runtime.engine, "before_cursor_execute", keep)
    postgres = runtime.engine.dialect.name == "postgresql"
    explain = "EXPLAIN " if postgres else "EXPLAIN QUERY PLAN "
    with runtime.engine.connect() as conn:
        plans = [
            "\n".join(str(row[-1]) for row in conn.exec_driver_sql(explain + statement, parameters))
            for statement, parameters in statements
        ]
    return page, plans


def test_the_first_page_is_read_backwards_from_the_inbox_index(inbox) -> None:
    page, (count_plan, page_plan) = read(inbox)
    assert "ix_loom_flow_tasks__inbox" in page_plan, page_plan
    if inbox[0].engine.dialect.name == "postgresql":
        assert "Index Scan Backward" in page_plan and "Sort" not in page_plan, page_plan
    else:
        assert "TEMP B-TREE FOR ORDER BY" not in page_plan, page_plan
    assert page["total"] == TASKS - TASKS // 10
    assert "loom_flow_instances" not in count_plan  # every task has its approval: not read to count
    arrived = [(item["created_at"], item["task_id"]) for item in page["items"]]
    assert len(arrived) == 50 and arrived == sorted(arrived, reverse=True)
    assert arrived[0][0] == START + dt.timedelta(minutes=(TASKS - 1) // 3)


def test_a_filter_on_the_kind_of_record_counts_through_the_approvals(inbox) -> None:
    page, (count_plan, _) = read(inbox, Narrowing(entity="hr.leave"))
    assert "loom_flow_instances" in count_plan
    assert page["total"] == TASKS - TASKS // 10
    nothing, _ = read(inbox, Narrowing(entity="hr.other"))
    assert nothing["total"] == 0 and nothing["items"] == []
