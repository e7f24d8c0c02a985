"""Saved views in a real browser, on a desktop and on a 375 px phone: the tabs above the
customer list stay one row (on a phone it scrolls sideways inside its box, the page does not),
and choosing a tab narrows the list. Screenshots: ``list-views-<viewport>-*.png``."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from loom.platform.actor import SYSTEM
from loom.platform.records.query import ListQuery

from .test_scenario import fits

pytestmark = pytest.mark.browser
ONE_ROW = "() => new Set([...document.querySelectorAll('#list-views .nav-item')].map(e => e.offsetTop)).size"
OVERFLOW = "() => { const n = document.querySelector('.loom-views'); return n.scrollWidth - n.clientWidth; }"


def test_view_tabs_stay_one_row_and_narrow_the_list(sign_in, portal, shoot, viewport) -> None:
    records = portal.services().records
    if not records.list("crm.customer", ListQuery(q="杭州云织"), SYSTEM).records:  # once per server
        for name, level in (("杭州云织科技", "A"), ("宁波港务", "B")):
            records.create("crm.customer", {"name": name, "level": level}, SYSTEM)
    shot = f"list-views-{viewport['width']}"
    page = sign_in("root", viewport, lang="zh")
    page.goto(f"{portal.url}/crm/customer")
    expect(page.locator("#list-views .nav-link.active")).to_have_text(
        re.compile(r"^\s*全部\s*\d+\s*$")
    )  # with its count
    assert page.evaluate(ONE_ROW) == 1
    fits(page)
    if viewport["width"] < 576:
        assert page.evaluate(OVERFLOW) > 0  # more tabs than fit: the row scrolls sideways
    shoot(page, f"{shot}-01-all")

    page.locator("#list-views [data-view=key_accounts]").click()
    page.wait_for_url("**view=key_accounts")
    expect(page.locator("#list-views .nav-link.active")).to_have_text(re.compile(r"^\s*重点客户\s*\d+\s*$"))
    expect(page.locator("#list-views .nav-link.active")).to_be_in_viewport()  # the row scrolled to it
    expect(page.locator("table.loom-list tbody tr")).to_have_count(1)
    expect(page.locator("table.loom-list tbody")).to_contain_text("杭州云织科技")
    fits(page)
    shoot(page, f"{shot}-02-key-accounts")
