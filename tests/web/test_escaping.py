"""No page runs or contains a user's value unescaped: ``<script>`` and an ``onerror`` image
are stored in every text field (and in names, comments and file names), then every page
that shows them is opened in Chromium."""

from __future__ import annotations

import io
from urllib.parse import quote

import pytest
from playwright.sync_api import Page

pytestmark = pytest.mark.browser
PAYLOAD = '<script>window.__xss=1</script><img src=x onerror="window.__xss=1">'
SHORT = "<script>window.__xss=1</script>"  # region parts hold at most 64 characters
MARKERS = ("<script>window.__xss", "<img src=x onerror")
INJECTED = """() => [...document.querySelectorAll("script")].some((s) => s.textContent.includes("__xss"))
    || document.querySelectorAll("[onerror]").length > 0"""


def _actor(portal, login: str):
    with portal.services().runtime.engine.connect() as conn:
        return portal.services().identity.actor(conn, portal.users[login])


@pytest.fixture(scope="module")
def stored(portal) -> dict[str, int]:
    """Records full of the payload, an approval with a commented step, and a user named with it."""
    services = portal.services()
    emma = _actor(portal, "emma")
    with services.runtime.engine.begin() as conn:
        services.identity.create_user(conn, "mallory", PAYLOAD, password="mallory-pw")
    upload = services.files.save(io.BytesIO(b"x"), f"{PAYLOAD}.txt", emma, "text/plain")
    customer = services.records.create("webtest.customer", {"name": PAYLOAD}, emma)
    kitchen = services.records.create(
        "webtest.kitchen",
        {
            "a_string": PAYLOAD, "a_text": PAYLOAD, "a_rich_text": PAYLOAD, "a_json": {"k": PAYLOAD},
            "a_select": "red", "a_link": customer["id"], "a_many": [customer["id"]], "a_file": upload["id"],
            "a_region": {"province": SHORT}, "a_geo": {"address": PAYLOAD},
            "rows": [{"label": PAYLOAD, "quantity": 1}],
        },
        emma,
    )  # fmt: skip
    expense = services.records.create(
        "webtest.expense",
        {
            "title": PAYLOAD, "category": "entertainment", "guest_company": PAYLOAD, "reason": PAYLOAD,
            "lines": [{"day": "2026-11-02", "amount": "10", "note": PAYLOAD}],
        },
        emma,
    )  # fmt: skip
    services.flows.submit("webtest.expense", expense["id"], emma, comment=PAYLOAD)
    mona = _actor(portal, "mona")
    services.flows.act("webtest.expense", expense["id"], mona, "comment", {"comment": PAYLOAD})
    return {"kitchen": kitchen["id"], "expense": expense["id"], "customer": customer["id"]}


def assert_clean(page: Page, path: str, portal) -> None:
    """Neither the HTML sent nor the page's DOM holds the payload as markup, and it never ran."""
    response = page.goto(f"{portal.url}{path}")
    page.wait_for_load_state("networkidle")
    sent = response.text()
    assert not [m for m in MARKERS if m in sent], path
    assert page.evaluate(INJECTED) is False, path
    assert page.evaluate("window.__xss") is None, path


def test_no_page_shows_a_value_unescaped(sign_in, portal, stored) -> None:
    emma = sign_in("emma")
    q = quote(PAYLOAD)
    for path in (
        "/",
        "/webtest/kitchen",
        f"/webtest/kitchen?q={q}",
        f"/webtest/kitchen/{stored['kitchen']}",
        f"/webtest/kitchen/{stored['kitchen']}/edit",
        "/webtest/customer",
        f"/webtest/expense/{stored['expense']}",
        f"/webtest/expense?category={q}",
        "/inbox?box=started",
        f"/pick/webtest/kitchen/a_link?q={q[:20]}&for={q}",
        "/pick/user?q=%3Cscript",
        f"/webtest/{q}",
    ):
        assert_clean(emma, path, portal)
    emma.goto(f"{portal.url}/webtest/kitchen/{stored['kitchen']}/edit")
    emma.fill("#f-a_link", "<scr")  # the picker's answers are swapped in by htmx
    emma.wait_for_selector("#f-a_link-choices [data-pick-id]")
    assert emma.evaluate(INJECTED) is False
    assert emma.evaluate("window.__xss") is None

    mona = sign_in("mona")
    for path in ("/inbox", f"/webtest/expense/{stored['expense']}"):
        assert_clean(mona, path, portal)
