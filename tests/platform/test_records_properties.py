"""No input makes the records service raise anything but its own errors (hypothesis)."""

from __future__ import annotations

from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from sqlalchemy import select

from loom.platform.records.errors import RecordError
from loom.platform.records.query import Condition
from loom.platform.records.query import ListQuery

FIELDS = [
    "title", "customer", "buyer", "ordered_on", "quantity", "unit_price", "discount", "urgent", "tags",
    "status", "approved_by", "lines", "related", "total", "notes", "id", "version", "owner", "nonsense",
]  # fmt: skip
scalars = (
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=50)
    | st.sampled_from(["2026-01-01", "1e400", "NaN", "-0", "draft", "vip", "", " ", "12:30", "true"])
)  # fmt: skip
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(FIELDS), inner, max_size=4),
)
records = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=10), values, max_size=8)
lines = st.lists(
    st.fixed_dictionaries({"product": st.text(max_size=5)}, optional={"quantity": values, "price": values}),
    max_size=3,
)
SLOW = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SLOW
@given(data=records, rows=lines)
def test_create_and_update_raise_only_record_errors(shop, data, rows) -> None:
    """A refused write changes nothing; an accepted one reads back as it answered."""
    for payload in (data, {**data, "title": "ok", "lines": rows}):
        before = stored(shop)
        try:
            record = shop.service.create("shop.order_doc", payload, shop.alice)
        except RecordError:
            assert stored(shop) == before
            continue
        assert shop.service.get("shop.order_doc", record["id"], shop.alice) == record
        before = stored(shop)
        try:
            updated = shop.service.update("shop.order_doc", record["id"], data, shop.alice)
        except RecordError:
            assert stored(shop) == before
        else:
            assert updated["version"] >= record["version"]


@SLOW
@given(
    field=st.sampled_from([*FIELDS, "customer.title", "lines.product", "lines.x", "a.b.c"]),
    op=st.sampled_from(["eq", "ne", "lt", "in", "not_in", "between", "contains", "is_null", "bogus"]),
    value=values,
    sort=st.lists(st.sampled_from([*FIELDS, "-quantity", "-", ""]), max_size=3),
    cursor=st.none() | st.text(max_size=30),
    q=st.none() | st.text(max_size=10),
)
def test_list_raises_only_record_errors(shop, field, op, value, sort, cursor, q) -> None:
    query = ListQuery(filters=(Condition(field, op, value),), sort=tuple(sort), cursor=cursor, q=q)
    try:
        page = shop.service.list("shop.order_doc", query, shop.alice)
    except RecordError:
        return
    assert len(page.records) <= query.page_size
    assert all(isinstance(r["id"], int) for r in page.records)


def stored(shop) -> list[tuple]:
    """Every row of the order table, to show that a refused write left nothing behind."""
    table = shop.runtime.schema.metadata.tables["shop_order_doc"]
    with shop.runtime.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(select(table).order_by(table.c.id))]
