"""Revoking (撤销) an approved contract: the manager who approved it agrees, and the contract, its
receivable plans, the customer and the opportunity are back to where they were before approval."""

from __future__ import annotations

from decimal import Decimal


def approved_contract(company, anna, lead_a, customer: dict, opportunity: dict | None, name: str) -> str:
    ok = company.ok
    contract = ok(anna.post("/api/v1/crm/contract", json={
        "name": name, "customer": customer["id"], "opportunity": opportunity and opportunity["id"],
        "amount": "30000", "discount_rate": "5", "order_date": "2026-11-20",
    }), 201)  # fmt: skip
    base = f"/api/v1/crm/contract/{contract['id']}"
    ok(anna.post(f"{base}/flow/submit", json={}))
    ok(lead_a.post(f"{base}/flow/approve", json={"comment": "同意"}))
    assert ok(anna.get(base))["status"] == "effective"
    return base


def test_a_revoked_contract_puts_the_customer_and_the_opportunity_back(company) -> None:
    ok = company.ok
    anna, lead_a = company.client("anna"), company.client("lead_a")
    group = company.seed_id(anna, "opportunity_stage_group", "quick")
    quote = company.seed_id(anna, "opportunity_stage", "quick_quote")
    customer = company.customer(anna, "台州汽配", telephone="0576-8777888")
    opportunity = ok(anna.post("/api/v1/crm/opportunity", json={
        "name": "汽配 MES", "customer": customer["id"], "stage_group": group, "stage": quote,
        "amount": "30000",
    }), 201)  # fmt: skip
    opportunity_url = f"/api/v1/crm/opportunity/{opportunity['id']}"
    customer_url = f"/api/v1/crm/customer/{customer['id']}"
    before = ok(anna.get(opportunity_url))
    assert (before["end_status"], Decimal(before["win_probability"]), before["closed_date"]) == (
        "open",
        80,
        None,
    )
    base = approved_contract(company, anna, lead_a, customer, opportunity, "汽配 MES 合同")
    assert (ok(anna.get(customer_url))["deal_status"], ok(anna.get(opportunity_url))["end_status"]) == (
        "deal", "won"
    )  # fmt: skip
    [plan] = ok(anna.get("/api/v1/crm/receivable_plan?contract.name=汽配 MES 合同"))["items"]
    assert anna.patch(base, json={"amount": "28000"}).status_code == 409  # approved: locked

    assert lead_a.post(f"{base}/flow/revoke", json={"comment": "客户取消"}).status_code == 403
    asked = ok(anna.post(f"{base}/flow/revoke", json={"comment": "客户取消采购"}))
    assert asked["status"] == "revoking"
    assert ok(anna.get(base))["status"] == "effective"  # in effect until the manager agrees
    [task] = ok(lead_a.get("/api/v1/tasks?box=todo"))["items"]
    assert (task["kind"], task["node"]) == ("revoke", "manager")
    done = ok(lead_a.post(f"{base}/flow/approve", json={"comment": "同意撤销"}))
    assert done["status"] == "revoked"

    contract = ok(anna.get(base))
    assert (contract["flow_status"], contract["status"]) == ("revoked", "not_effective")
    customer = ok(anna.get(customer_url))
    assert (customer["deal_status"], customer["deal_time"]) == ("not_deal", None)
    assert Decimal(customer["contract_total"] or 0) == 0
    after = ok(anna.get(opportunity_url))
    assert (after["end_status"], Decimal(after["win_probability"]), after["closed_date"]) == (
        "open",
        80,
        None,
    )
    assert ok(anna.get(f"/api/v1/crm/receivable_plan/{plan['id']}"))["status"] == "voided"
    assert ok(anna.patch(base, json={"amount": "28000"}))["amount"] == "28000.00"  # editable again
    assert ok(anna.post(f"{base}/flow/submit", json={}))["status"] == "running"


def test_revoking_one_of_two_contracts_leaves_the_customer_dealt(company) -> None:
    ok = company.ok
    anna, lead_a = company.client("anna"), company.client("lead_a")
    customer = company.customer(anna, "宁波海港物流", telephone="0574-88881234")
    first = approved_contract(company, anna, lead_a, customer, None, "年度运输服务")
    approved_contract(company, anna, lead_a, customer, None, "仓储服务")
    ok(anna.post(f"{first}/flow/revoke", json={"comment": "重复签约"}))
    ok(lead_a.post(f"{first}/flow/approve", json={}))
    customer = ok(anna.get(f"/api/v1/crm/customer/{customer['id']}"))
    assert (customer["deal_status"], Decimal(customer["contract_total"])) == ("deal", 30000)
