"""How many SQL statements an approval runs: every one is a round trip to the database, and the
approval throughput (benchmarks/workflow.py) is mostly the sum of them. These are upper bounds
counted with an engine event, not timings, so a change that adds a query fails here, on both
databases."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from .test_operations import flow

BRANCHED = (
    "{name: manager, approve: {manager: 1}}",
    "{name: long, branch: [{when: 'days > 3.0', nodes: [{name: director, approve: {manager: 2}}]},"
    " {else: []}]}",
)


@contextmanager
def counted(engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", seen)


def test_an_approval_that_finishes_the_flow_runs_at_most_13_statements(make_company) -> None:
    """Lock the instance, read the record and the pending tasks, close the task, settle the node,
    finish the instance, update the record with its audit entry, write the three timeline events
    and the notification (one statement each table), then the summary's tasks and timeline
    (12 on PostgreSQL; SQLite takes its write lock with one more)."""
    co = make_company(flow(*BRANCHED))
    record = co.expense(days="1")
    co.submit(record)
    with counted(co.services.runtime.engine) as statements:
        summary = co.act(record, "lead")
    assert summary["status"] == "approved"
    assert [e["kind"] for e in summary["timeline"]] == ["start", "approve", "branch", "finish"]
    assert summary["finished_at"] is not None
    assert len(statements) <= 13, "\n".join(statements)


def test_an_approval_that_opens_the_next_node_runs_at_most_20_statements(make_company) -> None:
    """As above without the finish, plus what a new node needs: the organisation (3 reads), the
    delegations of its approver, their task, whether they approved before."""
    co = make_company(flow(*BRANCHED))
    record = co.expense(days="5")
    co.submit(record)
    with counted(co.services.runtime.engine) as statements:
        summary = co.act(record, "lead")
    assert summary["status"] == "running" and co.pending(summary) == ["sales_head"]
    assert len(statements) <= 20, "\n".join(statements)


def test_the_summary_an_approval_returns_is_the_one_read_afterwards(make_company) -> None:
    co = make_company(flow(*BRANCHED))
    record = co.expense(days="5")
    co.submit(record)
    co.act(record, "lead")
    answered = co.act(record, "sales_head", comment="同意")
    assert answered == co.services.flows.latest_summary("shop.expense", record["id"])
