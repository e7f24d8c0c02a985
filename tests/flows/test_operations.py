"""Return, resubmit, withdraw, transfer, add approver, comment, urge, CC and batch approve."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from loom.platform.flows.errors import FlowError
from loom.platform.records.errors import Conflict
from loom.platform.records.errors import NotFound
from loom.platform.records.errors import PermissionDenied
from loom.platform.records.errors import RecordError
from loom.platform.records.errors import ValidationFailed


def flow(*nodes: str, **options: str) -> str:
    extra = "".join(f"{k}: {v}\n" for k, v in options.items())
    body = "".join(f"  - {n}\n" for n in nodes)
    return f"kind: flow\nname: expense_approval\nlabel: Flow\nentity: expense\n{extra}nodes:\n{body}"


THREE = (
    "{name: manager, approve: {manager: 1}}",
    "{name: finance, approve: {users: [fin1]}, return_to: [initiator, manager], comment_required: [reject]}",
    "{name: gm, approve: {users: [gm]}}",
)


def test_return_to_initiator_edit_and_continue(make_company) -> None:
    co = make_company(flow(*THREE, resubmit="continue"))
    record = co.expense()
    co.submit(record)
    co.act(record, "lead")
    returned = co.act(record, "fin1", "return", to="initiator", comment="缺发票")
    assert returned["status"] == "returned"
    staff = co.users["staff"]
    assert co.services.records.get("shop.expense", record["id"], staff)["flow_status"] == "returned"
    co.services.records.update("shop.expense", record["id"], {"total": "2800"}, staff)  # editable again
    resumed = co.submit(record)
    assert resumed["id"] == returned["id"] and co.pending(resumed) == ["fin1"]  # continues at finance
    co.act(record, "fin1")
    assert co.act(record, "gm")["status"] == "approved"


def test_return_to_initiator_and_restart(make_company) -> None:
    co = make_company(flow(*THREE, resubmit="restart"))
    record = co.expense()
    co.submit(record)
    co.act(record, "lead")
    co.act(record, "fin1", "return", to="initiator")
    again = co.submit(record)
    assert co.pending(again) == ["lead"]


def test_return_to_an_earlier_node(make_company) -> None:
    co = make_company(flow(*THREE))
    record = co.expense()
    co.submit(record)
    co.act(record, "lead")
    back = co.act(record, "fin1", "return", to="manager")
    assert back["status"] == "running" and co.pending(back) == ["lead"]
    with pytest.raises(ValidationFailed):
        co.act(record, "lead", "return", to="gm")  # not a target this node allows
    assert co.pending(co.act(record, "lead")) == ["fin1"]  # the earlier pass no longer counts


def test_reject_may_require_a_comment(make_company) -> None:
    co = make_company(flow(*THREE))
    record = co.expense()
    co.submit(record)
    co.act(record, "lead")
    with pytest.raises(ValidationFailed):
        co.act(record, "fin1", "reject")
    assert co.act(record, "fin1", "reject", comment="超标")["status"] == "rejected"


def test_withdraw_until_someone_acted(make_company) -> None:
    co = make_company(flow(*THREE))
    record = co.expense()
    co.submit(record)
    with pytest.raises(PermissionDenied):
        co.act(record, "lead", "withdraw")  # only the initiator
    assert co.act(record, "staff", "withdraw")["status"] == "withdrawn"
    co.submit(record)
    co.act(record, "lead")
    with pytest.raises(FlowError):
        co.act(record, "staff", "withdraw")


def test_withdraw_always_when_the_flow_allows(make_company) -> None:
    co = make_company(flow(*THREE, withdraw="always"))
    record = co.expense()
    co.submit(record)
    co.act(record, "lead")
    assert co.act(record, "staff", "withdraw")["status"] == "withdrawn"


def test_transfer_my_task(make_company) -> None:
    co = make_company(flow(*THREE))
    record = co.expense()
    co.submit(record)
    moved = co.act(record, "lead", "transfer", to=co.users["hr"].id, comment="出差中")
    assert co.pending(moved) == ["hr"]
    assert co.pending(co.act(record, "hr")) == ["fin1"]


@pytest.mark.parametrize(
    ("position", "expected_first", "then"),
    [("before", ["hr"], ["lead"]), ("after", [], ["hr"]), ("with", ["lead", "hr"], None)],
)
def test_add_approver(make_company, position, expected_first, then) -> None:
    co = make_company(flow(*THREE))
    record = co.expense()
    co.submit(record)
    added = co.act(record, "lead", "add_approver", users=[co.users["hr"].id], position=position)
    if position == "after":
        assert co.pending(added) == ["lead"]
        assert co.pending(co.act(record, "lead")) == ["hr"]
        assert co.pending(co.act(record, "hr")) == ["fin1"]
    elif position == "before":
        assert co.pending(added) == expected_first
        assert co.pending(co.act(record, "hr")) == then
        assert co.pending(co.act(record, "lead")) == ["fin1"]
    else:
        assert co.pending(added) == expected_first
        co.act(record, "hr")
        assert co.pending(co.act(record, "lead")) == ["fin1"]


def test_comment_urge_and_cc_leave_a_timeline_and_notifications(make_company) -> None:
    co = make_company(flow(*THREE))
    record = co.expense()
    co.submit(record)
    co.act(record, "staff", "comment", comment="请尽快")
    co.act(record, "staff", "urge")
    summary = co.act(record, "lead", "cc", users=[co.users["hr"].id])
    assert [e["kind"] for e in summary["timeline"]][-3:] == ["comment", "urge", "cc"]
    with pytest.raises(PermissionDenied):
        co.act(record, "staff2", "comment", comment="路过")
    notifications = co.services.flows.engine.notifications
    with co.services.runtime.engine.connect() as conn:
        rows = conn.execute(select(notifications.c.user_id, notifications.c.kind)).all()
    lead, hr = co.users["lead"].id, co.users["hr"].id
    assert {(lead, "task"), (lead, "urge"), (hr, "cc")} <= set(rows)


def test_batch_approve_only_where_the_flow_allows(make_company) -> None:
    co = make_company(flow("{name: manager, approve: {manager: 1}}", batch_approve="true"))
    records = [co.expense(), co.expense(), co.expense("staff2")]
    tasks = [
        co.submit(r, who)["tasks"][0]["id"]
        for r, who in zip(records, ["staff", "staff", "staff2"], strict=True)
    ]
    outcomes = co.services.flows.batch_approve([*tasks, 999999], co.users["lead"], comment="同意")
    assert [o["ok"] for o in outcomes] == [True, True, True, False]
    assert all(
        co.services.records.get("shop.expense", r["id"], co.users["root"])["flow_status"] == "approved"
        for r in records
    )


def test_batch_approve_is_refused_by_a_flow_without_it(make_company) -> None:
    co = make_company(flow("{name: manager, approve: {manager: 1}}"))
    record = co.expense()
    task = co.submit(record)["tasks"][0]["id"]
    outcomes = co.services.flows.batch_approve([task], co.users["lead"], comment="同意")
    assert [(o["ok"], o.get("code")) for o in outcomes] == [(False, "flow_state")]
    unchanged = co.services.records.get("shop.expense", record["id"], co.users["root"])
    assert unchanged["flow_status"] == "in_approval"


def test_concurrent_approvals_of_one_any_task_record_exactly_one(make_company, database_url) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("the 16-thread race is the PostgreSQL test; SQLite serializes writers")
    users = ", ".join(f"u{i}" for i in range(16))
    co = make_company(flow(f"{{name: any_of, approve: {{users: [{users}]}}, mode: any}}"))
    services = co.services
    with services.runtime.engine.begin() as conn:
        for i in range(16):
            user_id = services.identity.create_user(conn, f"u{i}", f"u{i}")
            co.users[f"u{i}"] = services.identity.actor(conn, user_id)
    record = co.expense()
    co.submit(record)
    start = threading.Barrier(16)

    def approve(i: int) -> str:
        start.wait()
        try:
            co.act(record, f"u{i}")
        except (Conflict, PermissionDenied, RecordError):
            return "refused"
        return "approved"

    with ThreadPoolExecutor(16) as pool:
        outcomes = list(pool.map(approve, range(16)))
    assert outcomes.count("approved") == 1
    got = services.records.get("shop.expense", record["id"], co.users["root"])
    assert got["flow_status"] == "approved"


def test_concurrent_countersign_of_five_finishes_exactly_once(make_company, database_url) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("the concurrent countersign is the PostgreSQL test; SQLite serializes writers")
    co = make_company(flow("{name: board, approve: {users: [fin1, fin2, hr, gm, cashier]}, mode: all}"))
    record = co.expense()
    co.submit(record)
    people = ["fin1", "fin2", "hr", "gm", "cashier"]
    start = threading.Barrier(len(people))

    def approve(login: str) -> str:
        start.wait()
        for _ in range(20):  # a lost race is retried, as a client would
            try:
                return co.act(record, login)["status"]
            except Conflict:
                continue
        return "gave up"

    with ThreadPoolExecutor(len(people)) as pool:
        outcomes = list(pool.map(approve, people))
    assert outcomes.count("approved") == 1 and "gave up" not in outcomes
    summary = co.services.flows.latest_summary("shop.expense", record["id"])
    kinds = [e["kind"] for e in summary["timeline"]]
    assert kinds.count("approve") == 5 and kinds.count("finish") == 1


def test_concurrent_submits_start_one_approval(make_company, database_url) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("the concurrent submit is the PostgreSQL test; SQLite serializes writers")
    co = make_company(flow(*THREE))
    record = co.expense()
    start = threading.Barrier(4)

    def submit(_: int) -> str:
        start.wait()
        try:
            co.submit(record)
        except (Conflict, RecordError):
            return "refused"
        return "started"

    with ThreadPoolExecutor(4) as pool:
        assert sorted(pool.map(submit, range(4))) == ["refused", "refused", "refused", "started"]


def test_resubmit_after_a_return_from_one_parallel_lane_reopens_the_other(make_company) -> None:
    co = make_company(
        flow(
            "{name: both, parallel: [{nodes: [{name: legal, approve: {users: [hr]}}]}, "
            "{nodes: [{name: money, approve: {users: [fin1]}}]}]}",
            resubmit="continue",
        )
    )
    record = co.expense()
    co.submit(record)
    co.act(record, "hr", "return", to="initiator")
    resumed = co.submit(record)
    assert sorted(co.pending(resumed)) == ["fin1", "hr"]  # nobody approved the money lane yet
    co.act(record, "hr")
    assert co.act(record, "fin1")["status"] == "approved"


def test_malformed_operation_bodies_are_field_errors(make_company) -> None:
    co = make_company(flow(*THREE))
    record = co.expense()
    co.submit(record)
    for payload in ({"values": ["paid_on"]}, {"comment": ["a", 1]}, {"users": 5}, {"users": ["x"]}):
        with pytest.raises(ValidationFailed):
            co.act(record, "lead", "approve", **payload)


@pytest.mark.parametrize("operation", ["timeout", "send_back", "_approve", "pending", "hand_over"])
def test_only_the_operations_table_names_operations(make_company, operation) -> None:
    """A method's name is no operation, and a node's timeout is the platform's alone."""
    co = make_company(flow(*THREE))
    record = co.expense()
    co.submit(record)
    with pytest.raises(NotFound):
        co.act(record, "lead", operation, task=1)
    assert co.pending(co.act(record, "lead")) == ["fin1"]
