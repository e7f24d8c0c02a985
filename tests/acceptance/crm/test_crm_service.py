"""After-sales: a ticket gets service levels from its priority, is routed by its type, escalates when
late, and closing it schedules a return visit."""

from __future__ import annotations

import datetime as dt


def test_ticket_routed_by_type_resolved_and_followed_by_a_return_visit(company) -> None:
    ok = company.ok
    anna, carol, sam = company.client("anna"), company.client("carol"), company.client("sam")
    fault = company.seed_id(carol, "ticket_type", "fault")
    ok(carol.patch(f"/api/v1/crm/ticket_type/{fault}", json={
        "handling_dept": company.departments["support"], "default_assignee": company.users["sam"],
    }))  # fmt: skip
    customer = company.customer(anna, "温州阀门有限公司", telephone="0577-8888555")

    before = company.clock.now
    ticket = ok(sam.post("/api/v1/crm/service_ticket", json={
        "subject": "设备无法启动", "customer": customer["id"], "ticket_type": fault, "priority": "urgent",
        "description": "<p>客户反馈二号产线设备无法启动。</p>",
    }), 201)  # fmt: skip
    url = f"/api/v1/crm/service_ticket/{ticket['id']}"
    ticket = ok(sam.get(url))
    respond_by = dt.datetime.fromisoformat(ticket["response_due"])
    resolve_by = dt.datetime.fromisoformat(ticket["resolution_due"])
    assert dt.timedelta(minutes=59) < respond_by - before < dt.timedelta(minutes=61)
    assert dt.timedelta(hours=7, minutes=59) < resolve_by - before < dt.timedelta(hours=8, minutes=1)
    assert (ticket["handling_dept"], ticket["assignee"], ticket["status"]) == (
        company.departments["support"], company.users["sam"], "assigned"
    )  # fmt: skip

    late = company.services.automations.run_schedule(
        "crm.ticket_escalation", now=before + dt.timedelta(hours=9)
    )
    assert late.changed == 1 and ok(sam.get(url))["escalated"] is True

    taken = ok(sam.patch(url, json={"status": "in_progress"}))
    assert taken["first_responded_at"] is not None
    refused = sam.patch(url, json={"status": "resolved"})
    assert refused.status_code == 422 and refused.get_json()["errors"][0]["field"] == "resolution"
    resolved = ok(sam.patch(url, json={"status": "resolved", "resolution": "<p>更换电源模块后恢复。</p>"}))
    assert resolved["resolved_at"] is not None
    ok(sam.patch(url, json={"status": "closed"}))
    [visit] = ok(sam.get("/api/v1/crm/return_visit?status=planned"))["items"]
    assert (visit["customer"], visit["ticket"], visit["visitor"]) == (
        customer["id"], ticket["id"], company.users["sam"]
    )  # fmt: skip
    done = ok(
        sam.patch(
            f"/api/v1/crm/return_visit/{visit['id']}", json={"status": "done", "satisfaction": "satisfied"}
        )
    )
    assert done["status"] == "done"
