"""Deciding tasks in a real browser, in Chinese on a desktop and on a 375 px phone: the manager
opens a claim from the inbox, 拒绝 without a reason is stopped on the page (the step requires
one), with a reason it is rejected and the next claim opens by itself; 同意 there leaves her on
it, nothing more to do. On a phone 同意 and 拒绝 sit in a bar at the bottom of the screen;
加签 under 更多 opens its panel.
Screenshots: ``task-<width>-*.png``."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .test_inbox_browser import submit_claims
from .test_scenario import fits

pytestmark = pytest.mark.browser


def test_reject_with_a_reason_then_the_next_task_opens(sign_in, portal, shoot, viewport) -> None:
    shot = f"task-{viewport['width']}"
    submit_claims(portal, 2)
    page = sign_in("mona", viewport, lang="zh")
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(f"{portal.url}/inbox")
    page.locator("#inbox-items a[data-record]").first.click()
    first = page.url
    approve, reject = page.locator("#flow-approve"), page.locator("#flow-reject")
    expect(approve).to_have_text("同意")
    if viewport["width"] < 768:  # the bar is at the bottom of the screen, not of the page
        box = approve.bounding_box()
        assert box and box["y"] + box["height"] > viewport["height"] - 80
        assert box["height"] >= 44
    fits(page)
    shoot(page, f"{shot}-01-task")

    reject.click()
    expect(page.locator("#flow-comment-text")).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(page.locator("#flow-comment-needed")).to_be_visible()
    assert page.url == first  # nothing was posted
    shoot(page, f"{shot}-02-reason-needed")
    page.fill("#flow-comment-text", "发票抬头不对，请重开")
    reject.click()
    expect(page.locator(".alert-success")).to_contain_text("已为你打开下一条待办")
    assert page.url != first
    page.locator("#flow-more").click()
    expect(page.locator("#flow-return")).to_be_visible()
    shoot(page, f"{shot}-03-next-task-more")
    page.locator("#flow-add_approver-open").click()  # 加签 opens its panel: whom, and before or after me
    expect(page.locator("#panel-add_approver")).to_be_visible()
    expect(page.locator("#flow-add-users")).to_be_focused()
    positions = ["在我之前审批", "在我之后审批", "与我一起审批"]
    expect(page.locator("#flow-position option")).to_have_text(positions)
    fits(page)
    shoot(page, f"{shot}-04-add-approver")
    page.keyboard.press("Escape")  # closes the picker's choices
    second = page.url
    page.locator("#flow-approve").click()
    expect(page.locator(".alert-success")).to_have_text("已完成。")
    assert page.url == second
    expect(page.locator("#flow-approve")).to_have_count(0)
    fits(page)
    assert problems == []
