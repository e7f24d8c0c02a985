"""The opportunity board in Chromium, in Chinese, as a salesperson uses it: at 1280 px a card
dragged to the next stage moves there (the stage's win probability and the column counts
follow) and a card dragged to 输单 without a reason comes back with the rule's message; at
375 px the board scrolls inside its own box, never the page, and the 移到… menu moves a card
with tap targets of 44 px. No console errors. Screenshots: ``board-<width>-*.png``."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import Page
from playwright.sync_api import expect

from loom.platform.actor import SYSTEM
from loom.platform.records.query import ListQuery
from loom.platform.seeds import install_seeds

from .conftest import DESKTOP
from .conftest import VIEWPORTS
from .test_phone_lists_browser import SIDEWAYS

pytestmark = pytest.mark.browser
PHONE = VIEWPORTS["phone"]
DEALS = (  # name, stage code, amount
    ("云织科技 ERP 项目", "standard_qualification", "200000"),
    ("港务物流 调度系统", "standard_qualification", "86000"),
    ("精密机械 MES 升级", "standard_needs", "350000"),
    ("新材料 质检平台", "standard_proposal", "120000"),
    ("数字营销 CRM 实施", "standard_negotiation", "64000"),
    ("医疗器械 追溯系统", "standard_closing", "510000"),
)


class Pipeline:
    """sara (销售) and her opportunities across the standard sales process, seeded once per server."""

    def __init__(self, portal) -> None:
        self.portal = portal
        services = portal.services()
        install_seeds(services.records)
        with services.runtime.engine.begin() as conn:
            portal.users["sara"] = services.identity.create_user(
                conn, "sara", "王晓萌", password="sara-pw", roles=["crm_sales"]
            )
            self.sara = services.identity.actor(conn, portal.users["sara"])
        self.records = services.records
        self.stages = self._codes("crm.opportunity_stage")
        group = self._codes("crm.opportunity_stage_group")["standard"]
        customer = self.records.create("crm.customer", {"name": "杭州云织科技有限公司"}, self.sara)
        self.deals = {
            name: self.records.create(
                "crm.opportunity",
                {
                    "name": name,
                    "customer": customer["id"],
                    "stage_group": group,
                    "stage": self.stages[stage],
                    "amount": amount,
                },
                self.sara,
            )["id"]
            for name, stage, amount in DEALS
        }

    def _codes(self, entity: str) -> dict[str, int]:
        page = self.records.list(entity, ListQuery(page_size=100, fields=("code",)), SYSTEM)
        return {r["code"]: r["id"] for r in page.records}

    def stage_of(self, name: str) -> dict:
        return self.records.get("crm.opportunity", self.deals[name], SYSTEM)

    def open(self, sign_in, viewport: dict) -> tuple[Page, list[str]]:
        """sara's board at ``viewport`` in Chinese, and the console errors it will log."""
        page = sign_in("sara", viewport, lang="zh")
        errors: list[str] = []
        page.on("console", lambda m: errors.append(f"{page.url}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(f"{page.url}: {e}"))
        page.goto(f"{self.portal.url}/crm/opportunity/board")
        expect(page.locator(".loom-lane")).to_have_count(8)
        return page, errors

    def lane(self, page: Page, code: str):
        return page.locator(f'.loom-lane[data-column="{self.stages[code]}"]')

    def card(self, page: Page, name: str):
        return page.locator(f'.loom-board-card[data-record="{self.deals[name]}"]')


@pytest.fixture(scope="module")
def pipeline(portal) -> Pipeline:
    return Pipeline(portal)


def drag(page: Page, source, target) -> None:
    """Hold the card, carry it over the target column in small steps, let go.

    The board is wider than the screen, so the source's column is first scrolled to the
    board's left edge: both columns must be in sight, as a person would arrange them, or the
    drop would depend on how fast the board scrolls itself while a card is carried."""
    source.evaluate(
        "card => card.closest('.loom-lane')"
        ".scrollIntoView({inline: 'start', block: 'nearest', behavior: 'instant'})"
    )
    start, end = source.bounding_box(), target.bounding_box()
    width = page.viewport_size["width"]
    assert start["x"] >= 0 and end["x"] + end["width"] / 2 < width, "both columns in sight"
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + 20)
    page.mouse.down()
    page.mouse.move(start["x"] + start["width"] / 2 + 10, start["y"] + 30, steps=5)
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + 30, steps=15)
    page.mouse.up()


def test_dragging_an_opportunity_to_the_next_stage_at_1280(pipeline, sign_in, shoot) -> None:
    page, errors = pipeline.open(sign_in, DESKTOP)
    name = "云织科技 ERP 项目"
    first, needs = pipeline.lane(page, "standard_qualification"), pipeline.lane(page, "standard_needs")
    expect(first.locator("[data-count]")).to_have_text("2")
    expect(first.locator("[data-sum]")).to_have_text("¥286,000.00")
    expect(page.locator("#display-as .active")).to_have_text("看板")
    shoot(page, "board-1280-01-pipeline")

    drag(page, pipeline.card(page, name), needs.locator("[data-cards]"))
    expect(needs.locator(f'.loom-board-card[data-record="{pipeline.deals[name]}"]')).to_be_visible()
    expect(needs.locator("[data-count]")).to_have_text("2")  # counted again by the server
    expect(first.locator("[data-count]")).to_have_text("1")
    expect(needs.locator("[data-sum]")).to_have_text("¥550,000.00")
    moved = pipeline.stage_of(name)
    assert moved["stage"] == pipeline.stages["standard_needs"]
    assert Decimal(moved["win_probability"]) == 30  # 销售阶段推进: the stage's probability
    shoot(page, "board-1280-02-moved")

    # 输单 needs a reason (a rule of the opportunity): the card comes back, the message shows.
    late = "数字营销 CRM 实施"
    drag(page, pipeline.card(page, late), pipeline.lane(page, "standard_lost").locator("[data-cards]"))
    expect(page.locator("#board-message")).to_have_text("输单时请选择输单原因")
    negotiation = pipeline.lane(page, "standard_negotiation")
    expect(negotiation.locator(f'.loom-board-card[data-record="{pipeline.deals[late]}"]')).to_be_visible()
    expect(pipeline.lane(page, "standard_lost").locator(".loom-board-card")).to_have_count(0)
    assert pipeline.stage_of(late)["stage"] == pipeline.stages["standard_negotiation"]
    shoot(page, "board-1280-03-refused")
    assert page.evaluate(SIDEWAYS) <= 0
    assert errors == []


def test_moving_an_opportunity_with_the_menu_at_375(pipeline, sign_in, shoot) -> None:
    page, errors = pipeline.open(sign_in, PHONE)
    assert page.evaluate(SIDEWAYS) <= 0  # the page never scrolls sideways…
    board = page.locator("#board")
    assert board.evaluate("b => b.scrollWidth > b.clientWidth")  # …the board does, inside its box
    for target in ("#display-as .btn", "#board-groups .btn"):
        heights = page.locator(target).evaluate_all("els => els.map(e => e.getBoundingClientRect().height)")
        assert min(heights) >= 44, target
    lane = pipeline.lane(page, "standard_qualification").bounding_box()
    assert 0.75 * PHONE["width"] <= lane["width"] <= 0.85 * PHONE["width"]
    shoot(page, "board-375-01-pipeline")

    name = "港务物流 调度系统"
    card = pipeline.card(page, name)
    menu = card.locator("summary")
    expect(menu).to_have_text("移到…")
    assert menu.bounding_box()["height"] >= 44
    menu.click()
    target = card.get_by_role("button", name="方案/报价")
    assert target.bounding_box()["height"] >= 44
    shoot(page, "board-375-02-menu")
    target.click()
    proposal = pipeline.lane(page, "standard_proposal")
    expect(proposal.locator(f'.loom-board-card[data-record="{pipeline.deals[name]}"]')).to_be_visible()
    expect(proposal.locator("[data-count]")).to_have_text("2")
    assert pipeline.stage_of(name)["stage"] == pipeline.stages["standard_proposal"]
    expect(proposal.locator(".loom-row-card")).to_have_count(2)
    expect(card.locator(".loom-row-card")).to_be_focused()  # the moved card, brought into sight
    shoot(page, "board-375-03-moved")
    assert page.evaluate(SIDEWAYS) <= 0
    # The other boards of the CRM: a column per status, chips in the options' colours.
    for path in ("/crm/service_ticket/board", "/crm/lead/board"):
        page.goto(f"{pipeline.portal.url}{path}")
        expect(page.locator(".loom-lane").first.locator(".loom-chip")).to_have_text("新建")
        assert page.evaluate(SIDEWAYS) <= 0, path
    shoot(page, "board-375-04-tickets")
    assert errors == []
