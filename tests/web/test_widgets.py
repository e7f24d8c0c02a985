"""Every field type's widget round-trips its value: typed in the browser, stored by the
records service, shown again in the edit form, and saved again unchanged."""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Page
from playwright.sync_api import expect

from loom.platform.actor import SYSTEM
from loom.platform.records.query import ListQuery

pytestmark = pytest.mark.browser
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


@dataclass(frozen=True)
class Case:
    field: str
    fill: Callable[[Page, Any], None]
    check: Callable[[Page], None]
    expected: Callable[[Any], Any]  # the stored value, given the portal fixture (for ids)


def typed(field: str, text: str, stored: Any, shown: str | None = None) -> Case:
    """A widget that is one text-like input: typed text in, the stored value shown again."""
    return Case(
        field,
        lambda page, portal: page.fill(f"#f-{field}", text),
        lambda page: expect(page.locator(f"#f-{field}")).to_have_value(text if shown is None else shown),
        lambda portal: stored,
    )


def picked(field: str, titles: list[str], stored: Callable[[Any], Any]) -> Case:
    """A searchable picker: type the start of each title, choose it from the server's answers."""

    def fill(page: Page, portal) -> None:
        for title in titles:
            page.fill(f"#f-{field}", title[:2])
            page.click(f"#f-{field}-choices [data-pick-title='{title}']")

    def check(page: Page) -> None:
        if len(titles) == 1:
            expect(page.locator(f"#f-{field}")).to_have_value(titles[0])
            return
        for title in titles:
            expect(page.locator(f"[data-field={field}] [data-chips]")).to_contain_text(title)

    return Case(field, fill, check, stored)


def uploaded(field: str, name: str, content: bytes, mime: str) -> Case:
    def fill(page: Page, portal) -> None:
        page.set_input_files(f"#f-{field}", files=[{"name": name, "mimeType": mime, "buffer": content}])
        expect(page.locator(f"[data-field={field}] [data-files] a")).to_have_text(name)
        expect(page.locator(f"[data-field={field}] .progress")).to_have_attribute("aria-valuenow", "100")

    return Case(
        field,
        fill,
        lambda page: expect(page.locator(f"[data-field={field}] [data-files] a")).to_have_text(name),
        lambda portal: _file_id(portal, name),
    )


def _file_id(portal, name: str) -> int:
    table = portal.services().files.table
    with portal.services().runtime.engine.connect() as conn:
        return conn.execute(table.select().where(table.c.name == name)).mappings().first()["id"]


def _customer(portal, name: str) -> int:
    query = ListQuery(q=name, page_size=1)
    return portal.services().records.list("webtest.customer", query, SYSTEM).records[0]["id"]


def _fill_parts(field: str, parts: dict[str, str]) -> Callable[[Page, Any], None]:
    def fill(page: Page, portal) -> None:
        for key, value in parts.items():
            page.fill(f"#f-{field}-{key}", value)

    return fill


def _check_parts(field: str, parts: dict[str, str]) -> Callable[[Page], None]:
    def check(page: Page) -> None:
        for key, value in parts.items():
            expect(page.locator(f"#f-{field}-{key}")).to_have_value(value)

    return check


def _fill_multiselect(page: Page, portal) -> None:
    page.check("#f-a_multiselect-1")
    page.check("#f-a_multiselect-3")


def _check_multiselect(page: Page) -> None:
    expect(page.locator("#f-a_multiselect-1")).to_be_checked()
    expect(page.locator("#f-a_multiselect-2")).not_to_be_checked()
    expect(page.locator("#f-a_multiselect-3")).to_be_checked()


def _fill_rows(page: Page, portal) -> None:
    page.fill("#f-rows-0-label", "first")
    page.fill("#f-rows-0-quantity", "2")
    page.click("[data-grid=rows] [data-add-row]")
    page.fill("#f-rows-1-label", "second")
    page.fill("#f-rows-1-quantity", "5")
    page.click("[data-grid=rows] [data-add-row]")
    page.fill("#f-rows-2-label", "removed")
    page.click("[data-grid=rows] tr[data-row]:nth-child(3) [data-remove-row]")
    expect(page.locator('[data-total="rows-quantity"]')).to_have_text("7")


def _check_rows(page: Page) -> None:
    expect(page.locator("#f-rows-0-label")).to_have_value("first")
    expect(page.locator("#f-rows-1-quantity")).to_have_value("5")
    expect(page.locator("[data-grid=rows] tr[data-row]")).to_have_count(2)


REGION = {"province": "上海市", "city": "上海市", "district": "浦东新区"}
GEO = {"lng": "121.5", "lat": "31.25", "address": "世纪大道 1 号"}
CASES = [
    typed("a_string", "Hello 世界", "Hello 世界"),
    typed("a_text", "line one\nline two", "line one\nline two"),
    typed("a_rich_text", "<p>rich <em>text</em></p>", "<p>rich <em>text</em></p>"),
    typed("an_integer", "-42", -42),
    typed("a_decimal", "3.142", decimal.Decimal("3.142")),
    typed("a_money", "1234.50", decimal.Decimal("1234.50")),
    typed("a_percent", "12.5", decimal.Decimal("12.5"), shown="12.5000"),
    typed("a_date", "2026-03-04", dt.date(2026, 3, 4)),
    typed("a_datetime", "2026-03-04T05:06:07", dt.datetime(2026, 3, 3, 21, 6, 7, tzinfo=dt.UTC)),
    typed("a_time", "05:06:07", dt.time(5, 6, 7)),
    typed("an_email", "ada@example.com", "ada@example.com"),
    typed("a_phone", "+86 21 5555 0000", "+86 21 5555 0000"),
    typed("an_url", "https://example.com/a?b=c", "https://example.com/a?b=c"),
    typed("an_id_card", "11010519491231002x", "11010519491231002X", shown="11010519491231002X"),
    Case(
        "a_rating",
        lambda page, portal: page.click("label[for=f-a_rating-4]"),
        lambda page: expect(page.locator("#f-a_rating-4")).to_be_checked(),
        lambda portal: 4,
    ),
    typed("a_json", '{"a": [1, 2]}', {"a": [1, 2]}, shown=json.dumps({"a": [1, 2]}, indent=2)),
    Case(
        "a_boolean",
        lambda page, portal: page.check("#f-a_boolean"),
        lambda page: expect(page.locator("#f-a_boolean")).to_be_checked(),
        lambda portal: True,
    ),
    Case(
        "a_select",
        lambda page, portal: page.select_option("#f-a_select", "green"),
        lambda page: expect(page.locator("#f-a_select")).to_have_value("green"),
        lambda portal: "green",
    ),
    Case("a_multiselect", _fill_multiselect, _check_multiselect, lambda portal: ["tea", "juice"]),
    picked("a_link", ["Acme"], lambda portal: _customer(portal, "Acme")),
    picked(
        "a_many",
        ["Acme", "Globex"],
        lambda portal: sorted([_customer(portal, "Acme"), _customer(portal, "Globex")]),
    ),
    picked("a_user", ["Mona"], lambda portal: portal.users["mona"]),
    picked("a_department", ["财务部"], lambda portal: _department(portal, "财务部")),
    uploaded("a_file", "报告.pdf", b"%PDF-1.4 test", "application/pdf"),
    uploaded("an_image", "pixel.png", PNG, "image/png"),
    Case("a_region", _fill_parts("a_region", REGION), _check_parts("a_region", REGION), lambda p: REGION),
    Case(
        "a_geo",
        _fill_parts("a_geo", GEO),
        _check_parts("a_geo", GEO),
        lambda p: {"lng": 121.5, "lat": 31.25, "address": GEO["address"]},
    ),
    Case(
        "rows",
        _fill_rows,
        _check_rows,
        lambda p: [{"label": "first", "quantity": 2}, {"label": "second", "quantity": 5}],
    ),
]


def _department(portal, name: str) -> int:
    table = portal.services().identity.departments
    with portal.services().runtime.engine.connect() as conn:
        return conn.execute(table.select().where(table.c.name == name)).mappings().first()["id"]


@pytest.fixture(scope="module")
def customers(portal) -> None:
    emma = _actor(portal, "emma")
    for name in ("Acme", "Globex"):
        portal.services().records.create("webtest.customer", {"name": name}, emma)


def _actor(portal, login: str):
    with portal.services().runtime.engine.connect() as conn:
        return portal.services().identity.actor(conn, portal.users[login])


def _stored(portal, record_id: int, field: str) -> Any:
    value = portal.services().records.get("webtest.kitchen", record_id, SYSTEM)[field]
    if field == "rows":
        return [{"label": r["label"], "quantity": r["quantity"]} for r in value]
    return sorted(value) if field == "a_many" else value


@pytest.mark.parametrize("case", CASES, ids=[c.field for c in CASES])
def test_widget_round_trip(sign_in, portal, customers, case: Case) -> None:
    page = sign_in("emma")
    page.goto(f"{portal.url}/webtest/kitchen/new")
    case.fill(page, portal)
    page.click("#save")
    expect(page.locator("#record-title")).to_be_visible()
    record_id = int(page.url.rsplit("/", 1)[-1])
    expected = case.expected(portal)
    assert _stored(portal, record_id, case.field) == expected

    page.click("#edit-record")
    case.check(page)
    page.click("#save")
    expect(page.locator("#record-title")).to_be_visible()
    assert _stored(portal, record_id, case.field) == expected


def test_a_rating_is_chosen_by_touch_and_by_keyboard(browser, portal) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 740}, has_touch=True, locale="en-US")
    page = context.new_page()
    page.goto(f"{portal.url}/login")
    page.fill("#login", "emma")
    page.fill("#password", "emma-pw")
    page.click("#sign-in")
    page.wait_for_url(f"{portal.url}/")
    page.goto(f"{portal.url}/webtest/kitchen/new")
    page.fill("#f-a_string", "rated")
    page.tap("label[for=f-a_rating-2]")
    expect(page.locator("#f-a_rating-2")).to_be_checked()
    page.keyboard.press("ArrowRight")  # a radio group: the arrow keys move the choice
    expect(page.locator("#f-a_rating-3")).to_be_checked()
    expect(page.locator("#f-a_rating-3")).to_be_focused()
    outline = page.evaluate(
        "() => getComputedStyle(document.querySelector('label[for=f-a_rating-3]')).outlineStyle"
    )
    assert outline != "none"  # the focused star is marked
    names = [page.locator(f"label[for=f-a_rating-{n}]").inner_text() for n in (1, 3)]
    assert names == ["★\n1 star", "★\n3 stars"] or names == ["★1 star", "★3 stars"]
    page.click("#save")
    expect(page.locator("[data-value=a_rating]")).to_have_text("★★★☆☆ 3 of 5")
    context.close()


def test_server_set_values_are_shown(sign_in, portal) -> None:
    page = sign_in("emma")
    page.goto(f"{portal.url}/webtest/kitchen/new")
    page.fill("#f-a_string", "computed")
    expect(page.locator("[data-computed=a_computed]")).to_have_text("computed!")
    page.click("#save")
    expect(page.locator("[data-value=a_computed]")).to_have_text("computed!")
    expect(page.locator("[data-value=a_number]")).to_have_text(re.compile(r"K-\d{3}"))
