"""One-step 提交 in a real browser, in Chinese on a desktop and on a 375 px phone: the form
shows who will approve before anything is saved, the chain appears once the required fields
are filled, a CC the claimant picks joins it, and 提交 saves and starts the approval at once.
No console error on the way. Screenshots: ``submit-<width>-*.png``."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .test_scenario import fits

pytestmark = pytest.mark.browser


def test_the_chain_shows_before_submitting_in_one_step(sign_in, portal, shoot, viewport) -> None:
    shot = f"submit-{viewport['width']}"
    page = sign_in("emma", viewport, lang="zh")
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(f"{portal.url}/webtest/expense/new")
    expect(page.locator("[data-chain-incomplete]")).to_contain_text("必填信息填写后")
    expect(page.locator("#submit")).to_have_text("提交")
    expect(page.locator("#save")).to_have_text("保存草稿")
    shoot(page, f"{shot}-01-empty")

    page.fill("#f-title", "去上海拜访客户")
    page.fill("#f-lines-0-day", "2026-11-02")
    page.fill("#f-lines-0-amount", "300")
    page.locator("#f-lines-0-amount").blur()
    chain = page.locator("[data-chain]")
    expect(chain.locator("[data-step=initiator]")).to_contain_text("发起人")
    expect(chain.locator("[data-step=manager]")).to_contain_text("直属上级")
    expect(chain.locator("[data-step=manager] [data-people]")).to_have_text("Mona")
    expect(chain.locator("[data-step=finance] [data-people]")).to_have_text("Fin")
    fits(page)
    # A CC the claimant adds (the flow's optional chosen step) joins the chain.
    page.fill("#chosen-copy", "roo")
    page.locator("#chosen-copy-choices [data-pick-title=Root]").click()
    expect(chain.locator("[data-step=copy] [data-people]")).to_have_text("Root")
    page.locator("#flow-preview").scroll_into_view_if_needed()
    shoot(page, f"{shot}-02-chain")

    page.click("#submit")
    expect(page.locator(".alert-success")).to_contain_text("已提交审批")
    expect(page.locator("[data-waiting]")).to_contain_text("Mona")
    fits(page)
    shoot(page, f"{shot}-03-submitted")
    assert problems == []
