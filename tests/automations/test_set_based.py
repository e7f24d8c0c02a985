"""A scheduled rule whose only action is a plain ``set`` writes each batch set-based, with the
same records and audit entries as the record-by-record path."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event
from sqlalchemy import insert
from sqlalchemy import select

from loom.metadata import validate_paths
from loom.platform.automations.service import AutomationService
from loom.platform.database import make_engine
from loom.platform.runtime import Runtime
from loom.platform.services import Services

NOW = dt.datetime(2026, 11, 27, 2, 0, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
RECORDS = 10_000

PACKAGE = {
    "app.yaml": "kind: app\nname: crm\nlabel: CRM\nversion: 1.0.0\n",
    "entities/lead.yaml": """\
        kind: entity
        name: lead
        label: Lead
        fields:
          - {name: title, type: string, required: true}
          - {name: in_pool, type: boolean, default: false}
          - {name: owner_user, type: integer}
          - {name: score, type: integer, max: 100}
          - {name: last_follow_up_at, type: datetime}
          - {name: state, type: computed, result: string, compute: 'in_pool ? "pool" : "owned"'}
        rules:
          - {check: "score >= 0", field: score, message: Not negative}
        indexes: [[in_pool, last_follow_up_at]]
        """,
    "automations/pool.yaml": """\
        kind: automation
        name: pool
        label: Back to the pool
        on:
          schedule:
            cron: "0 2 * * *"
            entity: lead
            where: "!in_pool && last_follow_up_at < now - duration('720h')"
            batch_size: 200
        if: "record.score < 90"
        run_as: system
        do:
          - set: {in_pool: "true", owner_user: "null", score: "record.score + 1"}
        """,
}


@pytest.fixture
def services(write_package, database_url) -> Iterator[Services]:
    result = validate_paths([write_package(PACKAGE, name="crm")])
    assert result.problems == (), [p.render() for p in result.problems]
    runtime = Runtime.for_catalog(result.catalog, make_engine(database_url))
    runtime.schema.metadata.create_all(runtime.engine)
    table = runtime.schema.of("crm.lead").table
    stale, fresh = NOW - dt.timedelta(days=40), NOW - dt.timedelta(days=5)
    rows = [
        {
            "title": f"lead {i}",
            "in_pool": False,
            "owner_user": i % 7,
            "score": i % 100,
            "last_follow_up_at": stale if i % 20 == 0 else fresh,
            "state": "owned",
            "created_at": fresh,
            "updated_at": fresh,
            "version": 1,
        }
        for i in range(RECORDS)
    ]
    with runtime.engine.begin() as conn:
        conn.execute(insert(table), rows)
    yield Services.build(runtime, clock=lambda: NOW)
    runtime.engine.dispose()


@contextmanager
def updates_of(services: Services, table: str) -> Iterator[list[str]]:
    statements: list[str] = []

    def keep(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.startswith(f"UPDATE {table} "):
            statements.append(statement)

    engine = services.runtime.engine
    event.listen(engine, "before_cursor_execute", keep)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", keep)


def run_and_read(services: Services) -> tuple[tuple[int, int, int], list[dict], list[tuple], int]:
    """Run the rule in a transaction rolled back after; what it did, the rows, the audit entries."""
    lead = services.runtime.schema.of("crm.lead").table
    audit = services.runtime.schema.metadata.tables["loom_audit"]
    with services.runtime.engine.connect() as conn, conn.begin():
        with updates_of(services, "crm_lead") as updates:
            result = services.automations.run_schedule("crm.pool", now=NOW, conn=conn)
        rows = [dict(r) for r in conn.execute(select(lead).order_by(lead.c.id)).mappings()]
        query = select(audit.c.entity, audit.c.record_id, audit.c.action, audit.c.user_id, audit.c.changes)
        entries = [tuple(r) for r in conn.execute(query.order_by(audit.c.record_id))]
        conn.rollback()
    counts = (result.matched, result.changed, result.failed)
    return counts, rows, [(*e[:4], sorted(e[4].items())) for e in entries], len(updates)


def test_a_plain_set_rule_writes_set_based_with_the_same_results(services, monkeypatch) -> None:
    counts, rows, entries, updates = run_and_read(services)
    matched = RECORDS // 20
    changed = len([i for i in range(0, RECORDS, 20) if i % 100 < 90])
    assert counts == (matched, changed, 0)
    assert len(entries) == changed
    assert updates <= matched // 200 + 1  # one UPDATE per batch

    monkeypatch.setattr(AutomationService, "_set_based", lambda self, automation: False)
    assert run_and_read(services) == (counts, rows, entries, changed)  # one UPDATE per record
    assert {r["state"] for r in rows if r["in_pool"]} == {"pool"}


def test_a_batch_with_a_refused_value_is_written_record_by_record(services) -> None:
    lead = services.runtime.schema.of("crm.lead").table
    with services.runtime.engine.begin() as conn:
        conn.execute(lead.update().where(lead.c.id == 1).values(score=-5))  # the rule refuses -4
    counts, rows, entries, _ = run_and_read(services)
    assert counts[2] == 1  # reported for that record, as before; the others written
    assert len(entries) == counts[1] == RECORDS // 20 - 1
    assert 1 not in {entry[1] for entry in entries} and rows[0]["score"] == -5
