"""A business admin adds parallel lanes (并行分支) and an action step (执行动作) to 用印申请's flow
in Chromium, drags a step to another place, checks, publishes and tries it; then opens the flow of
an installed app's form. Screenshots of every step at 1280 and 375 px go to a folder printed when
the test starts."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page
from playwright.sync_api import expect
from werkzeug.serving import make_server

from ..revisions.conftest import LiveSite
from .test_browser import CHROMIUM
from .test_browser import browser  # noqa: F401  (a fixture)
from .test_browser import served  # noqa: F401  (a fixture)
from .test_browser import shoot
from .test_browser import signed_in
from .test_flow import seal_form
from .test_flow_browser import add
from .test_installed_flow import shop  # noqa: F401  (a fixture)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH: install Debian's chromium"),
]


def drag(page: Page, step: str, onto: str) -> None:
    """Drag a step by its grip onto another step (SortableJS with mouse events)."""
    grip = page.locator(f"[data-step='{step}'] .designer-grip").first.bounding_box()
    target = page.locator(f"[data-step='{onto}']").first.bounding_box()
    assert grip and target
    page.mouse.move(grip["x"] + grip["width"] / 2, grip["y"] + grip["height"] / 2)
    page.mouse.down()
    end = target["y"] + target["height"] - 4
    for fraction in (0.1, 0.3, 0.5, 0.7, 0.9, 1.0):
        page.mouse.move(target["x"] + 40, grip["y"] + (end - grip["y"]) * fraction, steps=8)
        page.wait_for_timeout(100)  # Sortable's animation settles before the pointer goes on
    page.mouse.up()


def test_an_admin_adds_parallel_lanes_and_an_action_and_drags_a_step(
    browser,  # noqa: F811
    served: str,  # noqa: F811
    live: LiveSite,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    shots = tmp_path_factory.mktemp("screenshots-flow-lanes")
    print(f"\nscreenshots of parallel lanes and actions: {shots}")
    seal_form(live)
    errors: list[str] = []
    page = signed_in(browser, served, "root", "root-pw-2026", errors)
    page.goto(f"{served}/designer/flows/admin_affairs/seal_request")

    add(page, ":0", "审批人")
    page.fill("#d-p-label", "主管审批")
    page.click("#designer-props-apply")
    add(page, ":1", "并行分支")
    expect(page.locator("[data-step='1']")).to_contain_text("分支1")
    expect(page.locator("[data-step='1']")).to_contain_text("各分支同时进行")
    shoot(page, shots, "1-parallel")

    add(page, "1.0:0", "审批人")
    page.fill("#d-p-label", "法务审批")
    page.select_option("#d-p-kind", "role")
    page.select_option("#d-p-role", "legal")
    page.click("#designer-props-apply")
    add(page, "1.1:0", "抄送")
    page.fill("#d-p-label", "抄送行政")
    page.click("#designer-props-apply")
    expect(page.locator("[data-lane='1.0']")).to_contain_text("角色：法务")
    shoot(page, shots, "2-lanes")

    add(page, ":2", "执行动作")
    page.fill("#d-p-label", "标记为合同章")
    page.select_option("#d-a-0-field", "seal_type")  # the page comes back with the options
    expect(page.locator("select#d-a-0-value")).to_be_visible()
    page.select_option("#d-a-0-value", "合同章")
    page.click("#designer-action-apply")
    expect(page.locator("[data-step='2']")).to_contain_text("设置 印章类型 为 合同章")
    shoot(page, shots, "3-action")

    with page.expect_navigation():  # the page posts the move and comes back with it
        drag(page, "0", "2")  # 主管审批 dragged after the action
    expect(page.locator("[data-step='2']")).to_contain_text("主管审批")
    expect(page.locator("[data-step='0']")).to_contain_text("并行分支")
    page.locator("[data-step='2'] button[value='up:2']").click()  # and back up with the keyboard's button
    expect(page.locator("[data-step='1']")).to_contain_text("主管审批")
    shoot(page, shots, "4-moved")

    page.click("#designer-check")
    expect(page.locator("#designer-plan")).to_contain_text(
        "发起人 → 并行分支（分支1：法务审批；分支2：抄送行政） → 主管审批 → 标记为合同章 → 结束"
    )
    shoot(page, shots, "5-checked")
    page.click("#designer-publish-button")
    expect(page.locator("#designer-flow-published")).to_contain_text("审批流程已发布")
    page.select_option("#d-s-initiator", label="王小明")
    page.fill("#d-s-purpose", "合同盖章")
    page.select_option("#d-s-seal_type", "公章")
    page.click("#designer-try-button")
    path = page.locator("#designer-try-path")
    expect(path).to_contain_text("法务审批：法务李律师")
    expect(path).to_contain_text("主管审批：赵主任")
    page.locator("#designer-try").scroll_into_view_if_needed()
    shoot(page, shots, "6-tried")
    text = page.locator("main").inner_text()
    for jargon in ("CEL", "entity", "flow", "node", "实体", "parallel", "action"):
        assert jargon not in text
    assert errors == []


@pytest.fixture
def shop_served(shop: LiveSite) -> Iterator[str]:  # noqa: F811
    http = make_server("127.0.0.1", 0, shop.app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{http.server_port}"
    finally:
        http.shutdown()
        thread.join(timeout=5)


def test_the_flow_of_an_installed_app_opens_with_its_steps_and_is_kept_as_a_change(
    browser,  # noqa: F811
    shop_served: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    shots = tmp_path_factory.mktemp("screenshots-installed-flow")
    print(f"\nscreenshots of an installed app's flow: {shots}")
    errors: list[str] = []
    page = signed_in(browser, shop_served, "root", "root-pw-2026", errors)
    page.goto(f"{shop_served}/designer/flows/shop/customer")
    expect(page.locator("#designer-flow-overlay")).to_contain_text("应用升级后仍然保留")
    expect(page.locator("[data-step='0']")).to_contain_text("主管")
    add(page, ":1", "抄送")
    page.fill("#d-p-label", "抄送店长")
    page.click("#designer-props-apply")
    page.click("#designer-check")
    expect(page.locator("#designer-plan")).to_contain_text("发起人 → 主管 → 抄送店长 → 结束")
    expect(page.locator("#designer-plan")).to_contain_text("应用升级后仍按这些步骤审批")
    shoot(page, shots, "1-installed-checked")
    page.click("#designer-publish-button")
    expect(page.locator("#designer-flow-published")).to_contain_text("审批流程已发布")
    assert errors == []
