"""Listing: every filter operator, paths through links and child rows, search, sort, pages."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy import insert

from loom.platform.records import query as query_module
from loom.platform.records.access import Access
from loom.platform.records.errors import ValidationFailed
from loom.platform.records.query import Condition
from loom.platform.records.query import ListQuery


@pytest.fixture
def filled(shop):
    """Twelve orders over three customers, with quantities 1..12 and varied lines."""
    customers = [
        shop.service.create("shop.customer", {"title": t, "industry": i}, shop.alice)
        for t, i in (("华为", "it"), ("招商银行", "finance"), ("永辉超市", "retail"))
    ]
    for n in range(1, 13):
        shop.service.create(
            "shop.order_doc",
            {
                "title": f"订单 {n:02d}" + (" 加急" if n % 4 == 0 else ""),
                "quantity": n,
                "customer": customers[n % 3]["id"],
                "status": ("draft", "confirmed", "shipped")[n % 3],
                "notes": None if n % 2 else "备注",
                "lines": [{"product": "螺丝" if n % 2 else "螺母", "quantity": str(n), "price": "1"}],
            },
            shop.alice,
        )
    return shop


def quantities(shop, *conditions: Condition, **options) -> list[int]:
    options.setdefault("sort", ("quantity",))
    page = shop.service.list("shop.order_doc", ListQuery(filters=conditions, **options), shop.alice)
    return [r["quantity"] for r in page.records]


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (Condition("quantity", "eq", "3"), [3]),
        (Condition("quantity", "ne", 3), [1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12]),
        (Condition("quantity", "lt", 3), [1, 2]),
        (Condition("quantity", "lte", 3), [1, 2, 3]),
        (Condition("quantity", "gt", 10), [11, 12]),
        (Condition("quantity", "gte", 10), [10, 11, 12]),
        (Condition("quantity", "in", [2, 5, 99]), [2, 5]),
        (Condition("quantity", "not_in", list(range(3, 13))), [1, 2]),
        (Condition("quantity", "between", [4, 6]), [4, 5, 6]),
        (Condition("title", "contains", "加急"), [4, 8, 12]),
        (Condition("title", "starts_with", "订单 1"), [10, 11, 12]),
        (Condition("notes", "is_null", True), [1, 3, 5, 7, 9, 11]),
        (Condition("status", "eq", "shipped"), [2, 5, 8, 11]),
        (Condition("customer.industry", "eq", "finance"), [1, 4, 7, 10]),
        (Condition("lines.product", "eq", "螺母"), [2, 4, 6, 8, 10, 12]),
        (Condition("lines.quantity", "gt", "10"), [11, 12]),
        (Condition("total", "gte", "12"), [12]),
        (Condition("title", "contains", "%"), []),
    ],
)
def test_filter_operators(filled, condition, expected) -> None:
    assert quantities(filled, condition) == expected


def test_search_sort_and_selected_fields(filled) -> None:
    page = filled.service.list(
        "shop.order_doc",
        ListQuery(q="加急", sort=("-quantity",), fields=("title", "quantity", "lines")),
        filled.alice,
    )
    assert [r["quantity"] for r in page.records] == [12, 8, 4]
    assert set(page.records[0]) == {"id", "version", "title", "quantity", "lines"}
    assert page.records[0]["lines"][0]["product"] == "螺母"
    multi = quantities(filled, sort=("status", "-quantity"))
    assert multi == [10, 7, 4, 1, 12, 9, 6, 3, 11, 8, 5, 2]  # confirmed < draft < shipped


def test_sums_total_every_matching_row_not_just_the_page(filled) -> None:
    """A board's column totals: over all rows the filters, search and scope admit."""
    confirmed = (Condition("status", "eq", "confirmed"),)
    page = filled.service.list(
        "shop.order_doc", ListQuery(filters=confirmed, page_size=2, sums=("quantity", "total")), filled.alice
    )
    assert len(page.records) == 2 and page.total == 4
    assert page.sums["quantity"] == 1 + 4 + 7 + 10
    assert page.sums["total"] == 22  # each order's one line: quantity × 1
    none = filled.service.list("shop.order_doc", ListQuery(q="无此订单", sums=("quantity",)), filled.alice)
    assert none.sums == {"quantity": 0}
    assert filled.service.list("shop.order_doc", ListQuery(), filled.alice).sums == {}


def test_offset_pages_and_cursor_pages_agree(filled) -> None:
    by_offset = [quantities(filled, page=p, page_size=5, sort=("-quantity",)) for p in (1, 2, 3)]
    assert by_offset == [[12, 11, 10, 9, 8], [7, 6, 5, 4, 3], [2, 1]]
    seen, totals, cursor = [], [], None
    while True:
        query = ListQuery(sort=("-total", "title"), page_size=5, cursor=cursor)
        page = filled.service.list("shop.order_doc", query, filled.alice)
        seen += [r["quantity"] for r in page.records]
        totals.append(page.total)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == list(range(12, 0, -1))
    assert totals == [12, None, None]  # counted once, on the walk's first page


def test_a_cursor_page_is_counted_only_when_asked(filled, monkeypatch) -> None:
    first = filled.service.list("shop.order_doc", ListQuery(sort=("-quantity",), page_size=5), filled.alice)
    counted: list[str] = []
    real = query_module.Lister._count

    def count(self, c, table, where, mode):
        counted.append(mode)
        return real(self, c, table, where, mode)

    monkeypatch.setattr(query_module.Lister, "_count", count)
    later = ListQuery(sort=("-quantity",), page_size=5, cursor=first.next_cursor)
    assert filled.service.list("shop.order_doc", later, filled.alice).total is None
    exact = filled.service.list("shop.order_doc", replace(later, count="exact"), filled.alice)
    assert (exact.total, exact.total_is_lower_bound) == (12, False)
    assert counted == ["none", "exact"]


def test_the_last_page_tells_its_total_without_a_count(filled, monkeypatch) -> None:
    """A page that ends the list holds the total already; only a page past the end, or one with
    more after it, counts."""
    counted: list[str] = []
    real = query_module.Lister._count

    def count(self, c, table, where, mode):
        counted.append(mode)
        return real(self, c, table, where, mode)

    monkeypatch.setattr(query_module.Lister, "_count", count)
    pages = [
        filled.service.list("shop.order_doc", ListQuery(page=p, page_size=5, count=mode), filled.alice)
        for p, mode in ((3, "auto"), (1, "exact"), (9, "auto"), (2, "auto"))
    ]
    assert [(p.total, p.total_is_lower_bound, len(p.records)) for p in pages] == [
        (12, False, 2),
        (12, False, 5),
        (12, False, 0),
        (12, False, 5),
    ]
    assert counted == ["exact", "auto", "auto"]  # page 3 ended the list; 9 is past it
    small = ListQuery(filters=(Condition("quantity", "lt", 3),), page_size=5)
    assert filled.service.list("shop.order_doc", small, filled.alice).total == 2
    assert len(counted) == 3


def test_count_is_capped_unless_exact_is_asked(filled, monkeypatch) -> None:
    monkeypatch.setattr(query_module, "COUNT_CAP", 5)
    capped = filled.service.list("shop.order_doc", ListQuery(page_size=2), filled.alice)
    assert (capped.total, capped.total_is_lower_bound) == (5, True)
    exact = filled.service.list("shop.order_doc", ListQuery(page_size=2, count="exact"), filled.alice)
    assert (exact.total, exact.total_is_lower_bound) == (12, False)
    none = filled.service.list("shop.order_doc", ListQuery(page_size=2, count="none"), filled.alice)
    assert none.total is None


@pytest.mark.parametrize(
    ("query", "field", "code"),
    [
        (ListQuery(filters=(Condition("colour", "eq", 1),)), "filter.0", "bad_field"),
        (ListQuery(filters=(Condition("quantity", "like", 1),)), "filter.0", "bad_operator"),
        (ListQuery(filters=(Condition("quantity", "eq", "many"),)), "filter.0", "bad_value"),
        (ListQuery(filters=(Condition("quantity", "between", [1]),)), "filter.0", "bad_value"),
        (ListQuery(filters=(Condition("customer.colour", "eq", 1),)), "filter.0", "bad_field"),
        (ListQuery(sort=("lines",)), "sort", "bad_field"),
        (ListQuery(cursor="not-a-cursor"), "cursor", "bad_cursor"),
        (ListQuery(page_size=10_000), "page_size", "max"),
        (ListQuery(sums=("title",)), "sums", "bad_field"),
        (ListQuery(sums=("colour",)), "sums", "bad_field"),
    ],
)
def test_bad_list_parameters_are_field_errors(filled, query, field, code) -> None:
    with pytest.raises(ValidationFailed) as info:
        filled.service.list("shop.order_doc", query, filled.alice)
    assert [(e.field, e.code) for e in info.value.errors] == [(field, code)]


@pytest.mark.parametrize(
    "sort", [("-created_at",), ("notes", "quantity"), ("-notes",), ("unit_price", "-quantity")]
)
def test_cursor_pages_cover_every_row_once_even_with_empty_values(filled, sort) -> None:
    seen, cursor = [], None
    for _ in range(20):
        query = ListQuery(sort=sort, page_size=5, cursor=cursor, fields=("title",))
        page = filled.service.list("shop.order_doc", query, filled.alice)
        seen += [r["title"] for r in page.records]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert sorted(seen) == sorted(
        r["title"]
        for r in filled.service.list("shop.order_doc", ListQuery(page_size=50), filled.alice).records
    )
    assert len(seen) == 12


def test_a_read_scope_of_all_builds_no_share_subquery(shop, monkeypatch) -> None:
    access = Access(shop.runtime)
    tables = shop.runtime.schema.of("shop.order_doc")
    decision = access.permissions.decide(shop.alice, tables.entity, "read")
    assert decision.scope == "all"

    def no_shares(*args):
        raise AssertionError("the share subquery was built")

    monkeypatch.setattr(Access, "shared", no_shares)
    with shop.runtime.engine.connect() as conn:
        assert access.clause(conn, shop.alice, tables, decision) is None


def test_the_declared_sort_is_read_from_an_index(shop) -> None:
    """order_doc's list sorts by -created_at; the page must come from its index, not a sort of
    every row (checked with each database's own plan of the statement the lister runs)."""
    runtime = shop.runtime
    table = runtime.schema.of("shop.order_doc").table
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    rows = [
        {"title": f"订单 {i}", "created_at": start + dt.timedelta(minutes=i), "updated_at": start}
        for i in range(3000)
    ]
    with runtime.engine.begin() as conn:
        conn.execute(insert(table), rows)
        conn.exec_driver_sql("ANALYZE")
    statements: list[tuple[str, Any]] = []

    def keep(conn, cursor, statement, parameters, context, executemany) -> None:
        if "ORDER BY" in statement:
            statements.append((statement, parameters))

    event.listen(runtime.engine, "before_cursor_execute", keep)
    try:
        page = shop.service.list("shop.order_doc", ListQuery(page_size=20), shop.alice)
    finally:
        event.remove(runtime.engine, "before_cursor_execute", keep)
    assert page.records[0]["title"] == "订单 2999"
    [(statement, parameters)] = statements
    postgres = runtime.engine.dialect.name == "postgresql"
    with runtime.engine.connect() as conn:
        explain = "EXPLAIN " if postgres else "EXPLAIN QUERY PLAN "
        plan = "\n".join(str(row[-1]) for row in conn.exec_driver_sql(explain + statement, parameters))
    assert "ix_shop_order_doc__created_at_desc_id_desc" in plan, plan
    if postgres:
        assert "Seq Scan" not in plan, plan
    else:
        assert "TEMP B-TREE FOR ORDER BY" not in plan, plan
