"""From lead to cash: a lead is converted, the opportunity walks its stages, the contract is approved
by the right people, and approval closes the deal and plans the receivables."""

from __future__ import annotations

from decimal import Decimal


def test_lead_to_contract_to_received_money(company) -> None:
    ok = company.ok
    anna, lead_a, fina, lily, gm = (company.client(n) for n in ("anna", "lead_a", "fina", "lily", "gm"))
    standard = company.seed_id(anna, "opportunity_stage_group", "standard")
    stages = {
        code: company.seed_id(anna, "opportunity_stage", f"standard_{code}")
        for code in ("qualification", "needs", "proposal", "negotiation", "closing")
    }

    lead = ok(anna.post("/api/v1/crm/lead", json={
        "name": "杭州星辰科技有限公司", "contact_name": "周明", "post": "采购经理", "mobile": "13800001111",
        "source": "referral", "industry": "it", "level": "A",
    }), 201)  # fmt: skip
    offered = ok(anna.get(f"/api/v1/crm/lead/{lead['id']}/buttons"))
    assert "crm.convert_lead" in [b["name"] for b in offered["items"]]
    ok(anna.post(f"/api/v1/crm/lead/{lead['id']}/buttons/crm.convert_lead", json={
        "opportunity_name": "星辰科技 ERP 项目", "amount": "200000", "stage_group": standard,
        "stage": stages["qualification"],
    }))  # fmt: skip
    lead = ok(anna.get(f"/api/v1/crm/lead/{lead['id']}"))
    assert lead["converted"] is True and lead["customer"] is not None
    customer = ok(anna.get(f"/api/v1/crm/customer/{lead['customer']}"))
    assert (customer["name"], customer["owner_user"], customer["acquired_by"]) == (
        "杭州星辰科技有限公司",
        company.users["anna"],
        "converted",
    )
    contact = ok(anna.get(f"/api/v1/crm/contact/{customer['primary_contact']}"))
    assert (contact["name"], contact["mobile"]) == ("周明", "13800001111")
    [opportunity] = ok(anna.get("/api/v1/crm/opportunity?customer.name=杭州星辰科技有限公司"))["items"]
    assert opportunity["lead"] == lead["id"] and opportunity["end_status"] == "open"
    assert Decimal(opportunity["win_probability"]) == 10  # the stage's
    offered = ok(anna.get(f"/api/v1/crm/lead/{lead['id']}/buttons"))["items"]
    assert "crm.convert_lead" not in [b["name"] for b in offered]

    url = f"/api/v1/crm/opportunity/{opportunity['id']}"
    for code, probability in (("needs", 30), ("proposal", 50), ("negotiation", 70), ("closing", 90)):
        moved = ok(anna.patch(url, json={"stage": stages[code]}))
        assert (moved["stage"], Decimal(moved["win_probability"])) == (stages[code], probability)
    assert Decimal(ok(anna.get(url))["weighted_amount"]) == Decimal("180000")
    moves = anna.get("/api/v1/crm/stage_change?opportunity.name=星辰科技 ERP 项目&sort=changed_at")
    moves = ok(moves)["items"]
    assert [(m["from_stage"], m["to_stage"]) for m in moves] == [
        (stages["qualification"], stages["needs"]), (stages["needs"], stages["proposal"]),
        (stages["proposal"], stages["negotiation"]), (stages["negotiation"], stages["closing"]),
    ]  # fmt: skip

    contract = ok(anna.post("/api/v1/crm/contract", json={
        "name": "星辰科技 ERP 实施合同", "customer": customer["id"], "opportunity": opportunity["id"],
        "amount": "150000", "discount_rate": "25", "order_date": "2026-11-20", "end_date": "2027-11-19",
        "payment_terms": [
            {"period": 1, "amount": "90000", "due_date": "2026-12-20"},
            {"period": 2, "amount": "60000", "due_date": "2027-03-20"},
        ],
    }), 201)  # fmt: skip
    base = f"/api/v1/crm/contract/{contract['id']}"
    ok(anna.post(f"{base}/flow/submit", json={"comment": "请审批"}))
    ok(lead_a.post(f"{base}/flow/approve", json={"comment": "同意"}))
    assert ok(gm.get("/api/v1/tasks?box=todo"))["items"] == []  # the countersign comes first
    ok(fina.post(f"{base}/flow/approve", json={"comment": "折扣已核"}))
    ok(lily.post(f"{base}/flow/approve", json={"comment": "条款无异议"}))
    [task] = ok(gm.get("/api/v1/tasks?box=todo"))["items"]
    assert task["node"] == "general_manager"
    ok(gm.post(f"{base}/flow/approve", json={"comment": "同意签约"}))

    contract = ok(anna.get(base))
    assert (contract["flow_status"], contract["status"]) == ("approved", "effective")
    customer = ok(anna.get(f"/api/v1/crm/customer/{customer['id']}"))
    assert (customer["deal_status"], customer["deal_time"]) == ("deal", "2026-11-20")
    won = ok(anna.get(url))
    assert (won["end_status"], Decimal(won["win_probability"])) == ("won", Decimal("100"))
    plans = fina.get("/api/v1/crm/receivable_plan?contract.name=星辰科技 ERP 实施合同&sort=period")
    plans = ok(plans)["items"]
    assert [(p["period"], Decimal(p["planned_amount"]), p["planned_date"], p["status"]) for p in plans] == [
        (1, Decimal("90000"), "2026-12-20", "pending"),
        (2, Decimal("60000"), "2027-03-20", "pending"),
    ]
    assert ok(company.client("bert").get("/api/v1/crm/receivable_plan"))["items"] == []  # the other team

    too_much = {"customer": customer["id"], "contract": contract["id"], "amount": "150000.01"}
    refused = anna.post("/api/v1/crm/receivable", json=too_much)
    assert refused.status_code == 422
    assert refused.get_json()["errors"][0]["message"] == "回款金额不能超过合同的未回款金额"
    receivable = ok(anna.post("/api/v1/crm/receivable", json={
        "customer": customer["id"], "contract": contract["id"], "plan": plans[0]["id"],
        "amount": "90000", "received_date": "2026-11-25",
    }), 201)  # fmt: skip
    ok(anna.post(f"/api/v1/crm/receivable/{receivable['id']}/flow/submit", json={}))
    assert Decimal(ok(anna.get(base))["received_amount"] or 0) == 0  # not before finance confirms
    ok(fina.post(f"/api/v1/crm/receivable/{receivable['id']}/flow/approve", json={"comment": "已到账"}))
    contract = ok(anna.get(base))
    assert Decimal(contract["received_amount"]) == Decimal("90000")
    plan = ok(fina.get(f"/api/v1/crm/receivable_plan/{plans[0]['id']}"))
    assert (Decimal(plan["received_amount"]), plan["status"]) == (Decimal("90000"), "done")


def test_a_small_contract_stops_after_the_manager_and_voiding_it_undoes_the_deal(company) -> None:
    ok = company.ok
    anna, lead_a = company.client("anna"), company.client("lead_a")
    customer = {"name": "宁波海港物流", "telephone": "0574-88881234"}
    customer = ok(anna.post("/api/v1/crm/customer", json=customer), 201)
    contract = ok(anna.post("/api/v1/crm/contract", json={
        "name": "年度运输服务", "customer": customer["id"], "amount": "30000", "discount_rate": "5",
        "order_date": "2026-11-20",
    }), 201)  # fmt: skip
    base = f"/api/v1/crm/contract/{contract['id']}"
    ok(anna.post(f"{base}/flow/submit", json={}))
    ok(lead_a.post(f"{base}/flow/approve", json={}))
    assert ok(anna.get(base))["flow_status"] == "approved"
    [plan] = ok(anna.get("/api/v1/crm/receivable_plan?contract.name=年度运输服务"))["items"]
    assert Decimal(plan["planned_amount"]) == Decimal("30000") and plan["planned_date"] == "2026-12-20"
    assert ok(anna.get(f"/api/v1/crm/customer/{customer['id']}"))["deal_status"] == "deal"

    assert anna.post(f"{base}/buttons/crm.void_contract", json={"reason": "客户取消"}).status_code == 403
    voided = ok(lead_a.post(f"{base}/buttons/crm.void_contract", json={"reason": "客户取消订单"}))
    assert voided["status"] == "voided"
    assert ok(anna.get(f"/api/v1/crm/receivable_plan/{plan['id']}"))["status"] == "voided"
    assert ok(anna.get(f"/api/v1/crm/customer/{customer['id']}"))["deal_status"] == "not_deal"


def test_moving_to_the_lost_stage_closes_the_opportunity_as_lost(company) -> None:
    ok = company.ok
    anna = company.client("anna")
    group = company.seed_id(anna, "opportunity_stage_group", "quick")
    quote, lost = (company.seed_id(anna, "opportunity_stage", code) for code in ("quick_quote", "quick_lost"))
    customer = company.customer(anna, "台州汽配", telephone="0576-8777888")
    opportunity = ok(anna.post("/api/v1/crm/opportunity", json={
        "name": "汽配 MES", "customer": customer["id"], "stage_group": group, "stage": quote,
        "amount": "80000",
    }), 201)  # fmt: skip
    url = f"/api/v1/crm/opportunity/{opportunity['id']}"
    assert Decimal(ok(anna.get(url))["win_probability"]) == 80
    no_reason = anna.patch(url, json={"stage": lost})
    assert no_reason.status_code == 422 and no_reason.get_json()["errors"][0]["field"] == "lost_reason"
    closed = ok(anna.patch(url, json={"stage": lost, "lost_reason": "price"}))
    assert (closed["end_status"], Decimal(closed["win_probability"]), closed["closed_date"]) == (
        "lost", 0, company.clock.today().isoformat()
    )  # fmt: skip


def test_invoice_request_is_approved_and_issued_by_finance(company) -> None:
    ok = company.ok
    anna, lead_a, fina = company.client("anna"), company.client("lead_a"), company.client("fina")
    customer = company.customer(anna, "金华五金制品", telephone="0579-8333444")
    contract = ok(anna.post("/api/v1/crm/contract", json={
        "name": "五金配件供货", "customer": customer["id"], "amount": "50000", "order_date": "2026-11-02",
    }), 201)  # fmt: skip
    ok(anna.post(f"/api/v1/crm/contract/{contract['id']}/flow/submit", json={}))
    ok(lead_a.post(f"/api/v1/crm/contract/{contract['id']}/flow/approve", json={}))
    request = {
        "customer": customer["id"], "contract": contract["id"], "invoice_type": "vat_special",
        "title_type": "company", "invoice_title": "金华五金制品有限公司", "tax_number": "91330700MA2XXXXX1K",
        "bank_name": "中国银行金华分行", "bank_account": "3600 0000 0000 1234",
    }  # fmt: skip
    too_much = anna.post("/api/v1/crm/invoice", json={**request, "invoice_amount": "50000.01"})
    assert too_much.status_code == 422
    no_bank = anna.post("/api/v1/crm/invoice", json={**request, "invoice_amount": "100", "bank_name": None})
    assert no_bank.status_code == 422 and no_bank.get_json()["errors"][0]["field"] == "bank_account"
    invoice = ok(anna.post("/api/v1/crm/invoice", json={**request, "invoice_amount": "30000"}), 201)
    url = f"/api/v1/crm/invoice/{invoice['id']}"
    ok(anna.post(f"{url}/flow/submit", json={}))
    ok(lead_a.post(f"{url}/flow/approve", json={}))
    ok(
        fina.post(
            f"{url}/flow/approve", json={"values": {"invoice_no": "33001234", "logistics_no": "SF1234567890"}}
        )
    )
    issued = ok(anna.get(url))
    assert (issued["flow_status"], issued["invoice_status"], issued["invoice_no"]) == (
        "approved", "invoiced", "33001234"
    )  # fmt: skip
    assert Decimal(ok(anna.get(f"/api/v1/crm/contract/{contract['id']}"))["invoiced_amount"]) == 30000
