"""A business admin builds 用印申请's approval flow in Chromium, in Chinese: 主管审批 (或签), then a
condition branch whose lane "more than 20 copies" adds 法务审批; checks, publishes and tries it;
an employee submits 30 copies and the record waits for the manager, then for legal. Screenshots
of every step at 1280 and 375 px go to a folder printed when the test starts."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page
from playwright.sync_api import expect

from ..revisions.conftest import LiveSite
from .test_browser import CHROMIUM
from .test_browser import browser  # noqa: F401  (a fixture)
from .test_browser import posted
from .test_browser import served  # noqa: F401  (a fixture)
from .test_browser import shoot
from .test_browser import signed_in
from .test_flow import seal_form

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH: install Debian's chromium"),
]


def add(page: Page, where: str, kind: str) -> None:
    """Open the + between two steps and pick what to add there."""
    plus = page.locator(f"[data-add='{where}']")
    plus.locator("summary").click()
    posted(page, plus.get_by_role("button", name=kind, exact=True))


def test_an_admin_designs_the_seal_flow_and_a_submission_reaches_legal(
    browser,  # noqa: F811
    served: str,  # noqa: F811
    live: LiveSite,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    shots = tmp_path_factory.mktemp("screenshots-flow-designer")
    print(f"\nscreenshots of the flow designer: {shots}")
    seal_form(live)
    errors: list[str] = []
    page = signed_in(browser, served, "root", "root-pw-2026", errors)
    page.goto(f"{served}/designer")
    page.click("[data-flow-of='admin_affairs.seal_request']")
    expect(page.locator("h1")).to_have_text("用印申请的审批流程")
    shoot(page, shots, "1-empty")

    add(page, ":0", "审批人")
    page.fill("#d-p-label", "主管审批")
    page.select_option("#d-p-mode", "any")
    page.click("#designer-props-apply")
    expect(page.locator("[data-step='0']")).to_contain_text("直属上级（第 1 级）")
    shoot(page, shots, "2-manager")

    add(page, ":1", "条件分支")
    posted(page, page.locator("[data-lane='1.0'] button[value='select:1.0']"))
    page.fill("#d-p-label", "超过20份")
    page.select_option("#d-c-0-field", "copies")  # the page comes back with the number comparisons
    expect(page.locator("#d-c-0-op option")).to_have_count(5)
    page.select_option("#d-c-0-op", "gt")
    page.fill("#d-c-0-value", "20")
    page.click("#designer-cond-apply")
    expect(page.locator("[data-lane='1.0']")).to_contain_text("份数 大于 20")
    shoot(page, shots, "3-condition")

    add(page, "1.0:0", "审批人")
    page.fill("#d-p-label", "法务审批")
    page.select_option("#d-p-kind", "role")  # the page comes back with the role picker
    page.select_option("#d-p-role", "legal")
    page.check("#d-p-comment")
    page.check("#d-p-editable-copies")
    page.fill("#d-p-remind", "24")
    page.click("#designer-props-apply")
    expect(page.locator("[data-step='1.0.0']")).to_contain_text("角色：法务")
    shoot(page, shots, "4-legal")

    page.click("#designer-check")
    expect(page.locator("#designer-plan")).to_contain_text(
        "发起人 → 主管审批 → 条件分支（超过20份：法务审批；其他情况）"
    )
    shoot(page, shots, "5-checked")
    page.click("#designer-publish-button")
    expect(page.locator("#designer-flow-published")).to_contain_text("审批流程已发布")

    page.select_option("#d-s-initiator", label="王小明")
    page.fill("#d-s-purpose", "合同盖章")
    page.select_option("#d-s-seal_type", "合同章")
    page.fill("#d-s-copies", "25")
    page.click("#designer-try-button")
    path = page.locator("#designer-try-path")
    expect(path).to_contain_text("主管审批：赵主任")
    expect(path).to_contain_text("法务审批：法务李律师")
    page.locator("#designer-try").scroll_into_view_if_needed()
    shoot(page, shots, "6-tried")
    text = page.locator("main").inner_text()
    for jargon in ("CEL", "entity", "flow", "node", "实体"):
        assert jargon not in text

    employee = signed_in(browser, served, "wang", "wang-pw-2026", errors)
    employee.goto(f"{served}/admin_affairs/seal_request/new")
    employee.get_by_label("用印事由").fill("合同盖章")
    employee.get_by_label("印章类型").select_option(label="合同章")
    employee.get_by_label("份数").fill("30")
    employee.locator("#f-copies").blur()
    expect(employee.locator("[data-chain]")).to_contain_text("法务李律师")
    employee.click("#submit")
    expect(employee.locator(".alert-success")).to_contain_text("已提交审批")
    expect(employee.locator("[data-waiting]")).to_contain_text("赵主任")
    manager = signed_in(browser, served, "zhao", "zhao-pw-2026", errors)
    manager.goto(employee.url)
    manager.get_by_role("button", name="同意").first.click()
    expect(manager.locator("main")).to_contain_text("法务李律师")
    # The check with a mistake answered 422 (Chromium logs it); nothing else went wrong.
    assert [e for e in errors if "status of 422" not in e] == []
