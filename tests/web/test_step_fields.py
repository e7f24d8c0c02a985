"""An approval step's editable fields in the record page's approval panel, through the HTTP
client: OA's finance review fills the approved amounts (核定金额) as it approves, which no one
else may write; the manager's step has nothing to fill."""

from __future__ import annotations

import re

from .test_pages import actor
from .test_pages import sign_in

CLAIM = "oa.expense_claim"


def submitted_claim(app) -> dict:
    services = app.extensions["loom"]
    meals = services.records.create(
        "oa.expense_category", {"name": "餐费", "code": "meals"}, actor(app, "root")
    )
    lines = [
        {"expense_date": "2026-11-20", "category": meals["id"], "amount": "300", "invoice_no": "INV-1"},
        {"expense_date": "2026-11-21", "category": meals["id"], "amount": "200", "invoice_no": "INV-2"},
    ]
    claim = services.records.create(CLAIM, {"title": "客户午餐", "lines": lines}, actor(app, "emma"))
    services.flows.submit(CLAIM, claim["id"], actor(app, "emma"))
    return claim


def test_finance_fills_the_approved_amounts_as_it_approves(app) -> None:
    services = app.extensions["loom"]
    claim = submitted_claim(app)
    manager_page = sign_in(app, "mona").get(f"/oa/expense_claim/{claim['id']}").text
    assert 'id="flow-approve"' in manager_page and 'id="step-fields"' not in manager_page
    services.flows.act(CLAIM, claim["id"], actor(app, "mona"), "approve", {})

    fin = sign_in(app, "fin", "zh")
    page = fin.get(f"/oa/expense_claim/{claim['id']}").text
    assert 'id="step-fields"' in page and "本步骤填写" in page
    approved = re.search(r'<input[^>]*id="f-lines-1-approved_amount"[^>]*>', page).group(0)
    assert "readonly" not in approved
    rows = services.records.get(CLAIM, claim["id"], actor(app, "fin"))["lines"]
    posted = {"csrf_token": fin.csrf, "_step": "1", "comment": "餐费核减"}
    for index, row in enumerate(rows):
        for name in ("id", "expense_date", "category", "amount", "invoice_type", "invoice_no"):
            posted[f"lines-{index}-{name}"] = str(row[name])
    posted["lines-0-approved_amount"] = "300"
    posted["lines-1-approved_amount"] = "150"
    response = fin.post(f"/oa/expense_claim/{claim['id']}/flow/approve", data=posted)
    assert response.status_code == 302
    reviewed = services.records.get(CLAIM, claim["id"], actor(app, "emma"))
    assert [str(r["approved_amount"]) for r in reviewed["lines"]] == ["300.00", "150.00"]
    assert [r["id"] for r in reviewed["lines"]] == [r["id"] for r in rows]  # the same rows, updated
    assert str(reviewed["approved_total"]) == "450.00"
    record_page = sign_in(app, "emma").get(f"/oa/expense_claim/{claim['id']}").text
    assert re.search(r'data-total="lines-approved_amount">¥450\.00<', record_page)


def test_an_approved_amount_above_the_claimed_one_is_refused_and_nothing_is_approved(app) -> None:
    services = app.extensions["loom"]
    claim = submitted_claim(app)
    services.flows.act(CLAIM, claim["id"], actor(app, "mona"), "approve", {})
    fin = sign_in(app, "fin", "zh")
    rows = services.records.get(CLAIM, claim["id"], actor(app, "fin"))["lines"]
    posted = {"csrf_token": fin.csrf, "_step": "1"}
    for index, row in enumerate(rows):
        for name in ("id", "expense_date", "category", "amount", "invoice_no"):
            posted[f"lines-{index}-{name}"] = str(row[name])
    posted["lines-1-approved_amount"] = "999"
    response = fin.post(f"/oa/expense_claim/{claim['id']}/flow/approve", data=posted, follow_redirects=True)
    assert "核定金额不能超过申报金额" in response.text
    summary = services.flows.latest_summary(CLAIM, claim["id"])
    assert [t["node"] for t in summary["tasks"] if t["status"] == "pending"] == ["finance"]
    assert services.records.get(CLAIM, claim["id"], actor(app, "emma"))["lines"][1]["approved_amount"] is None
