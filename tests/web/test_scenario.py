"""The approval scenario of issue #8 in a real browser, on a desktop and on a 375 px phone:
an employee fills an expense claim with three lines (totals update live), hits a validation
error and fixes it without retyping, submits; the manager approves from the inbox with a
comment; finance approves; the employee sees the claim approved with its timeline."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
LINES = [("2026-11-02", "300"), ("2026-11-03", "400.50"), ("2026-11-04", "500")]


def open_menu(page: Page) -> None:
    """On a phone the navigation sits behind the menu button."""
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible():
        toggler.click()
        expect(page.locator("#nav-main")).to_be_visible()


def fits(page: Page) -> None:
    """Nothing makes the page wider than the screen (wide tables scroll inside their own box),
    once its style sheets have loaded: a page reached by a click may be in the DOM before them."""
    page.wait_for_load_state()
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, page.url


def fill_claim(page: Page, portal, shot: str, shoot) -> None:
    page.goto(f"{portal.url}/webtest/expense/new")
    page.fill("#f-title", "去上海拜访客户 <b>A</b>")
    for index, (day, amount) in enumerate(LINES):
        if index:
            page.click("[data-grid=lines] [data-add-row]")
        page.fill(f"#f-lines-{index}-day", day)
        page.fill(f"#f-lines-{index}-amount", amount)
        page.fill(f"#f-lines-{index}-note", f"line {index + 1}")
    # Computed values come from the server as the user types: each row's, the columns' that
    # declare a total (the computed 含税 column's too), the claim's total.
    expect(page.locator('[data-computed="lines-2-with_tax"]')).to_have_text("¥530.00")
    expect(page.locator('[data-total="lines-amount"]')).to_have_text("¥1,200.50")
    expect(page.locator('[data-total="lines-with_tax"]')).to_have_text("¥1,272.53")
    expect(page.locator('[data-total="lines-note"]')).to_have_count(0)
    expect(page.locator('[data-computed="total"]')).to_have_text("¥1,200.50")
    # Over 1000 the details become required (a form condition, evaluated on the server).
    expect(page.locator("[data-field=reason]")).to_have_class(re.compile(r"\bis-required\b"))
    # Entertainment shows (and requires) the guest company and locks the payee; travel undoes both.
    expect(page.locator("[data-field=guest_company]")).to_be_hidden()
    page.fill("#f-payee", "Emma")
    page.select_option("#f-category", "entertainment")
    expect(page.locator("[data-field=guest_company]")).to_be_visible()
    expect(page.locator("[data-field=guest_company]")).to_have_class(re.compile(r"\bis-required\b"))
    expect(page.locator("#f-payee")).not_to_be_editable()
    page.select_option("#f-category", "travel")
    expect(page.locator("[data-field=guest_company]")).to_be_hidden()
    expect(page.locator("#f-payee")).to_be_editable()
    shoot(page, f"{shot}-02-form")
    fits(page)


def test_expense_claim_from_draft_to_approved(sign_in, shoot, portal, viewport: dict) -> None:
    shot = "phone" if viewport["width"] < 576 else "desktop"
    lang = "zh" if shot == "phone" else "en"  # the phone runs in Chinese, the default language
    emma = sign_in("emma", viewport, lang)
    shoot(emma, f"{shot}-01-home")
    fits(emma)
    fill_claim(emma, portal, shot, shoot)

    emma.click("#save")
    # The details are missing: the same page comes back with the error and every value kept.
    expect(emma.locator("#err-reason")).to_be_visible()
    expect(emma.locator("#form-errors")).to_be_visible()
    expect(emma.locator("#f-title")).to_have_value("去上海拜访客户 <b>A</b>")
    for index, (day, amount) in enumerate(LINES):
        expect(emma.locator(f"#f-lines-{index}-day")).to_have_value(day)
        expect(emma.locator(f"#f-lines-{index}-amount")).to_have_value(amount)
    expect(emma.locator('[data-computed="total"]')).to_have_text("¥1,200.50")
    shoot(emma, f"{shot}-03-validation-error")
    fits(emma)
    emma.fill("#f-reason", "客户拜访：差旅与餐费")
    emma.click("#save")

    expect(emma.locator("#flow-status")).to_have_attribute("data-status", "draft")
    expect(emma.locator("table[data-child=lines] tbody tr")).to_have_count(3)
    expect(emma.locator('table[data-child=lines] [data-total="lines-with_tax"]')).to_have_text("¥1,272.53")
    record_url = emma.url
    shoot(emma, f"{shot}-04-record")
    fits(emma)
    emma.click("#flow-submit")
    expect(emma.locator("#flow-status")).to_have_attribute("data-status", "in_approval")
    expect(emma.locator("#edit-record")).to_have_count(0)

    mona = sign_in("mona", viewport, lang)
    open_menu(mona)
    expect(mona.locator("#nav-inbox .badge")).to_have_text("1")
    mona.click("#nav-inbox")
    # The card says who asks for what, in one line what it is, at which step and since when.
    card = mona.locator("#inbox-items a[data-record]")
    asked = {"en": "Emma's Expense", "zh": "Emma提交的报销单"}[lang]
    expect(card.locator("[data-asked]")).to_have_text(asked)
    expect(card.locator(".loom-summary")).to_have_text(
        {"en": "Travel ¥1,200.50 · payee Emma", "zh": "差旅 ¥1,200.50 · 收款人 Emma"}[lang]
    )
    expect(card.locator(".loom-avatar")).to_have_text("E")
    shoot(mona, f"{shot}-05-manager-inbox")
    fits(mona)
    mona.click("#inbox-items a[data-record]")
    mona.fill("#flow-comment-text", "同意，注意控制招待费用")
    shoot(mona, f"{shot}-06-manager-record")
    fits(mona)
    mona.click("#flow-approve")
    expect(mona.locator("#timeline [data-event=approve]")).to_have_count(1)

    fin = sign_in("fin", viewport, lang)
    fin.goto(f"{portal.url}/inbox")
    fin.click("#inbox-items a[data-record]")
    fin.click("#flow-approve")
    expect(fin.locator("#flow-status")).to_have_attribute("data-status", "approved")

    emma.goto(record_url)
    expect(emma.locator("#flow-status")).to_have_attribute("data-status", "approved")
    expect(emma.locator("#flow-status")).to_have_text({"en": "Approved", "zh": "已通过"}[lang])
    expect(emma.locator("#timeline [data-event=approve]")).to_have_count(2)
    expect(emma.locator("#timeline [data-comment]")).to_contain_text(["同意，注意控制招待费用"])
    expect(emma.locator("#timeline [data-event=approve] [data-node]").first).to_have_text(
        {"en": "Manager", "zh": "直属上级"}[lang]
    )
    shoot(emma, f"{shot}-07-approved")
    fits(emma)
    emma.goto(f"{portal.url}/inbox?box=started")
    expect(emma.locator("#inbox-items a[data-record]").first).to_be_visible()
    shoot(emma, f"{shot}-08-started-by-me")
    fits(emma)
    emma.goto(f"{portal.url}/webtest/expense?flow_status=approved")
    expect(emma.locator(".loom-list tbody tr").first).to_contain_text("去上海拜访客户")
    shoot(emma, f"{shot}-09-list")
    fits(emma)
