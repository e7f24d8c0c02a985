"""Finance's review in a real browser, in Chinese on a desktop and on a 375 px phone: the
claimant's form shows 核定金额 read-only; finance fills it in the approval panel of its task and
approves; the record page then totals the approved amounts under the lines, the same number as
核定总金额. Screenshots: ``step-<width>-*.png``."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .test_scenario import fits

pytestmark = pytest.mark.browser
CLAIM = "oa.expense_claim"


def test_finance_fills_the_approved_amounts_in_its_approval_panel(sign_in, portal, shoot, viewport) -> None:
    shot = f"step-{viewport['width']}"
    services = portal.services()
    with services.runtime.engine.connect() as conn:
        emma, mona, root = (services.identity.actor(conn, portal.users[u]) for u in ("emma", "mona", "root"))
    meals = services.records.create("oa.expense_category", {"name": f"餐费{shot}", "code": f"m{shot}"}, root)
    lines = [
        {"expense_date": "2026-11-20", "category": meals["id"], "amount": "300", "invoice_no": f"{shot}-1"},
        {"expense_date": "2026-11-21", "category": meals["id"], "amount": "200", "invoice_no": f"{shot}-2"},
    ]
    claim = services.records.create(CLAIM, {"title": "客户午餐", "lines": lines}, emma)
    claimant = sign_in("emma", viewport, lang="zh")
    claimant.goto(f"{portal.url}/oa/expense_claim/{claim['id']}/edit")
    expect(claimant.locator("#f-lines-0-approved_amount")).not_to_be_editable()
    expect(claimant.locator("#f-lines-0-amount")).to_be_editable()
    services.flows.submit(CLAIM, claim["id"], emma)
    services.flows.act(CLAIM, claim["id"], mona, "approve", {})

    page = sign_in("fin", viewport, lang="zh")
    page.goto(f"{portal.url}/oa/expense_claim/{claim['id']}")
    panel = page.locator("#step-fields")
    expect(panel.locator("legend").first).to_have_text("本步骤填写")
    page.fill("#f-lines-0-approved_amount", "300")
    page.fill("#f-lines-1-approved_amount", "150")
    shoot(page, f"{shot}-01-panel")
    fits(page)
    page.click("#flow-approve")
    expect(page.locator(".alert-success")).to_be_visible()

    claimant.goto(f"{portal.url}/oa/expense_claim/{claim['id']}")
    expect(claimant.locator('[data-total="lines-approved_amount"]')).to_have_text("¥450.00")
    expect(claimant.locator('[data-total="lines-amount"]')).to_have_text("¥500.00")
    expect(claimant.locator('[data-value="approved_total"]')).to_have_text("¥450.00")
    shoot(claimant, f"{shot}-02-reviewed")
