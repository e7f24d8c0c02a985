"""Revoking an approved record (撤销): who may, with and without approval, and what follows."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from loom.platform.flows.errors import FlowError
from loom.platform.records.errors import Locked
from loom.platform.records.errors import PermissionDenied
from loom.platform.records.errors import ValidationFailed

NODES = "  - {name: manager, approve: {manager: 1}}\n  - {name: finance, approve: {users: [fin1]}}\n"


def flow(revoke: str | None = "{allowed: true}") -> str:
    line = f"revoke: {revoke}\n" if revoke else ""
    return f"kind: flow\nname: expense_approval\nlabel: Flow\nentity: expense\n{line}nodes:\n{NODES}"


def automation(name: str, outcome: str, values: str) -> str:
    return (
        f"kind: automation\nname: {name}\nlabel: {name}\non: {{flow_finished: expense_approval}}\n"
        f"outcome: {outcome}\nrun_as: system\ndo:\n  - set: {values}\n"
    )


EFFECTS = {
    "automations/granted.yaml": automation("granted", "approved", "{approved_amount: record.total}"),
    "automations/undone.yaml": automation("undone", "revoked", '{approved_amount: "null"}'),
    # `any` means the verdict (approved or rejected); a revocation is asked for by name.
    "automations/verdict.yaml": automation(
        "verdict", "any", "{days: 'record.days == null ? 1.0 : double(record.days) + 1.0'}"
    ),
}


def approved(co, **values) -> dict:
    record = co.expense(**values)
    co.submit(record)
    co.act(record, "lead")
    assert co.act(record, "fin1")["status"] == "approved"
    return record


def read(co, record: dict) -> dict:
    return co.services.records.get("shop.expense", record["id"], co.users["root"])


def test_revoke_with_the_last_approvers_approval(make_company) -> None:
    co = make_company(flow(), EFFECTS)
    record = approved(co)
    assert read(co, record)["approved_amount"] == read(co, record)["total"]
    asked = co.act(record, "staff", "revoke", comment="客户取消")
    assert asked["status"] == "revoking" and co.pending(asked) == ["fin1"]  # whoever approved last
    assert [t["kind"] for t in asked["tasks"] if t["status"] == "pending"] == ["revoke"]
    assert read(co, record)["flow_status"] == "approved"  # still in effect until decided
    with pytest.raises(PermissionDenied):
        co.act(record, "lead", "approve")  # not theirs to decide
    done = co.act(record, "fin1", "approve", comment="同意")
    assert done["status"] == "revoked"
    assert [e["kind"] for e in done["timeline"]][-3:] == ["revoke", "revoke_approve", "finish"]
    assert done["timeline"][-1]["outcome"] == "revoked"
    after = read(co, record)
    assert after["flow_status"] == "revoked"
    assert after["approved_amount"] is None  # the revoked automation undid the approved one
    assert after["days"] == 1  # `any` ran on the approval, not on the revocation
    notifications = co.services.flows.engine.notifications
    with co.services.runtime.engine.connect() as conn:
        kinds = set(conn.execute(select(notifications.c.user_id, notifications.c.kind)).all())
    assert {(co.users["fin1"].id, "revoke"), (co.users["staff"].id, "result")} <= kinds


def test_a_refused_revocation_leaves_the_record_approved(make_company) -> None:
    co = make_company(flow(), EFFECTS)
    record = approved(co)
    co.act(record, "staff", "revoke", comment="客户取消")
    refused = co.act(record, "fin1", "reject", comment="已发货")
    assert refused["status"] == "approved"
    assert refused["timeline"][-1]["kind"] == "revoke_reject"
    assert read(co, record)["flow_status"] == "approved"
    assert read(co, record)["approved_amount"] is not None
    with pytest.raises(FlowError):
        co.act(record, "fin1", "approve")  # nothing left to decide
    assert co.act(record, "staff", "revoke", comment="再次申请")["status"] == "revoking"  # may ask again


def test_revoke_without_approval_is_immediate_and_unlocks_the_record(make_company) -> None:
    co = make_company(flow("{allowed: true, approval: none}"), EFFECTS)
    record = approved(co)
    staff = co.users["staff"]
    with pytest.raises(Locked):
        co.services.records.update("shop.expense", record["id"], {"total": "2500"}, staff)
    done = co.act(record, "staff", "revoke", comment="填错了")
    assert done["status"] == "revoked" and co.pending(done) == []
    assert read(co, record)["approved_amount"] is None
    changed = co.services.records.update("shop.expense", record["id"], {"total": "2500"}, staff)
    assert changed["total"] == read(co, record)["total"]  # editable again
    again = co.submit(record)  # and may be submitted again: a new approval
    assert again["status"] == "running" and again["id"] != done["id"]


def test_a_flow_allows_revoke_only_when_it_says_so(make_company) -> None:
    co = make_company(flow(None))
    record = approved(co)
    with pytest.raises(ValidationFailed) as refused:
        co.act(record, "staff", "revoke", comment="不要了")
    assert [e.code for e in refused.value.errors] == ["revoke_not_allowed"]
    assert read(co, record)["flow_status"] == "approved"


def test_only_the_initiator_revokes_an_approved_record_with_a_reason(make_company) -> None:
    co = make_company(flow())
    record = approved(co)
    with pytest.raises(PermissionDenied):
        co.act(record, "lead", "revoke", comment="不要了")  # only the initiator
    with pytest.raises(ValidationFailed) as missing:
        co.act(record, "staff", "revoke", comment="  ")  # a reason is required
    assert [e.field for e in missing.value.errors] == ["comment"]
    running = co.expense()
    co.submit(running)
    with pytest.raises(FlowError):
        co.act(running, "staff", "revoke", comment="不要了")  # not approved yet: withdraw instead


def test_the_administrators_decide_when_the_last_approver_has_left(make_company) -> None:
    co = make_company(flow())
    record = approved(co)
    with co.services.runtime.engine.begin() as conn:
        co.services.identity.set_active(conn, co.users["fin1"].id, False)
    asked = co.act(record, "staff", "revoke", comment="客户取消")
    assert co.pending(asked) == ["root"]
    assert co.act(record, "root", "approve")["status"] == "revoked"


def test_revoking_is_possible_only_within_the_flows_time_limit(make_company, site_clock) -> None:
    co = make_company(flow("{allowed: true, within: 3d, approval: none}"), clock=site_clock)
    late, early = approved(co), approved(co)
    approved_at = site_clock.now
    revocations = co.services.flows.revocations
    assert revocations.allows("shop.expense_approval", approved_at, approved_at + dt.timedelta(days=2))
    site_clock.now += dt.timedelta(days=2, hours=23)
    assert co.act(early, "staff", "revoke", comment="计划取消")["status"] == "revoked"  # still in time
    site_clock.now += dt.timedelta(hours=2)  # more than three days after the approval
    assert not revocations.allows("shop.expense_approval", approved_at, site_clock.now)
    with pytest.raises(ValidationFailed) as refused:
        co.act(late, "staff", "revoke", comment="太晚了")
    [error] = refused.value.errors
    assert error.code == "revoke_expired"
    assert (
        error.message("zh")
        == "已超过撤销期限：该审批流程只允许在审批通过后3天内撤销（截至 2026-12-06 07:30）。"
    )
    assert "within 3 days of the approval (until 2026-12-06 07:30)" in error.message("en")
    assert read(co, late)["flow_status"] == "approved"


def test_without_a_time_limit_an_approval_stays_revocable(make_company, site_clock) -> None:
    co = make_company(flow("{allowed: true, approval: none}"), clock=site_clock)
    record = approved(co)
    site_clock.now += dt.timedelta(days=400)
    assert co.act(record, "staff", "revoke", comment="一年后")["status"] == "revoked"
