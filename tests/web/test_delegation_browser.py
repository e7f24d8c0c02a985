"""Delegation in a real browser, in Chinese on a desktop and on a 375 px phone: the manager
delegates her approvals to a colleague for a week from the inbox's 委托审批 page; a claim
submitted meanwhile lands in the colleague's inbox marked 代 Mona 审批, who approves it.
Screenshots: ``delegation-<width>-*.png``."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from .test_inbox_browser import submit_claims
from .test_scenario import fits

pytestmark = pytest.mark.browser


def test_a_week_of_delegation_sends_the_task_to_the_delegate(sign_in, portal, shoot, viewport) -> None:
    shot = f"delegation-{viewport['width']}"
    today = portal.services().records.clock().date()
    mona = sign_in("mona", viewport, lang="zh")
    problems: list[str] = []
    mona.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    mona.goto(f"{portal.url}/inbox")
    mona.click("#inbox-delegations")
    mona.wait_for_load_state()  # the picker searches through htmx: typing before it ran finds nobody
    mona.fill("#delegate", "roo")
    mona.locator("#delegate-choices [data-pick-title=Root]").click()
    mona.fill("#ends_on", (today + dt.timedelta(days=6)).isoformat())
    mona.fill("#reason", "出差一周")
    fits(mona)
    shoot(mona, f"{shot}-01-form")
    mona.locator("#delegation-form [type=submit]").click()
    given = mona.locator("#delegation-list [data-state=active]").last
    expect(given).to_contain_text("Mona → Root")
    shoot(mona, f"{shot}-02-given")

    submit_claims(portal, 1)
    root = sign_in("root", viewport, lang="zh")
    root.goto(f"{portal.url}/inbox")
    card = root.locator("#inbox-items a[data-record]").first
    expect(card.locator("[data-behalf]")).to_have_text("代 Mona 审批")
    fits(root)
    shoot(root, f"{shot}-03-delegate-inbox")
    card.click()
    root.locator("#flow-approve").click()
    expect(root.locator("#timeline [data-event=approve]")).to_contain_text("Root")
    shoot(root, f"{shot}-04-approved")

    mona.locator("#delegation-list [data-state=active] button").last.click()  # ends it for the next run
    expect(mona.locator("#delegation-list [data-state=active]")).to_have_count(0)
    assert problems == []
