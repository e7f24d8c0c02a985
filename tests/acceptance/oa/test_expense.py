"""Expense claims: finance director above 5,000, the cashier pays, invoices and category caps hold."""

from __future__ import annotations


def categories(person) -> dict[str, int]:
    return {c["code"]: c["id"] for c in person.get("expense_category", page_size=50)["items"]}


def line(category: int, amount: str, invoice: str) -> dict:
    return {"expense_date": "2026-11-20", "category": category, "amount": amount, "invoice_no": invoice}


def test_an_8000_claim_with_three_lines_reaches_the_finance_director_and_the_cashier(company) -> None:
    zhang = company.login("zhang")
    kinds = categories(zhang)
    claim = zhang.create(
        "expense_claim",
        {
            "title": "华东区客户交流会",
            "category": "daily",
            "attachments": [zhang.upload("发票.pdf")],  # the form requires them over 1000
            "lines": [
                line(kinds["transport"], "3000", "INV-0001"),
                line(kinds["lodging"], "900", "INV-0002"),
                line(kinds["meeting"], "4100", "INV-0003"),
            ],
        },
    )
    assert claim["total"] == "8000.00"
    zhang.flow("expense_claim", claim["id"], "submit")
    for login in ("lead", "sales_head", "li", "fin_dir"):
        summary = company.login(login).flow("expense_claim", claim["id"], "approve")
    assert company.pending(summary) == ["sun"]
    summary = company.login("sun").flow(
        "expense_claim", claim["id"], "approve", values={"paid_on": "2026-11-26"}
    )

    assert summary["status"] == "approved"
    assert company.approvers(summary) == [
        ("manager", "lead"),
        ("department_head", "sales_head"),
        ("finance", "li"),
        ("finance_director", "fin_dir"),
        ("cashier", "sun"),
    ]
    assert zhang.get(f"expense_claim/{claim['id']}")["paid_on"] == "2026-11-26"


def test_a_600_claim_does_not_reach_the_finance_director(company) -> None:
    zhang = company.login("zhang")
    kinds = categories(zhang)
    claim = zhang.create(
        "expense_claim",
        {
            "title": "客户拜访",
            "lines": [line(kinds["meals"], "200", "INV-0101"), line(kinds["transport"], "400", "INV-0102")],
        },
    )
    zhang.flow("expense_claim", claim["id"], "submit")
    for login in ("lead", "sales_head", "li"):
        summary = company.login(login).flow("expense_claim", claim["id"], "approve")
    assert company.pending(summary) == ["sun"]
    summary = company.login("sun").flow("expense_claim", claim["id"], "approve")
    assert summary["status"] == "approved"
    assert "fin_dir" not in [login for _, login in company.approvers(summary)]


def test_an_invoice_is_claimed_once_and_a_line_keeps_to_its_category_cap(company) -> None:
    zhang = company.login("zhang")
    kinds = categories(zhang)
    zhang.create("expense_claim", {"title": "打车", "lines": [line(kinds["transport"], "80", "INV-0201")]})
    twice = zhang.refused(
        "expense_claim", {"title": "又打车", "lines": [line(kinds["transport"], "80", "INV-0201")]}
    )
    assert [(e["field"], e["code"]) for e in twice["errors"]] == [("lines.0.invoice_no", "unique")]
    lodging = zhang.refused(
        "expense_claim",
        {
            "title": "住宿",
            "lines": [line(kinds["lodging"], "1200", "INV-0202")],
            "attachments": [zhang.upload("住宿发票.pdf")],
        },
    )
    assert [(e["field"], e["code"]) for e in lodging["errors"]] == [("lines.0.category", "link_filtered")]


THRESHOLD = """\
kind: overlay
name: finance_director_from_10000
label: {zh: 财务总监审批起点 10000 元, en: Finance director from 10000}
target: oa.expense_approval
target_kind: flow
patch:
  nodes:
    - name: by_amount
      branch:
        - {name: large_amount, label: {zh: 超过 10000 元, en: Over 10000}, when: "total > 10000.0"}
"""


def test_the_finance_director_threshold_is_a_flow_condition_a_site_can_change(company_with) -> None:
    company = company_with({"expense_threshold.yaml": THRESHOLD})
    zhang = company.login("zhang")
    kinds = categories(zhang)
    claim = zhang.create(
        "expense_claim",
        {
            "title": "培训",
            "lines": [line(kinds["training"], "8000", "INV-0401")],
            "attachments": [zhang.upload("培训发票.pdf")],
        },
    )
    zhang.flow("expense_claim", claim["id"], "submit")
    for login in ("lead", "sales_head", "li"):
        summary = company.login(login).flow("expense_claim", claim["id"], "approve")
    assert company.pending(summary) == ["sun"]


def test_a_claim_over_1000_needs_its_invoices_attached_on_every_path(company) -> None:
    zhang = company.login("zhang")
    kinds = categories(zhang)
    refused = zhang.refused(
        "expense_claim", {"title": "会议", "lines": [line(kinds["meeting"], "1500", "INV-0501")]}
    )
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("attachments", "required")]


def test_the_approved_amounts_are_the_finance_steps_to_fill_and_add_up_to_the_approved_total(company) -> None:
    zhang = company.login("zhang")
    kinds = categories(zhang)
    lines = [line(kinds["meals"], "300", "INV-0601"), line(kinds["transport"], "200", "INV-0602")]
    refused = zhang.refused(
        "expense_claim", {"title": "客户午餐", "lines": [{**lines[0], "approved_amount": "300"}]}
    )
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("lines.0.approved_amount", "readonly")]
    claim = zhang.create("expense_claim", {"title": "客户午餐", "lines": lines})
    assert (claim["total"], claim["approved_total"], claim["payable"]) == ("500.00", None, "500.00")
    rows = claim["lines"]
    changed = zhang.client.patch(
        f"/api/v1/oa/expense_claim/{claim['id']}",
        json={"version": claim["version"], "lines": [rows[0], {**rows[1], "approved_amount": "150"}]},
    )
    assert changed.status_code == 422, changed.get_json()
    assert [(e["field"], e["code"]) for e in changed.get_json()["errors"]] == [
        ("lines.1.approved_amount", "readonly")
    ]

    zhang.flow("expense_claim", claim["id"], "submit")
    for login in ("lead", "sales_head"):
        company.login(login).flow("expense_claim", claim["id"], "approve")
    reviewed = [{**rows[0], "approved_amount": "300"}, {**rows[1], "approved_amount": "150"}]
    company.login("li").flow("expense_claim", claim["id"], "approve", values={"lines": reviewed})
    seen = zhang.get(f"expense_claim/{claim['id']}")
    assert [r["approved_amount"] for r in seen["lines"]] == ["300.00", "150.00"]
    assert (seen["total"], seen["approved_total"], seen["payable"]) == ("500.00", "450.00", "450.00")

    # Returned by the cashier, the claimant corrects a line: the approved amounts stay finance's.
    company.login("sun").flow("expense_claim", claim["id"], "return", comment="请补充说明")
    returned = zhang.get(f"expense_claim/{claim['id']}")
    kept = [{k: v for k, v in r.items() if k != "approved_amount"} for r in returned["lines"]]
    kept[1]["description"] = "机场往返"
    response = zhang.client.patch(
        f"/api/v1/oa/expense_claim/{claim['id']}", json={"version": returned["version"], "lines": kept}
    )
    assert response.status_code == 200, response.get_json()
    corrected = response.get_json()
    assert [r["approved_amount"] for r in corrected["lines"]] == ["300.00", "150.00"]
    assert corrected["lines"][1]["description"] == "机场往返" and corrected["approved_total"] == "450.00"
