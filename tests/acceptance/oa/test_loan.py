"""Loans: paid out by the cashier, then offset by an approved expense claim."""

from __future__ import annotations


def test_an_expense_claim_offsets_an_approved_loan(company) -> None:
    zhang = company.login("zhang")
    loan = zhang.create("loan_request", {"loan_type": "petty_cash", "reason": "展会备用金", "amount": "3000"})
    zhang.flow("loan_request", loan["id"], "submit")
    for login in ("lead", "li"):
        summary = company.login(login).flow("loan_request", loan["id"], "approve")
    assert company.pending(summary) == ["sun"]  # 3,000 does not need the finance director
    company.login("sun").flow("loan_request", loan["id"], "approve", values={"paid_on": "2026-11-20"})

    meeting = zhang.get("expense_category", code="meeting")["items"][0]["id"]
    line = {"expense_date": "2026-11-25", "category": meeting, "amount": "1200", "invoice_no": "INV-0301"}
    claim = zhang.create(
        "expense_claim",
        {
            "title": "展会场地费",
            "lines": [line],
            "loan": loan["id"],
            "loan_offset": "1000",
            "attachments": [zhang.upload("场地费发票.pdf")],  # required over 1000
        },
    )
    assert claim["payable"] == "200.00"
    zhang.flow("expense_claim", claim["id"], "submit")
    for login in ("lead", "sales_head", "li", "sun"):
        summary = company.login(login).flow("expense_claim", claim["id"], "approve")
    assert summary["status"] == "approved"
    repaid = zhang.get(f"loan_request/{loan['id']}")
    assert (repaid["repaid_amount"], repaid["outstanding"]) == ("1000.00", "2000.00")
