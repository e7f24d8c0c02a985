"""Accessibility basics in Chromium: every control has a label, the portal works from the
keyboard with a visible focus, and text has enough contrast (WCAG AA: 4.5:1, 3:1 when large)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

UNLABELLED = """() => [...document.querySelectorAll("input:not([type=hidden]), select, textarea, button")]
  .filter((el) => el.offsetParent !== null)
  .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute("aria-label"))
  .filter((el) => !el.getAttribute("aria-labelledby"))
  .filter((el) => !(el.tagName === "BUTTON" && el.textContent.trim()))
  .map((el) => el.id || el.name || el.outerHTML.slice(0, 80))"""

LOW_CONTRAST = """() => {
  const rgba = (text) => (text.match(/[\\d.]+/g) || []).map(Number);
  const luminance = ([r, g, b]) => {
    const linear = (v) => (v / 255 <= 0.03928 ? v / 255 / 12.92 : ((v / 255 + 0.055) / 1.055) ** 2.4);
    const [R, G, B] = [r, g, b].map(linear);
    return 0.2126 * R + 0.7152 * G + 0.0722 * B;
  };
  const background = (el) => {
    for (let node = el; node; node = node.parentElement) {
      const [r, g, b, a = 1] = rgba(getComputedStyle(node).backgroundColor);
      if (a > 0.5) return [r, g, b];
    }
    return [255, 255, 255];
  };
  const found = [];
  for (const el of document.querySelectorAll("body *")) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || el.offsetParent === null || el.closest("[disabled], .disabled, option")) continue;
    const style = getComputedStyle(el);
    const back = background(el);
    let [r, g, b, a = 1] = rgba(style.color);
    [r, g, b] = [r, g, b].map((v, i) => v * a + back[i] * (1 - a));
    const [l1, l2] = [luminance([r, g, b]), luminance(back)].sort((x, y) => y - x);
    const ratio = (l1 + 0.05) / (l2 + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    const text = el.textContent.trim().slice(0, 30);
    if (ratio < (large ? 3 : 4.5)) found.push(`${el.tagName}.${el.className}: ${text} (${ratio.toFixed(2)})`);
  }
  return found;
}"""


def test_every_control_has_a_label(sign_in, portal) -> None:
    page = sign_in("emma")
    for path in ("/", "/apps", "/webtest/expense", "/webtest/expense/new", "/webtest/kitchen/new", "/inbox"):
        page.goto(f"{portal.url}{path}")
        assert page.evaluate(UNLABELLED) == [], path


def test_text_has_enough_contrast(sign_in, portal, shoot) -> None:
    page = sign_in("emma")
    page.goto(f"{portal.url}/webtest/expense/new")
    page.click("#save")  # errors, alerts and required marks are on the page too
    expect(page.locator("#form-errors")).to_be_visible()
    page.wait_for_load_state()
    for path in (None, "/", "/apps", "/webtest/expense", "/inbox"):
        if path:
            page.goto(f"{portal.url}{path}")
        assert page.evaluate(LOW_CONTRAST) == [], path or "form with errors"


def test_keyboard_alone_signs_in_and_picks_a_user(browser, portal) -> None:
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.goto(f"{portal.url}/login")
    expect(page.locator("#login")).to_be_focused()
    page.keyboard.type("emma")
    page.keyboard.press("Tab")
    page.keyboard.type("emma-pw")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{portal.url}/")
    page.keyboard.press("Tab")
    expect(page.locator("a[href='#main']")).to_be_focused()  # the skip link comes first
    assert_focus_visible(page)
    page.goto(f"{portal.url}/webtest/kitchen/new")
    page.locator("#f-a_string").focus()
    page.keyboard.press("Tab")
    assert_focus_visible(page)
    page.locator("#f-a_user").focus()
    page.keyboard.type("Mo")
    expect(page.locator("#f-a_user-choices [data-pick-id]")).to_have_count(1)
    page.keyboard.press("ArrowDown")
    expect(page.locator("#f-a_user-choices [data-pick-title=Mona]")).to_be_focused()
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page.locator("#f-a_user")).to_have_value("Mona")
    expect(page.locator("#f-a_user")).to_be_focused()
    expect(page.locator("[data-picker][data-name=a_user] [data-pick-value]")).to_have_value(
        str(portal.users["mona"])
    )
    context.close()


def assert_focus_visible(page: Page) -> None:
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    shadow = page.evaluate("() => getComputedStyle(document.activeElement).boxShadow")
    assert outline != "none" or shadow != "none"
