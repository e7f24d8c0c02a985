"""Lists and child rows on a 375 px phone in Chromium, in Chinese: no list page of the builtin
apps scrolls sideways or logs a console error; the customer list is cards and 加载更多 appends
the next ones; record pages and the form with expense lines keep their child rows inside the
screen. Screenshots at 375 and 1280 px: ``phone-lists-<width>-*.png``."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page
from playwright.sync_api import expect

from loom.platform.actor import SYSTEM

from .conftest import DESKTOP
from .conftest import VIEWPORTS
from .conftest import catalog
from .test_accessibility import LOW_CONTRAST

pytestmark = pytest.mark.browser
PHONE = VIEWPORTS["phone"]
# The page itself scrolls sideways: what the 375 px customer list did.
SIDEWAYS = "() => document.scrollingElement.scrollWidth - document.scrollingElement.clientWidth"
TRADES = (
    "云织科技",
    "港务物流",
    "精密机械",
    "新材料",
    "数字营销",
    "医疗器械",
    "跨境电商",
    "智能制造",
    "绿色能源",
)
CUSTOMERS = [f"{city}{trade}有限公司" for city in ("杭州", "宁波", "温州") for trade in TRADES]
LINES = (
    ("2", "86.50", "杭州东站至客户园区往返出租车"),
    ("3", "1280", "拜访宁波港务高铁二等座"),
    ("4", "45", "地铁"),
)
TERMS = (("2026-12-31", "300000", "合同签订后首付款"), ("2027-03-31", "200000", "验收合格后尾款"))


class PhonePages:
    """The pages this file looks at, seeded once per server: customers beyond a page, an
    expense claim with three lines, a contract with two instalments."""

    def __init__(self, portal) -> None:
        self.portal = portal
        records = portal.services().records
        customers = [
            records.create("crm.customer", {"name": name, "level": "ABC"[i % 3]}, SYSTEM)
            for i, name in enumerate(CUSTOMERS)
        ]
        category = records.create(
            "oa.expense_category", {"name": "市内交通费", "code": "TAXI", "active": True}, SYSTEM
        )
        lines = [
            {
                "expense_date": f"2026-11-0{day}",
                "category": category["id"],
                "amount": amount,
                "description": text,
            }
            for day, amount, text in LINES
        ]
        claim = {
            "title": "十一月杭州宁波客户拜访交通费报销",
            "claimant": portal.users["emma"],
            "category": "daily",
        }
        self.claim = records.create("oa.expense_claim", {**claim, "lines": lines}, SYSTEM)
        terms = [
            {"period": i + 1, "amount": amount, "due_date": day, "remark": text}
            for i, (day, amount, text) in enumerate(TERMS)
        ]
        contract = {
            "name": "云织科技智能排产系统实施合同",
            "customer": customers[0]["id"],
            "amount": "500000",
        }
        self.contract = records.create("crm.contract", {**contract, "payment_terms": terms}, SYSTEM)

    def open(self, sign_in: Callable[..., Page], viewport: dict) -> tuple[Page, list[str]]:
        """root's page at ``viewport`` in Chinese, and the console errors it will log."""
        page = sign_in("root", viewport, lang="zh")
        errors: list[str] = []
        page.on("console", lambda m: errors.append(f"{page.url}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(f"{page.url}: {e}"))
        return page, errors

    def visit(self, page: Page, path: str) -> None:
        """Open ``path``; the page must not scroll sideways."""
        page.goto(f"{self.portal.url}{path}")
        page.wait_for_load_state("load")
        assert page.evaluate(SIDEWAYS) <= 0, path


@pytest.fixture(scope="module")
def pages(portal) -> PhonePages:
    return PhonePages(portal)


def test_no_list_page_scrolls_sideways_on_a_phone(pages, sign_in) -> None:
    page, errors = pages.open(sign_in, PHONE)
    lists = sorted((e for e in catalog().entities.values() if not e.child), key=lambda e: e.qualified_name)
    assert len(lists) > 40
    for entity in lists:
        pages.visit(page, f"/{entity.app}/{entity.name}")
    for path in (f"/oa/expense_claim/{pages.claim['id']}", f"/crm/contract/{pages.contract['id']}"):
        pages.visit(page, path)
        child = page.locator(".loom-child").first
        expect(child).to_be_visible()
        assert child.locator("th").first.evaluate("th => getComputedStyle(th).whiteSpace") == "nowrap"
    pages.visit(page, "/oa/expense_claim/new")
    assert errors == []


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["375", "1280"])
def test_customers_are_cards_on_a_phone_and_child_rows_fit(pages, sign_in, shoot, viewport) -> None:
    page, errors = pages.open(sign_in, viewport)
    shot = f"phone-lists-{viewport['width']}"
    phone = viewport is PHONE
    pages.visit(page, "/crm/customer?sort=name")
    cards, table = page.locator("#list-cards .loom-row-card"), page.locator("table.loom-list")
    if phone:
        expect(table).to_be_hidden()
        expect(cards).to_have_count(20)
        first = cards.first.bounding_box()
        assert first["height"] >= 44 and first["width"] <= PHONE["width"]
        expect(cards.first.locator(".loom-chip")).to_have_text("未成交")
        shoot(page, f"{shot}-01-customers")
        page.locator("#list-more").click()
        expect(cards).to_have_count(len(CUSTOMERS))
        expect(page.locator("#list-more")).to_have_count(0)
        expect(cards.nth(20)).to_be_focused()  # the keyboard goes on where the new cards begin
        assert page.evaluate(LOW_CONTRAST) == []  # chips and labels included
        names = cards.locator(".loom-row-title").all_inner_texts()
        assert sorted(names) == sorted(CUSTOMERS)  # the next rows, none twice
        assert page.evaluate(SIDEWAYS) <= 0
        # The filters fold under one button, so the first screen shows records.
        expect(page.locator("#filter-level")).to_be_hidden()
        page.click("#toggle-filters")
        expect(page.locator("#filter-level")).to_be_visible()
        page.select_option("#filter-level", "A")
        page.click("#apply-filters")
        expect(cards).to_have_count(len(CUSTOMERS) // 3)
        expect(page.locator("#filter-level")).to_be_visible()  # a filter in use stays in sight
        expect(page.locator("#toggle-filters .badge")).to_have_text("1")
        shoot(page, f"{shot}-06-customers-filtered")
    else:
        expect(page.locator("#list-cards")).to_be_hidden()
        expect(table.locator("tbody tr")).to_have_count(20)
        heights = table.locator("thead th").evaluate_all(
            "ths => ths.map(th => th.getBoundingClientRect().height)"
        )
        assert max(heights) < 2 * min(heights)  # headers on one line
        shoot(page, f"{shot}-01-customers")
    pages.visit(page, "/oa/expense_claim")
    shoot(page, f"{shot}-02-expense-claims")
    pages.visit(page, f"/oa/expense_claim/{pages.claim['id']}")
    expect(page.locator("table[data-child=lines] tbody tr")).to_have_count(3)
    shoot(page, f"{shot}-03-expense-claim")
    pages.visit(page, f"/crm/contract/{pages.contract['id']}")
    shoot(page, f"{shot}-04-contract")
    pages.visit(page, f"/oa/expense_claim/{pages.claim['id']}/edit")
    expect(page.locator("[data-grid=lines] tr[data-row]")).to_have_count(3)
    assert page.evaluate(SIDEWAYS) <= 0
    shoot(page, f"{shot}-05-form-with-lines")
    assert errors == []
