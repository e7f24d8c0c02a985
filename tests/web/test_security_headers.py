"""Security headers, and a Content-Security-Policy the portal, htmx and the console work under:
Chromium visits the main pages, uses htmx and Flask-Admin's scripts, and fails on any CSP
violation or console error."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

WATCH = """document.addEventListener("securitypolicyviolation",
  (e) => (window.__violations = window.__violations || []).push(`${e.violatedDirective} ${e.blockedURI}`));"""


def watched(page: Page) -> list[str]:
    """Console errors and CSP violations of ``page`` from now on (the list grows as they come)."""
    problems: list[str] = []
    page.on(
        "console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.context.add_init_script(WATCH)
    return problems


def visit(page: Page, url: str, problems: list[str]) -> None:
    answer = page.goto(url)
    assert answer is not None and answer.status == 200, url
    page.wait_for_load_state("networkidle")
    csp = answer.headers["content-security-policy"]
    assert "script-src 'self' 'nonce-" in csp and "unsafe-inline" not in csp.split("style-src")[0]
    assert "frame-ancestors 'none'" in csp
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"] == "same-origin"
    problems.extend(page.evaluate("window.__violations || []"))
    assert problems == [], (url, problems)


def test_main_pages_run_under_the_policy(sign_in, portal, shoot, viewport) -> None:
    shot = "phone" if viewport["width"] < 576 else "desktop"
    emma = sign_in("emma", viewport, "zh")
    problems = watched(emma)
    visit(emma, f"{portal.url}/", problems)
    visit(emma, f"{portal.url}/webtest/expense/new", problems)
    emma.fill("#f-title", "差旅")
    emma.fill("#f-reason", "拜访客户")
    emma.fill("#f-lines-0-day", "2026-11-02")
    emma.fill("#f-lines-0-amount", "120.50")
    expect(emma.locator('[data-computed="total"]')).to_have_text(re.compile(r"120\.50"))  # htmx worked
    shoot(emma, f"csp-{shot}-form")
    # Leaving the field fires its recompute now: saving while one is in flight would make
    # htmx log the aborted request as an error (harmless, and not what this test is about).
    with emma.expect_response(lambda r: r.url.endswith("/form-state")):
        emma.press("#f-lines-0-amount", "Tab")
    emma.click("#save")
    expect(emma.locator("#flow-status")).to_be_visible()
    record = emma.url
    visit(emma, record, problems)
    shoot(emma, f"csp-{shot}-record")
    visit(emma, f"{portal.url}/webtest/expense", problems)
    shoot(emma, f"csp-{shot}-list")
    visit(emma, f"{portal.url}/inbox", problems)

    root = sign_in("root", viewport, "zh")
    problems = watched(root)
    visit(root, f"{portal.url}/admin/", problems)
    shoot(root, f"csp-{shot}-console")
    visit(root, f"{portal.url}/admin/webtest/expense/", problems)
    if shot == "desktop":  # the menus of Flask-Admin's templates, with their inline handlers
        root.click("a.dropdown-toggle:has-text('添加筛选器')")
        root.click("a.filter >> nth=0")
        expect(root.locator(".filter-op:visible").first).to_be_visible()
    shoot(root, f"csp-{shot}-console-list")
    visit(root, f"{portal.url}/admin/users/", problems)
    if shot == "desktop":
        root.on("dialog", lambda dialog: dialog.accept())
        root.check(f"input[name=rowid][value='{portal.users['fin']}']")
        root.click("a.dropdown-toggle:has-text('选中的')")
        root.click("text=在所有设备上退出登录")
        expect(root.locator(".alert")).to_contain_text("已结束")
        problems.extend(root.evaluate("window.__violations || []"))
        assert problems == []
    visit(
        root, f"{portal.url}/admin/users/edit/?id={portal.users['emma']}", problems
    )  # Flask-Admin's form.js
    shoot(root, f"csp-{shot}-console-form")
    assert problems == []


def test_an_injected_inline_script_does_not_run(sign_in, portal) -> None:
    page = sign_in("emma")
    page.goto(f"{portal.url}/")
    ran = page.evaluate("""() => new Promise((done) => {
        document.addEventListener("securitypolicyviolation", () => done("blocked"));
        const s = document.createElement("script");
        s.textContent = "window.__ran = true";
        document.body.appendChild(s);
        setTimeout(() => done(window.__ran ? "ran" : "silent"), 500);
    })""")  # fmt: skip
    assert ran == "blocked"
