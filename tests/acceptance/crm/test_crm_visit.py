"""A customer visit: the salesperson checks in on site, writes the summary, and the visit becomes a
follow-up that keeps the customer out of the pool."""

from __future__ import annotations


def test_visit_summary_becomes_a_follow_up(company) -> None:
    ok = company.ok
    anna, alex, lead_a = company.client("anna"), company.client("alex"), company.client("lead_a")
    customer = company.customer(anna, "绍兴黄酒集团", telephone="0575-8555666")
    plan = ok(anna.post("/api/v1/crm/visit_plan", json={
        "customer": customer["id"], "planned_start": "2026-12-01T09:00:00+08:00",
        "planned_end": "2026-12-01T11:00:00+08:00", "purpose": "demo",
    }), 201)  # fmt: skip
    url = f"/api/v1/crm/visit_plan/{plan['id']}"
    assert alex.get(url).status_code == 404  # a teammate's visit is not his to see
    assert ok(lead_a.get(f"{url}/buttons"))["items"] == []  # her manager sees it; only the visitor checks in
    location = {"lng": 120.58, "lat": 30.0, "address": "绍兴市越城区"}
    checked = ok(anna.post(f"{url}/buttons/crm.visit_check_in", json={"location": location}))
    assert checked["status"] == "checked_in" and checked["checked_in_at"] is not None

    done = ok(anna.patch(url, json={"summary": "演示了生产管理方案，客户希望下周报价。"}))
    assert done["status"] == "done"
    [follow_up] = ok(anna.get("/api/v1/crm/follow_up?method=visit"))["items"]
    assert (follow_up["customer"], follow_up["visit_plan"]) == (customer["id"], plan["id"])
    touched = ok(anna.get(f"/api/v1/crm/customer/{customer['id']}"))
    assert touched["last_follow_up_content"] == "演示了生产管理方案，客户希望下周报价。"
