"""The inbox in a real browser, in Chinese on a desktop and on a 375 px phone: a manager
narrows the box with a filter (it applies when changed), ticks five claims and approves them
with one comment from the bar at the bottom; on a phone the tab bar's 我的 shows who she is.
No console error, no sideways page scroll.
Screenshots: ``inbox-<width>-*.png``."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from loom.platform.actor import Actor

from .test_scenario import fits

pytestmark = pytest.mark.browser


def submit_claims(portal, count: int) -> None:
    """emma submits ``count`` claims; each waits for mona, who heads her team."""
    services = portal.services()
    with services.runtime.engine.connect() as conn:
        emma: Actor = services.identity.actor(conn, portal.users["emma"])
    for number in range(count):
        data = {
            "title": f"客户拜访 {number + 1}",
            "category": "travel",
            "lines": [{"day": "2026-11-02", "amount": "120"}],
        }
        record = services.records.create("webtest.expense", data, emma)
        services.flows.submit("webtest.expense", record["id"], emma)


def test_a_manager_filters_and_approves_five_claims_together(sign_in, portal, shoot, viewport) -> None:
    shot = f"inbox-{viewport['width']}"
    submit_claims(portal, 5)
    page = sign_in("mona", viewport, lang="zh")
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(f"{portal.url}/inbox")
    ticks = page.locator("[data-batch-task]")
    expect(ticks).to_have_count(5)
    expect(page.locator("#batch-approve")).to_be_disabled()
    fits(page)
    shoot(page, f"{shot}-01-todo")

    page.select_option("#filter-period", "today")
    page.wait_for_url("**period=today**")
    expect(page.locator("#filter-period")).to_have_value("today")
    expect(ticks).to_have_count(5)
    for index in range(5):
        ticks.nth(index).check()
    expect(page.locator("[data-batch-count]")).to_have_text("5")
    page.fill("#batch-comment", "同意，注意控制费用")
    shoot(page, f"{shot}-02-ticked")
    page.click("#batch-approve")
    expect(page.locator(".alert-success")).to_contain_text("已同意 5 项")
    expect(page.locator("[data-batch-task]")).to_have_count(0)
    fits(page)
    shoot(page, f"{shot}-03-approved")
    if viewport["width"] < 768:  # the tab bar's 我的: who I am and what is mine
        page.locator("#tab-me").click()
        expect(page.locator("#me-name")).to_have_text("Mona")
        fits(page)
        shoot(page, f"{shot}-04-me")
    else:
        expect(page.locator(".loom-tabbar")).to_be_hidden()
    assert problems == []
