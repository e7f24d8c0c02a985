"""Approval stories as Chinese companies run them, through the flow service."""

from __future__ import annotations

import pytest

from loom.platform.records.errors import InApproval
from loom.platform.records.errors import PermissionDenied
from loom.platform.records.errors import ValidationFailed

EXPENSE_FLOW = """\
    kind: flow
    name: expense_approval
    label: {zh: 报销审批, en: Expense approval}
    entity: expense
    nodes:
      - {name: manager, approve: {manager: 1}}
      - name: by_amount
        branch:
          - when: "total > 5000.0"
            nodes:
              - {name: finance, approve: {role: finance}, mode: any}
              - {name: gm, approve: {role: general_manager}}
          - else: []
      - {name: cashier, approve: {role: cashier}, editable: [paid_on]}
      - {name: notify_hr, cc: {role: hr}}
    """


def kinds(summary: dict) -> list[str]:
    return [e["kind"] for e in summary["timeline"]]


def test_small_expense_goes_to_manager_then_cashier(make_company) -> None:
    co = make_company(EXPENSE_FLOW)
    record = co.expense(total="3000")
    summary = co.submit(record)
    assert co.pending(summary) == ["lead"]
    assert co.pending(co.act(record, "lead")) == ["cashier"]
    done = co.act(record, "cashier", values={"paid_on": "2026-11-23"})
    assert done["status"] == "approved"
    got = co.services.records.get("shop.expense", record["id"], co.users["staff"])
    assert got["flow_status"] == "approved" and str(got["paid_on"]) == "2026-11-23"
    assert [t["assignee_id"] for t in done["tasks"] if t["kind"] == "cc"] == co.ids("hr")


def test_large_expense_reaches_finance_any_of_two_then_gm(make_company) -> None:
    co = make_company(EXPENSE_FLOW)
    record = co.expense(total="8000")
    co.submit(record)
    assert co.pending(co.act(record, "lead")) == ["fin_head", "fin1", "fin2"]
    assert co.pending(co.act(record, "fin2", comment="票据齐全")) == ["gm"]
    assert co.pending(co.act(record, "gm")) == ["cashier"]
    done = co.act(record, "cashier")
    assert done["status"] == "approved"
    assert kinds(done).count("approve") == 4 and "finish" in kinds(done)


def test_record_is_read_only_in_approval_and_approvers_can_read_it(make_company) -> None:
    co = make_company(EXPENSE_FLOW)
    record = co.expense()
    co.submit(record)
    with pytest.raises(InApproval):
        co.services.records.update("shop.expense", record["id"], {"title": "改"}, co.users["staff"])
    assert co.services.records.get("shop.expense", record["id"], co.users["lead"])["title"] == "出差"
    with pytest.raises(ValidationFailed):  # only the cashier's node may edit paid_on
        co.act(record, "lead", values={"paid_on": "2026-01-01"})


def test_reject_ends_the_flow(make_company) -> None:
    co = make_company(EXPENSE_FLOW)
    record = co.expense()
    co.submit(record)
    done = co.act(record, "lead", "reject", comment="金额不符")
    assert done["status"] == "rejected" and co.pending(done) == []
    assert (
        co.services.records.get("shop.expense", record["id"], co.users["staff"])["flow_status"] == "rejected"
    )
    again = co.submit(record)  # a rejected record may be fixed and submitted anew
    assert again["id"] != done["id"] and co.pending(again) == ["lead"]


def test_only_the_assignee_acts_and_only_once(make_company) -> None:
    co = make_company(EXPENSE_FLOW)
    record = co.expense()
    co.submit(record)
    with pytest.raises(PermissionDenied):
        co.act(record, "staff2")
    co.act(record, "lead")
    with pytest.raises(PermissionDenied):
        co.act(record, "lead")
