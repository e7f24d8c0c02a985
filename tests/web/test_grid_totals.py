"""Totals under grids, through the HTTP client: only the columns that declare one (``total:
sum``), computed columns by the values saving gives each row, live in the form's state and on
the record page."""

from __future__ import annotations

import html
import json
import re

from .test_pages import actor
from .test_pages import sign_in

STATE = re.compile(r"data-state='([^']*)'")
TWO_LINES = {
    "lines-0-day": "2026-11-02",
    "lines-0-amount": "100",
    "lines-3-day": "2026-11-03",  # rows keep the numbers the page gave them (row 1 and 2 removed)
    "lines-3-amount": "200.50",
}


def state_of(page: str) -> dict:
    return json.loads(html.unescape(STATE.search(page).group(1)))


def test_a_computed_column_totals_its_rows_computed_values_as_the_user_types(app) -> None:
    emma = sign_in(app, "emma")
    empty = state_of(emma.get("/webtest/expense/new").text)
    assert empty["totals"] == {"lines-amount": "", "lines-with_tax": ""}  # nothing typed, nothing added up
    typed = state_of(
        emma.post("/webtest/expense/form-state", data={"csrf_token": emma.csrf, **TWO_LINES}).text
    )
    assert typed["computed"]["lines-3-with_tax"] == "¥212.53"
    assert typed["totals"] == {"lines-amount": "¥300.50", "lines-with_tax": "¥318.53"}


def test_only_the_columns_that_declare_a_total_have_one(app) -> None:
    emma = sign_in(app, "emma")
    items = {
        "items-0-item_name": "显示器",
        "items-0-quantity": "2",
        "items-0-est_unit_price": "1200",
        "items-1-item_name": "签字笔",
        "items-1-quantity": "3",
        "items-1-est_unit_price": "15.50",
    }
    state = state_of(
        emma.post("/oa/purchase_request/form-state", data={"csrf_token": emma.csrf, **items}).text
    )
    # The subtotal (quantity × unit price, computed) adds up; quantities and unit prices do not.
    assert state["totals"] == {"items-subtotal": "¥2,446.50"}
    assert state["computed"]["total_amount"] == "¥2,446.50"
    page = emma.get("/oa/purchase_request/new").text
    assert 'data-total="items-subtotal"' in page and 'data-total="items-quantity"' not in page


def test_the_record_page_shows_the_declared_totals_under_the_rows(app) -> None:
    lines = [{"day": "2026-11-02", "amount": "100"}, {"day": "2026-11-03", "amount": "200.50", "note": "7"}]
    saved = app.extensions["loom"].records.create(
        "webtest.expense", {"title": "出差", "lines": lines}, actor(app, "emma")
    )
    page = sign_in(app, "emma").get(f"/webtest/expense/{saved['id']}").text
    assert re.search(r'data-total="lines-amount">¥300\.50<', page)
    assert re.search(r'data-total="lines-with_tax">¥318\.53<', page)
    assert 'data-total="lines-note"' not in page


def test_the_claimant_sees_the_approved_amount_column_read_only_and_cannot_post_one(app) -> None:
    services = app.extensions["loom"]
    meals = services.records.create(
        "oa.expense_category", {"name": "餐费", "code": "meals"}, actor(app, "root")
    )
    emma = sign_in(app, "emma", "zh")
    form = emma.get("/oa/expense_claim/new").text
    approved = re.search(r'<input[^>]*id="f-lines-0-approved_amount"[^>]*>', form).group(0)
    assert "readonly" in approved
    posted = {
        "csrf_token": emma.csrf,
        "title": "客户午餐",
        "claimant": str(app.users["emma"]),
        "category": "daily",
        "lines-0-expense_date": "2026-11-20",
        "lines-0-category": str(meals["id"]),
        "lines-0-amount": "300",
    }
    refused = emma.post("/oa/expense_claim/new", data={**posted, "lines-0-approved_amount": "300"})
    assert refused.status_code == 422 and "此项不可修改。" in refused.text
    assert 'id="err-lines-0-approved_amount"' in refused.text
    saved = emma.post("/oa/expense_claim/new", data=posted)
    assert saved.status_code == 302
    claim = emma.get(saved.headers["Location"]).text
    assert re.search(r'data-total="lines-amount">¥300\.00<', claim)
    assert re.search(r'data-total="lines-approved_amount"></span>', claim)  # not reviewed yet


def test_the_api_meta_tells_clients_which_columns_are_totalled_and_read_only(app) -> None:
    meta = sign_in(app, "emma").get("/api/v1/meta").get_json()
    line = next(e for e in meta["entities"] if e["name"] == "oa.expense_line")
    fields = {f["name"]: f for f in line["fields"]}
    assert {n for n, f in fields.items() if f.get("total") == "sum"} == {"amount", "approved_amount"}
    assert fields["approved_amount"]["readonly"] and not fields["amount"]["readonly"]
