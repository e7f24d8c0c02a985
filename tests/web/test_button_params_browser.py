"""A button with parameters in a real browser, in Chinese on a desktop and on a 375 px phone:
转移客户 asks for the new owner with a person picker and offers a check box for the contacts;
the customer changes hands. Screenshots: ``button-<width>-*.png``."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from loom.platform.actor import SYSTEM

from .test_scenario import fits

pytestmark = pytest.mark.browser


def test_transfer_a_customer_from_its_page(sign_in, portal, shoot, viewport) -> None:
    shot = f"button-{viewport['width']}"
    customer = portal.services().records.create("crm.customer", {"name": f"客户 {viewport['width']}"}, SYSTEM)
    page = sign_in("root", viewport, lang="zh")
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{portal.url}/crm/customer/{customer['id']}")
    picker = page.locator("#param-crm-transfer_customer-new_owner")
    picker.fill("emm")
    page.locator("#param-crm-transfer_customer-new_owner-choices [data-pick-title=Emma]").click()
    expect(page.locator("#param-crm-transfer_customer-cascade")).to_be_checked()
    page.locator("#record-actions").scroll_into_view_if_needed()
    fits(page)
    shoot(page, f"{shot}-01-parameters")
    page.locator("[data-button='crm.transfer_customer']").click()
    expect(page.locator(".alert-success")).to_be_visible()
    owner = portal.services().records.get("crm.customer", customer["id"], SYSTEM)["owner_user"]
    assert owner == portal.users["emma"]
    assert problems == []
