"""A business admin builds 用印申请 in Chromium: a new app, fields from the palette (one moved,
one removed), the check with its plan, publish; then an employee fills in the new form in the
portal and saves a record. Screenshots of the designer at 1280 and 375 px go to a folder
printed when the test starts; every designer page is checked as the portal's pages are
(labels, contrast, nothing wider than a phone)."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page
from playwright.sync_api import expect
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from ..revisions.conftest import LiveSite
from ..web.test_accessibility import LOW_CONTRAST
from ..web.test_accessibility import UNLABELLED

CHROMIUM = shutil.which("chromium")
WIDTHS = (1280, 375)
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH: install Debian's chromium"),
]


@pytest.fixture
def served(live: LiveSite) -> Iterator[str]:
    http = make_server("127.0.0.1", 0, live.app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{http.server_port}"
    finally:
        http.shutdown()
        thread.join(timeout=5)


@pytest.fixture
def browser():
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


def signed_in(browser, url: str, login: str, password: str, errors: list[str]) -> Page:
    page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
    page.set_default_timeout(60_000)  # a publish builds the app for the new revision: slow on a busy machine
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{url}/login")
    page.fill("#login", login)
    page.fill("#password", password)
    page.click("#sign-in")
    page.wait_for_url(f"{url}/")
    return page


def posted(page: Page, button) -> None:
    """Click a button that posts the page, and wait for the page answered, scripts included
    (a choice that asks the server for a part of the page needs them)."""
    with page.expect_navigation():
        button.click()
    page.wait_for_load_state()


def shoot(page: Page, folder: Path, name: str) -> None:
    """The page at each width, checked for a layout wider than the screen, controls without a
    label and text without enough contrast (once its style sheets have loaded: a page reached
    by a click may be in the DOM before them)."""
    page.wait_for_load_state("load")
    assert page.evaluate(UNLABELLED) == [], name
    assert page.evaluate(LOW_CONTRAST) == [], name
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, (name, width)
    page.set_viewport_size({"width": 1280, "height": 900})


def field_row(page: Page, number: int):
    return page.locator(f"[data-field-row='{number}']")


def test_an_admin_builds_seal_requests_and_an_employee_saves_one(
    browser, served: str, live: LiveSite, tmp_path_factory: pytest.TempPathFactory
) -> None:
    shots = tmp_path_factory.mktemp("screenshots-designer")
    print(f"\nscreenshots of the designer: {shots}")
    errors: list[str] = []
    page = signed_in(browser, served, "root", "root-pw-2026", errors)
    page.click("#nav-designer")
    expect(page.locator("h1")).to_have_text("设计")
    shoot(page, shots, "1-designer")

    page.click("#designer-new")
    page.select_option("#d-app", "")
    page.fill("#d-new_app_label", "行政事务")
    page.fill("#d-new_app_name", "admin_affairs")
    page.fill("#d-label_zh", "用印申请")
    page.fill("#d-label_en", "Seal request")
    page.fill("#d-fields-0-label_zh", "用印事由")
    page.fill("#d-fields-0-label_en", "Purpose")
    page.check("#d-fields-0-required")
    for kind, zh, en in (
        ("select", "印章类型", "Seal type"),
        ("integer", "份数", "Copies"),
        ("boolean", "是否外带", "Taken out"),
        ("date", "用印日期", "Use date"),
    ):
        page.click(f"[data-palette='{kind}']")
        last = page.locator("[data-field-row]").count() - 1
        page.fill(f"#d-fields-{last}-label_zh", zh)
        page.fill(f"#d-fields-{last}-label_en", en)
    page.fill("#d-fields-1-options", "公章\n合同章\n财务章")
    page.check("#d-fields-1-required")
    field_row(page, 3).get_by_role("button", name="删除字段 4").click()  # 是否外带 goes
    field_row(page, 3).get_by_role("button", name="字段 4 上移").click()  # 用印日期 before 份数
    expect(field_row(page, 2).locator("input[name$='label_zh']")).to_have_value("用印日期")
    shoot(page, shots, "2-new-form")

    page.fill("#d-label_zh", "")
    page.click("#designer-check")
    expect(page.locator("#d-label_zh-error")).to_have_text("请填写表单的中文名。")
    shoot(page, shots, "3-mistake")
    page.fill("#d-label_zh", "用印申请")
    page.click("#designer-check")
    expect(page.locator("#designer-plan")).to_contain_text("将新建表单「用印申请」，含 4 个字段。")
    expect(page.locator("#d-message")).to_have_value("新建表单 用印申请")
    shoot(page, shots, "4-checked")
    page.click("#designer-publish-button")
    expect(page.locator("h1")).to_have_text("表单「用印申请」已发布")
    shoot(page, shots, "5-published")
    text = page.locator("main").inner_text() + page.locator("nav").first.inner_text()
    for english in ("entity", "Entity", "CEL", "migration", "Design", "Publish"):
        assert english not in text

    employee = signed_in(browser, served, "wang", "wang-pw-2026", errors)
    employee.goto(f"{served}/admin_affairs/seal_request/new")
    employee.get_by_label("用印事由").fill("合同盖章")
    employee.get_by_label("印章类型").select_option(label="合同章")
    employee.get_by_label("份数").fill("2")
    employee.click("#save")
    expect(employee.locator("main")).to_contain_text("合同盖章")
    employee.goto(f"{served}/admin_affairs/seal_request")
    expect(employee.locator("main")).to_contain_text("合同章")
    # The page with the mistake answered 422 (Chromium logs it); nothing else went wrong.
    assert [e for e in errors if "status of 422" not in e] == []


def test_an_admin_adds_a_field_to_an_installed_form_and_it_shows_at_once(
    browser, served: str, live: LiveSite, tmp_path_factory: pytest.TempPathFactory
) -> None:
    shots = tmp_path_factory.mktemp("screenshots-designer-change")
    print(f"\nscreenshots of a changed form: {shots}")
    errors: list[str] = []
    page = signed_in(browser, served, "root", "root-pw-2026", errors)
    page.goto(f"{served}/designer")
    page.click("[data-change-form='shop.customer']")
    expect(page.locator("h1")).to_have_text("修改表单「客户」")
    page.fill("#d-existing-0-label_zh", "客户名称")
    page.click("[data-palette='string']")
    page.fill("#d-fields-0-label_zh", "微信号")
    page.fill("#d-fields-0-label_en", "WeChat")
    shoot(page, shots, "1-change-form")
    page.click("#designer-check")
    expect(page.locator("#designer-plan")).to_contain_text("将新增 1 个字段：微信号。")
    shoot(page, shots, "2-change-checked")
    page.click("#designer-publish-button")
    expect(page.locator("h1")).to_have_text("表单「客户」已发布")
    page.click("#designer-open-new")
    expect(page.get_by_label("客户名称")).to_be_visible()
    expect(page.get_by_label("微信号")).to_be_visible()
    shoot(page, shots, "3-customer-form")
    assert errors == []


def test_an_admin_removes_a_field_that_holds_data_after_confirming(
    browser, served: str, live: LiveSite, tmp_path_factory: pytest.TempPathFactory
) -> None:
    shots = tmp_path_factory.mktemp("screenshots-designer-remove")
    print(f"\nscreenshots of a removed field: {shots}")
    assert (
        live.client("root").post("/api/v1/shop/customer", json={"title": "甲", "city": "杭州"}).status_code
        == 201
    )
    errors: list[str] = []
    page = signed_in(browser, served, "root", "root-pw-2026", errors)
    page.goto(f"{served}/designer/forms/shop/customer")
    page.check("#d-existing-1-remove")
    page.click("#designer-check")
    expect(page.locator("#designer-plan")).to_contain_text("将移除字段「城市」：有 1 条记录填写了它")
    expect(page.locator("#designer-remove-warning")).to_be_visible()
    shoot(page, shots, "1-remove-checked")
    page.click("#designer-publish-button")
    expect(page.locator("#designer-problem")).to_contain_text("请先勾选确认")
    page.check("#d-confirm-remove")
    page.click("#designer-publish-button")
    expect(page.locator("h1")).to_have_text("表单「客户」已发布")
    page.goto(f"{served}/designer")
    page.click("#designer-history-link")
    page.click("[data-rollback='0']")
    expect(page.locator("#designer-rolled")).to_contain_text("已回滚")
    expect(page.locator("[data-changed='1']")).to_have_text("表单「客户」：移除字段「城市」。")
    expect(page.locator("[data-changed='2']")).to_have_text("表单「客户」：恢复字段「城市」。")
    shoot(page, shots, "2-rolled-back")
    assert [e for e in errors if "status of 422" not in e] == []
