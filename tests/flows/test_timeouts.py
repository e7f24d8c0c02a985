"""Node timeouts: a reminder once after `remind_after`, then approve or reject after `after`."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from loom.platform.flows.timeouts import duration
from loom.platform.flows.timeouts import run_timeouts


def flow(then: str) -> str:
    return (
        "kind: flow\nname: expense_approval\nlabel: Flow\nentity: expense\nnodes:\n"
        "  - {name: manager, approve: {manager: 1},\n"
        f"     timeout: {{remind_after: 1h, after: 1d, then: {then}}}}}\n"
        "  - {name: gm, approve: {users: [gm]}}\n"
    )


def test_durations() -> None:
    assert duration("30m") == dt.timedelta(minutes=30) and duration("2d") == dt.timedelta(days=2)


def test_remind_once_then_approve_for_the_approver(make_company) -> None:
    co = make_company(flow("approve"))
    record = co.expense()
    started = co.submit(record)["started_at"]
    flows = co.services.flows
    assert run_timeouts(flows, started + dt.timedelta(minutes=30)) == {
        "reminded": 0,
        "approved": 0,
        "rejected": 0,
    }
    assert run_timeouts(flows, started + dt.timedelta(hours=2))["reminded"] == 1
    assert run_timeouts(flows, started + dt.timedelta(hours=3))["reminded"] == 0  # only once
    notifications = flows.engine.notifications
    with co.services.runtime.engine.connect() as conn:
        kinds = (
            conn.execute(select(notifications.c.kind).where(notifications.c.user_id == co.users["lead"].id))
            .scalars()
            .all()
        )
    assert kinds.count("remind") == 1
    assert run_timeouts(flows, started + dt.timedelta(days=2))["approved"] == 1
    summary = flows.latest_summary("shop.expense", record["id"])
    assert co.pending(summary) == ["gm"]
    assert "timeout" in [e["kind"] for e in summary["timeline"]]


def test_timeout_may_reject(make_company) -> None:
    co = make_company(flow("reject"))
    record = co.expense()
    started = co.submit(record)["started_at"]
    assert run_timeouts(co.services.flows, started + dt.timedelta(days=2))["rejected"] == 1
    assert co.services.flows.latest_summary("shop.expense", record["id"])["status"] == "rejected"


def test_users_cannot_call_the_timeout_operation(make_company) -> None:
    import pytest

    from loom.platform.records.errors import NotFound

    co = make_company(flow("approve"))
    record = co.expense()
    co.submit(record)
    with pytest.raises(NotFound):
        co.act(record, "staff", "timeout", task=1, then="approve")


def test_notifications_are_delivered_once_by_the_senders(make_company) -> None:
    from loom.platform.flows.senders import deliver_pending

    class Recorder:
        def __init__(self) -> None:
            self.sent: list[tuple[str, str]] = []

        def send(self, user, subject: str, body: str) -> None:
            self.sent.append((user["name"], subject, body))

    co = make_company(flow("approve"))
    co.submit(co.expense())
    recorder = Recorder()
    runtime = co.services.runtime
    assert deliver_pending(runtime, [recorder]) == 1
    # As the inbox says it: who asked for what, the record's title, and the step.
    assert recorder.sent == [
        (
            "lead",
            "[Loom] 待您审批：staff提交的报销「出差」",
            "待您审批：staff提交的报销「出差」\n环节：manager\n",
        )
    ]
    assert deliver_pending(runtime, [recorder]) == 0  # claimed once, never sent twice
    assert deliver_pending(runtime, []) == 0
