"""Declared sorts are read from an index on both databases (loom.platform.ordering).

Each case lists a page the way the service does, then asks the database for its own plan of
that very statement: PostgreSQL must read it with an index scan and no Sort node, SQLite
with an index and no temporary B-tree for the ORDER BY.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy import insert

from loom.metadata import validate_paths
from loom.platform.actor import Actor
from loom.platform.database import make_engine
from loom.platform.ordering import SortIndex
from loom.platform.ordering import sort_indexes
from loom.platform.records.query import Condition
from loom.platform.records.query import ListQuery
from loom.platform.records.service import RecordService
from loom.platform.runtime import Runtime

DEAL = """\
kind: entity
name: deal
label: {zh: 商机, en: Deal}
title_field: title
fields:
  - {name: title, type: string, required: true}
  - {name: stage, type: select, options: [lead, won, lost]}
  - {name: amount, type: money}
  - {name: closes_on, type: date}
  - {name: seller, type: user}
  - {name: hot, type: boolean}
list:
  filters: [stage]
  sort: -amount
  views:
    - {name: mine, label: {zh: 我的, en: Mine}, filter: "seller == current_user"}
    - {name: hot, label: {zh: 热门, en: Hot}, filter: "hot && closes_on != null", sort: closes_on}
    - {name: all, label: {zh: 全部, en: All}, filter: "true"}
permissions:
  - {role: employee, read: all}
"""
ROWS = 6000


@pytest.fixture(scope="module")
def deals(module_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    folder = tmp_path_factory.mktemp("package") / "sales"
    (folder / "entities").mkdir(parents=True)
    (folder / "app.yaml").write_text("kind: app\nname: sales\nlabel: Sales\nversion: 1.0.0\n")
    (folder / "entities" / "deal.yaml").write_text(textwrap.dedent(DEAL), encoding="utf-8")
    catalog = validate_paths([Path(folder)]).catalog
    assert catalog is not None
    runtime = Runtime.for_catalog(catalog, make_engine(module_database_url))
    runtime.schema.metadata.create_all(runtime.engine)
    users = runtime.schema.metadata.tables["loom_users"]
    table = runtime.schema.of("sales.deal").table
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    with runtime.engine.begin() as conn:
        seller = conn.execute(
            insert(users).values(login="li", name="李", created_at=now).returning(users.c.id)
        ).scalar_one()
        conn.execute(
            insert(table),
            [
                {
                    "title": f"商机 {i}",
                    "stage": ("lead", "won", "lost")[i % 3],
                    "amount": None if i % 10 == 0 else Decimal(i * 7 % 5000),
                    "closes_on": None if i % 4 == 0 else dt.date(2026, 1, 1) + dt.timedelta(days=i % 300),
                    "seller": seller if i % 5 == 0 else None,
                    "hot": i % 2 == 0,
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(ROWS)
            ],
        )
        conn.exec_driver_sql("ANALYZE")
    yield runtime, RecordService(runtime), Actor(seller, "li", frozenset({"employee"}))
    runtime.engine.dispose()


def listed(deals: Any, query: ListQuery) -> tuple[list[dict[str, Any]], str]:
    """The page, and the database's plan of the statement that read it."""
    runtime, service, actor = deals
    statements: list[tuple[str, Any]] = []

    def keep(conn, cursor, statement, parameters, context, executemany) -> None:
        if "ORDER BY" in statement:
            statements.append((statement, parameters))

    event.listen(runtime.engine, "before_cursor_execute", keep)
    try:
        page = service.list("sales.deal", query, actor)
    finally:
        event.remove(runtime.engine, "before_cursor_execute", keep)
    [(statement, parameters)] = statements
    postgres = runtime.engine.dialect.name == "postgresql"
    with runtime.engine.connect() as conn:
        explain = "EXPLAIN " if postgres else "EXPLAIN QUERY PLAN "
        plan = "\n".join(str(row[-1]) for row in conn.exec_driver_sql(explain + statement, parameters))
    return page.records, plan


def assert_read_in_order(deals: Any, plan: str, index: str) -> None:
    assert index in plan, plan
    if deals[0].engine.dialect.name == "postgresql":
        assert "Index Scan" in plan, plan
        assert "Sort" not in plan and "Seq Scan" not in plan, plan
    else:
        assert "TEMP B-TREE FOR ORDER BY" not in plan, plan


def test_the_list_sort_on_a_column_that_may_be_empty_is_read_from_an_index(deals) -> None:
    """-amount: largest first, empty amounts last, on both databases."""
    records, plan = listed(deals, ListQuery(page_size=20))
    assert_read_in_order(deals, plan, "ix_sales_deal__amount_desc_id_desc")
    amounts = [r["amount"] for r in records]
    assert amounts == sorted(amounts, reverse=True) and amounts[0] == Decimal(4999)
    last, _ = listed(deals, ListQuery(page=ROWS // 20, page_size=20))
    assert [r["amount"] for r in last] == [None] * 20  # empty values last
    assert [r["id"] for r in last] == sorted((r["id"] for r in last), reverse=True)


def test_a_list_filter_with_the_list_sort_is_read_from_one_index(deals) -> None:
    query = ListQuery(filters=(Condition("stage", "eq", "won"),), page=3, page_size=50)
    records, plan = listed(deals, query)
    assert_read_in_order(deals, plan, "ix_sales_deal__stage_amount_desc_id_desc")
    assert {r["stage"] for r in records} == {"won"}


def test_the_ascending_sort_puts_empty_values_last_too(deals) -> None:
    records, _ = listed(deals, ListQuery(sort=("amount",), page_size=500))
    amounts = [r["amount"] for r in records]
    assert None not in amounts and amounts == sorted(amounts)
    last, _ = listed(deals, ListQuery(sort=("amount",), page=ROWS // 20, page_size=20))
    assert [r["amount"] for r in last] == [None] * 20


@pytest.mark.parametrize(
    ("view", "index"),
    [
        ("mine", "ix_sales_deal__seller_amount_desc_id_desc"),
        ("hot", "ix_sales_deal__hot_closes_on_id"),
    ],
)
def test_a_view_is_read_from_the_index_led_by_what_it_pins(deals, view, index) -> None:
    records, plan = listed(deals, ListQuery(view=view, page_size=20))
    assert_read_in_order(deals, plan, index)
    assert len(records) == 20


def test_which_sorts_get_an_index(deals) -> None:
    runtime = deals[0]
    entity = runtime.catalog.entity("sales.deal")
    table = runtime.schema.of("sales.deal").table
    by_amount = (("amount", True), ("id", True))
    assert sort_indexes(entity, set(table.c.keys())) == [
        SortIndex((), by_amount),  # the list's sort
        SortIndex(("stage",), by_amount),  # a list filter, then the list's sort
        SortIndex(("seller",), by_amount),  # a view pinning the seller, with the list's sort
        SortIndex(("hot",), (("closes_on", False), ("id", False))),  # a view with a sort of its own
    ]  # the view of everything pins nothing and sorts as the list does: no index of its own
    names = {ix.name for ix in table.indexes}
    assert "ix_sales_deal__seller" not in names  # the lone index makes way for the longer one
