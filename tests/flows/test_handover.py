"""离职交接: a leaving user's pending tasks and owned records go to a successor in one operation."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from loom.platform.app import create_app
from loom.platform.handover import hand_over
from loom.platform.records.errors import PermissionDenied
from loom.platform.records.errors import ValidationFailed

from .test_operations import THREE
from .test_operations import flow


def test_tasks_and_records_move_to_the_successor(make_company) -> None:
    co = make_company(flow(*THREE))
    first, second = co.expense(), co.expense(title="培训")
    for record in (first, second):
        co.submit(record)
    report = hand_over(co.services, co.users["lead"].id, co.users["hr"].id, co.users["root"], "李组长离职")
    assert report.tasks == 2 and report.records == {}
    assert co.pending(co.act(first, "hr")) == ["fin1"]  # the successor approves in their place
    summary = co.services.flows.latest_summary("shop.expense", second["id"])
    assert co.pending(summary) == ["hr"]
    events = co.services.flows.engine.events
    with co.services.runtime.engine.connect() as conn:
        moved = conn.execute(
            select(events.c.actor_id, events.c.detail)
            .where(events.c.kind == "transfer")
            .order_by(events.c.id)
        ).all()
    assert [row.actor_id for row in moved] == [co.users["root"].id] * 2
    assert moved[0].detail["comment"] == "李组长离职"

    staff_records = hand_over(
        co.services, co.users["staff"].id, co.users["staff2"].id, co.users["root"], "调岗"
    )
    assert staff_records.records == {"shop.expense": 2}
    assert (
        co.services.records.get("shop.expense", first["id"], co.users["staff2"])["owner"]
        == co.users["staff2"].id
    )


def test_only_admins_hand_over_and_bad_input_is_named(make_company) -> None:
    co = make_company(flow(*THREE))
    with pytest.raises(PermissionDenied):
        hand_over(co.services, co.users["lead"].id, co.users["hr"].id, co.users["staff"], "离职")
    with pytest.raises(ValidationFailed) as refused:
        hand_over(co.services, co.users["lead"].id, co.users["lead"].id, co.users["root"], " ")
    assert sorted(e.field for e in refused.value.errors) == ["reason", "to"]


def test_the_api_hands_over_for_admins(make_company) -> None:
    co = make_company(flow(*THREE))
    record = co.expense()
    co.submit(record)
    app = create_app(runtime=co.services.runtime, config={"TESTING": True, "SECRET_KEY": "t"})

    def client(login: str):
        c = app.test_client()
        signed = c.post("/api/v1/auth/login", json={"login": login, "password": "pw"}).get_json()
        c.environ_base["HTTP_X_CSRF_TOKEN"] = signed["csrf_token"]
        return c

    body = {"to": co.users["hr"].id, "reason": "离职交接"}
    lead = co.users["lead"].id
    assert client("staff").post(f"/api/v1/users/{lead}/handover", json=body).status_code == 403
    root = client("root")
    done = root.post(f"/api/v1/users/{lead}/handover", json=body)
    assert done.status_code == 200 and done.get_json() == {"tasks": 1, "records": {}}
    wrong = root.post(f"/api/v1/users/{lead}/handover", json={"to": 2**70, "reason": "x"})
    assert wrong.status_code == 400
    unknown = root.post(f"/api/v1/users/{lead}/handover", json={"to": 999999, "reason": "x"})
    assert unknown.status_code == 422 and unknown.get_json()["errors"][0]["field"] == "to"
