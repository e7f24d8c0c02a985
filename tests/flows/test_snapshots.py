"""Approvals keep running on the definition they started with, across changes of its format."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from sqlalchemy import update

from loom.platform.flows.snapshots import FORMAT

# Every kind of node; the fixture is this flow's snapshot and state after the first approval,
# as the code of before snapshots had a format number wrote them (tests/flows/fixtures).
FLOW = """\
kind: flow
name: expense_approval
label: Flow
entity: expense
nodes:
  - {name: lead, label: {zh: 组长, en: Lead}, approve: {manager: 1}, return_to: [initiator]}
  - name: size
    branch:
      - {name: big, when: 'total > 1000', nodes: [{name: gm_review, approve: {role: general_manager}}]}
      - {else: [{name: note_hr, cc: {users: [hr]}}]}
  - name: both
    parallel:
      - {nodes: [{name: finance, approve: {role: finance}, mode: any}]}
      - {nodes: [{name: legal_review, approve: {users: [hr]}}]}
  - {name: settle, action: {set: {approved_amount: 'total'}}}
  - {name: copy, cc: {users: [cashier]}}
"""
UNNUMBERED = Path(__file__).parent / "fixtures" / "snapshot_unnumbered.json"


def test_an_approval_stored_before_snapshots_had_a_format_runs_to_its_end(make_company) -> None:
    co = make_company(FLOW)
    record = co.expense(total="3000")
    co.submit(record)
    co.act(record, "lead")
    instances = co.services.flows.engine.instances
    old = json.loads(UNNUMBERED.read_text(encoding="utf-8"))
    with co.services.runtime.engine.begin() as conn:
        assert conn.execute(select(instances.c.definition)).scalar_one()["format"] == FORMAT
        conn.execute(update(instances).values(definition=old["definition"], state=old["state"]))

    assert co.pending(co.services.flows.latest_summary("shop.expense", record["id"])) == ["gm"]
    assert co.pending(co.act(record, "gm")) == ["fin_head", "fin1", "fin2", "hr"]
    co.act(record, "fin1")
    summary = co.act(record, "hr")

    assert summary["status"] == "approved"
    assert [t["kind"] for t in summary["tasks"] if t["assignee_id"] == co.users["cashier"].id] == ["cc"]
    kinds = [e["kind"] for e in summary["timeline"]]
    assert kinds == ["start", "approve", "branch", "approve", "approve", "approve", "cc", "finish"]
    saved = co.services.records.get("shop.expense", record["id"], co.users["staff"])
    assert saved["flow_status"] == "approved" and float(saved["approved_amount"]) == 3000
