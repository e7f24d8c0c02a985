"""Purchases: the office checks stock, finance the budget, and above 10,000 the general manager decides."""

from __future__ import annotations


def purchase(company, price: str) -> dict:
    zhang = company.login("zhang")
    request = zhang.create(
        "purchase_request",
        {
            "purchase_type": "it_equipment",
            "reason": "新员工入职配置电脑",
            "items": [
                {
                    "item_name": "笔记本电脑",
                    "spec": "14 英寸",
                    "unit": "台",
                    "quantity": "2",
                    "est_unit_price": price,
                }
            ],
        },
    )
    zhang.flow("purchase_request", request["id"], "submit")
    return request


def test_a_purchase_over_10000_reaches_the_general_manager(company) -> None:
    request = purchase(company, "6500")
    assert request["total_amount"] == "13000.00"
    for login in ("lead", "office", "li"):
        summary = company.login(login).flow("purchase_request", request["id"], "approve")
    assert company.pending(summary) == ["gm"]
    summary = company.login("gm").flow("purchase_request", request["id"], "approve")
    assert summary["status"] == "approved"
    assert [node for node, _ in company.approvers(summary)] == [
        "department_head",
        "admin_office",
        "finance",
        "general_manager",
    ]


def test_a_purchase_within_budget_and_10000_ends_with_finance(company) -> None:
    request = purchase(company, "4000")
    for login in ("lead", "office", "li"):
        summary = company.login(login).flow("purchase_request", request["id"], "approve")
    assert summary["status"] == "approved"
    assert "gm" not in [login for _, login in company.approvers(summary)]
