"""The public pool and the sales teams' walls: neglected customers go back to the pool, their former
owner waits before claiming them again, and one team never sees the other's customers."""

from __future__ import annotations

import datetime as dt


def test_untouched_customer_returns_to_the_pool_and_its_owner_waits(company) -> None:
    ok = company.ok
    anna, alex, lead_a = company.client("anna"), company.client("alex"), company.client("lead_a")
    kept = ok(
        anna.post("/api/v1/crm/customer", json={"name": "苏州园区精密制造", "telephone": "0512-66661111"}),
        201,
    )
    followed = ok(
        anna.post("/api/v1/crm/customer", json={"name": "无锡新材料科技", "telephone": "0510-8888222"}), 201
    )
    locked = ok(
        anna.post("/api/v1/crm/customer", json={"name": "常州电机集团", "telephone": "0519-8666333"}), 201
    )
    ok(lead_a.post(f"/api/v1/crm/customer/{locked['id']}/buttons/crm.lock_customer", json={}))
    contact = company.ok(anna.post("/api/v1/crm/contact", json={"name": "陈工", "customer": kept["id"]}), 201)
    automations = company.services.automations
    later = company.clock.now + dt.timedelta(days=31)

    automations.run_schedule("crm.pool_reclaim", now=company.clock.now + dt.timedelta(days=28))
    warned = ok(anna.get("/api/v1/crm/customer?pool_warned=true&sort=id"))["items"]
    assert [c["id"] for c in warned] == [kept["id"], followed["id"]]  # three days before: a warning

    ok(anna.post("/api/v1/crm/follow_up", json={
        "target_type": "customer", "customer": followed["id"], "method": "phone", "content": "确认需求",
    }), 201)  # fmt: skip
    touched = ok(anna.get(f"/api/v1/crm/customer/{followed['id']}"))
    assert (touched["last_follow_up_content"], touched["pool_warned"]) == ("确认需求", False)

    run = automations.run_schedule("crm.pool_reclaim", now=later)
    assert run.failed == 0, run.errors
    back = ok(lead_a.get(f"/api/v1/crm/customer/{kept['id']}"))
    assert (back["in_pool"], back["owner_user"], back["pre_owner"]) == (True, None, company.users["anna"])
    assert ok(anna.get(f"/api/v1/crm/customer/{locked['id']}"))["in_pool"] is False  # locked: never reclaimed
    assert (
        ok(lead_a.get(f"/api/v1/crm/contact/{contact['id']}"))["owner_user"] is None
    )  # follows its customer
    log = ok(lead_a.get("/api/v1/crm/owner_change_log?change_type=put_into_pool"))["items"]
    assert sorted((e["customer"], e["from_owner"], e["to_owner"]) for e in log) == [
        (kept["id"], company.users["anna"], None),
        (followed["id"], company.users["anna"], None),  # its follow-up is 31 days old by then too
    ]

    offered = ok(anna.get(f"/api/v1/crm/customer/{kept['id']}/buttons"))["items"]
    assert "crm.claim_customer" not in [b["name"] for b in offered]
    refused = anna.post(f"/api/v1/crm/customer/{kept['id']}/buttons/crm.claim_customer", json={})
    assert refused.status_code == 403
    assert "crm.claim_customer" in [
        b["name"] for b in ok(alex.get(f"/api/v1/crm/customer/{kept['id']}/buttons"))["items"]
    ]
    claimed = ok(alex.post(f"/api/v1/crm/customer/{kept['id']}/buttons/crm.claim_customer", json={}))
    assert (claimed["in_pool"], claimed["owner_user"], claimed["acquired_by"]) == (
        False, company.users["alex"], "claimed"
    )  # fmt: skip
    assert ok(alex.get(f"/api/v1/crm/contact/{contact['id']}"))["owner_user"] == company.users["alex"]
    claims = ok(lead_a.get("/api/v1/crm/owner_change_log?change_type=claim"))["items"]
    assert [(e["from_owner"], e["to_owner"]) for e in claims] == [(None, company.users["alex"])]
    assert ok(alex.get(f"/api/v1/crm/customer/{kept['id']}"))["owner"] == company.users["alex"]
    assert anna.get(f"/api/v1/crm/customer/{kept['id']}").status_code == 404  # the scope moved with it


def test_a_customer_put_back_by_hand_may_be_claimed_again_at_once(company) -> None:
    ok = company.ok
    anna = company.client("anna")
    customer = ok(
        anna.post("/api/v1/crm/customer", json={"name": "嘉兴纺织", "telephone": "0573-8222444"}), 201
    )
    base = f"/api/v1/crm/customer/{customer['id']}"
    ok(anna.post(f"{base}/buttons/crm.put_into_pool", json={}))
    assert ok(anna.get(base))["in_pool"] is True
    claimed = ok(anna.post(f"{base}/buttons/crm.claim_customer", json={}))
    assert claimed["owner_user"] == company.users["anna"]


def test_a_salesperson_sees_their_own_customers_their_manager_the_teams(company) -> None:
    """The domain's data scopes: a salesperson (crm_sales) reads what they are 负责人 of and what
    is shared with them, not a teammate's; a manager (crm_sales_manager) reads their department
    and those below it; one team never sees the other's customers."""
    ok = company.ok
    anna, alex, bert = company.client("anna"), company.client("alex"), company.client("bert")
    lead_a, director = company.client("lead_a"), company.client("director")
    mine = company.customer(anna, "一组客户", mobile="13900000001")
    theirs = company.customer(bert, "二组客户", mobile="13900000002")
    ok(bert.post("/api/v1/crm/contact", json={"name": "二组联系人", "customer": theirs["id"]}), 201)

    def names(client) -> list[str]:
        return [c["name"] for c in ok(client.get("/api/v1/crm/customer?count=exact"))["items"]]

    assert names(alex) == []  # a teammate's customer is not his
    assert alex.get(f"/api/v1/crm/customer/{mine['id']}").status_code == 404
    for client in (anna, alex, lead_a):
        assert names(client) == ([] if client is alex else ["一组客户"])
        assert client.get(f"/api/v1/crm/customer/{theirs['id']}").status_code == 404
        assert ok(client.get("/api/v1/crm/contact"))["items"] == []
        assert ok(client.get("/api/v1/crm/customer?q=二组"))["items"] == []
    assert [c["name"] for c in ok(bert.get("/api/v1/crm/customer"))["items"]] == ["二组客户"]
    both = {c["name"] for c in ok(director.get("/api/v1/crm/customer"))["items"]}
    assert both == {"一组客户", "二组客户"}
    assert anna.patch(f"/api/v1/crm/customer/{theirs['id']}", json={"remark": "x"}).status_code == 404
    shared = anna.post(f"/api/v1/crm/customer/{mine['id']}/shares", json={"user_id": company.users["alex"]})
    assert shared.status_code == 200  # 团队成员: shared to read
    assert names(alex) == ["一组客户"]
    assert alex.patch(f"/api/v1/crm/customer/{mine['id']}", json={"remark": "x"}).status_code == 403
    duplicate = bert.post("/api/v1/crm/customer", json={"name": "一组客户"})
    assert duplicate.status_code in (409, 422) and mine["name"] == "一组客户"
