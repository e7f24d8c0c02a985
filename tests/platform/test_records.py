"""The records service through a real database: every write path and every validation rule."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event
from sqlalchemy import select

from loom.platform.actor import SYSTEM
from loom.platform.records.errors import Conflict
from loom.platform.records.errors import NotFound
from loom.platform.records.errors import Referenced
from loom.platform.records.errors import ValidationFailed
from loom.platform.records.query import ListQuery

LINE = {"product": "螺丝", "quantity": "2", "price": "1.50"}


def order(**values):
    return {"title": "订单", "lines": [dict(LINE)], **values}


def errors_of(call) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as info:
        call()
    return {e.field: e.code for e in info.value.errors}


def test_create_fills_defaults_numbers_computes_and_stores_children(shop) -> None:
    customer = shop.service.create("shop.customer", {"title": "华为", "code": "C1"}, shop.alice)
    record = shop.service.create(
        "shop.order_doc",
        order(customer=customer["id"], related=[customer["id"]], lines=[LINE, {**LINE, "quantity": "3"}]),
        shop.alice,
    )
    local = dt.datetime.now(ZoneInfo("Asia/Shanghai"))  # the site's calendar, not UTC's
    year = local.year
    assert record["number"] == f"SO-{year}-0001"
    assert record["buyer"] == shop.alice.id and record["owner"] == shop.alice.id
    assert record["ordered_on"] == local.date()
    assert (record["quantity"], record["status"], record["urgent"]) == (1, "draft", False)
    assert record["flow_status"] == "draft" and record["version"] == 1
    assert [line["amount"] for line in record["lines"]] == [Decimal("3.00"), Decimal("4.50")]
    assert [line["unit"] for line in record["lines"]] == ["pcs", "pcs"]  # child rows get defaults too
    assert record["total"] == Decimal("7.50")
    assert record["related"] == [customer["id"]]
    assert record["created_at"].tzinfo is not None
    second = shop.service.create("shop.order_doc", order(), shop.bob)
    assert second["number"] == f"SO-{year}-0002"


@pytest.mark.parametrize(
    ("values", "field", "code", "english"),
    [
        ({"title": None}, "title", "required", "This field is required."),
        ({"title": "x" * 41}, "title", "too_long", "At most 40 characters."),
        ({"quantity": 0}, "quantity", "min", "Must be at least 1."),
        ({"quantity": 1001}, "quantity", "max", "Must be at most 1000."),
        ({"quantity": "many"}, "quantity", "invalid", "Not a valid whole number."),
        ({"unit_price": "1.234"}, "unit_price", "decimals", "At most 2 decimal places."),
        ({"unit_price": "1e30"}, "unit_price", "digits", "Too large: at most 16 digits before the point."),
        ({"unit_price": "NaN"}, "unit_price", "invalid", "Not a valid number."),
        ({"status": "lost"}, "status", "not_option", "'lost' is not one of: draft, confirmed, shipped."),
        ({"tags": ["vip", "gold"]}, "tags.1", "not_option", "'gold' is not one of: new, vip, export."),
        ({"ordered_on": "2026-02-30"}, "ordered_on", "invalid", "Not a valid date (YYYY-MM-DD)."),
        ({"urgent": "perhaps"}, "urgent", "invalid", "Not a valid yes/no value."),
        ({"customer": 999}, "customer", "link_not_found", "The linked record 999 does not exist."),
        ({"customer": "1"}, "customer", "invalid", "Not a valid record id."),
        ({"approved_by": "me"}, "approved_by", "readonly", "This field cannot be changed."),
        ({"colour": "red"}, "colour", "unknown", "There is no such field."),
        ({"lines": []}, "lines", "rows_min", "At least 1 row(s)."),
        ({"lines": [{"quantity": "1"}]}, "lines.0.product", "required", "This field is required."),
        ({"lines": [{**LINE, "price": "x"}]}, "lines.0.price", "invalid", "Not a valid number."),
        ({"discount": 20}, "notes", "rule", "A discount over 10% needs a note"),
        ({"lines": [{**LINE, "price": "-1"}]}, "lines.0.price", "rule", "The price cannot be negative"),
        ({"deliver_at": "2019-05-01T10:00:00"}, "deliver_at", "rule", "Delivery is too early"),
    ],
)
def test_each_rule_names_the_field_and_says_why(shop, values, field, code, english) -> None:
    with pytest.raises(ValidationFailed) as info:
        shop.service.create("shop.order_doc", order(**values), shop.alice)
    (error,) = [e for e in info.value.errors if e.field == field]
    assert error.code == code
    assert error.message("en") == english
    assert error.message("zh") != english
    nothing = shop.service.list("shop.order_doc", ListQuery(count="exact"), shop.alice)
    assert nothing.total == 0  # nothing was written


def test_a_computed_value_past_its_column_is_refused_though_each_entered_value_fits(shop) -> None:
    """quantity (10,2) × price (18,2) can need more digits than amount's column (14 before the
    point): PostgreSQL would refuse the statement and SQLite store it; both refuse it here."""
    huge = {**LINE, "quantity": "10000000", "price": "10000000000"}
    with pytest.raises(ValidationFailed) as info:
        shop.service.create("shop.order_doc", order(lines=[huge]), shop.alice)
    errors = {e.field: e for e in info.value.errors}
    assert {f: e.code for f, e in errors.items()} == {
        "lines.0.amount": "computed_digits",
        "total": "computed_digits",
    }
    assert (
        errors["lines.0.amount"]
        .message("en")
        .startswith("The computed value 100000000000000000.00 is too large for this field: at most 14 digits")
    )
    assert (
        errors["total"]
        .message("zh")
        .startswith("计算结果 100000000000000000.00 超出此项范围：整数部分最多 16 位")
    )
    made = shop.service.create("shop.order_doc", order(), shop.alice)  # an edit that overflows
    refused = errors_of(
        lambda: shop.service.update("shop.order_doc", made["id"], {"lines": [huge]}, shop.alice)
    )
    assert refused == {"lines.0.amount": "computed_digits", "total": "computed_digits"}
    assert shop.service.get("shop.order_doc", made["id"], shop.alice)["total"] == Decimal("3.00")
    largest = {**LINE, "quantity": "10000000", "price": "1000000"}  # 14 digits: fits
    kept = shop.service.update("shop.order_doc", made["id"], {"lines": [largest]}, shop.alice)
    assert kept["total"] == Decimal("10000000000000.00")


def test_formats_and_uniqueness(shop) -> None:
    shop.service.create("shop.customer", {"title": "A", "code": "C1"}, shop.alice)
    found = errors_of(
        lambda: shop.service.create(
            "shop.customer",
            {"title": "B", "code": "C1", "email": "not-mail", "website": "ftp://x", "phone": "call me"},
            shop.alice,
        )
    )
    assert found == {"email": "email", "website": "url", "phone": "phone"}
    # Uniqueness is checked once the values themselves are valid.
    assert errors_of(
        lambda: shop.service.create("shop.customer", {"title": "B", "code": "C1"}, shop.alice)
    ) == {"code": "unique"}


def test_unique_child_values_across_records(shop) -> None:
    shop.service.create("shop.order_doc", order(lines=[{**LINE, "invoice_no": "INV-1"}]), shop.alice)
    assert errors_of(
        lambda: shop.service.create(
            "shop.order_doc", order(lines=[{**LINE, "invoice_no": "INV-1"}]), shop.alice
        )
    ) == {"lines.0.invoice_no": "unique"}


def test_update_is_partial_keeps_child_ids_and_audits(shop) -> None:
    record = shop.service.create(
        "shop.order_doc", order(lines=[LINE, {**LINE, "product": "螺母"}]), shop.alice
    )
    first, second = record["lines"]
    updated = shop.service.update(
        "shop.order_doc",
        record["id"],
        {"lines": [{**first, "quantity": "10"}, {"product": "垫片", "quantity": "1", "price": "2"}]},
        shop.bob,
        version=1,
    )
    assert updated["title"] == "订单" and updated["version"] == 2 and updated["updated_by"] == shop.bob.id
    assert updated["lines"][0]["id"] == first["id"]
    assert second["id"] not in [line["id"] for line in updated["lines"]]
    assert updated["total"] == Decimal("17.00")
    audit = shop.runtime.schema.metadata.tables["loom_audit"]
    with shop.runtime.engine.connect() as conn:
        rows = conn.execute(
            select(audit.c.action, audit.c.changes, audit.c.user_id).order_by(audit.c.id)
        ).all()
    assert [r.action for r in rows] == ["create", "update"]
    assert rows[1].changes["total"] == {"before": "6.00", "after": "17.00"}
    assert rows[1].user_id == shop.bob.id


def test_stale_version_is_a_conflict_and_changes_nothing(shop) -> None:
    record = shop.service.create("shop.order_doc", order(), shop.alice)
    shop.service.update("shop.order_doc", record["id"], {"title": "新"}, shop.alice, version=1)
    with pytest.raises(Conflict) as info:
        shop.service.update("shop.order_doc", record["id"], {"title": "旧"}, shop.bob, version=1)
    assert info.value.message("en").startswith("alice changed this record at ")  # who, and when
    assert shop.service.get("shop.order_doc", record["id"], shop.alice)["title"] == "新"


def test_delete_refuses_referenced_records_and_cascades_children(shop) -> None:
    customer = shop.service.create("shop.customer", {"title": "A"}, shop.alice)
    record = shop.service.create("shop.order_doc", order(customer=customer["id"]), shop.alice)
    with pytest.raises(Referenced):
        shop.service.delete("shop.customer", customer["id"], shop.alice)
    shop.service.delete("shop.order_doc", record["id"], shop.alice)
    with pytest.raises(NotFound):
        shop.service.get("shop.order_doc", record["id"], shop.alice)
    lines = shop.runtime.schema.of("shop.order_doc").children["lines"].table
    with shop.runtime.engine.connect() as conn:
        assert conn.execute(select(lines.c.id)).all() == []
    shop.service.delete("shop.customer", customer["id"], shop.alice)


def test_system_actor_may_set_readonly_fields_and_owner(shop) -> None:
    record = shop.service.create("shop.order_doc", order(approved_by="系统", owner=shop.bob.id), SYSTEM)
    assert record["approved_by"] == "系统" and record["owner"] == shop.bob.id
    assert record["created_by"] is None


def test_unknown_entity_and_record(shop) -> None:
    with pytest.raises(NotFound):
        shop.service.create("shop.nothing", {}, shop.alice)
    with pytest.raises(NotFound):
        shop.service.update("shop.order_doc", 12345, {"title": "x"}, shop.alice)


def test_a_link_filter_holds_on_save(shop) -> None:
    it = shop.service.create("shop.customer", {"title": "华为", "industry": "it"}, shop.alice)
    bank = shop.service.create("shop.customer", {"title": "招行", "industry": "finance"}, shop.alice)
    assert shop.service.create("shop.order_doc", order(partner=it["id"]), shop.alice)["partner"] == it["id"]
    assert errors_of(
        lambda: shop.service.create("shop.order_doc", order(partner=bank["id"]), shop.alice)
    ) == {"partner": "link_filtered"}


def test_a_create_with_lines_and_links_runs_one_statement_per_table(shop) -> None:
    """Links of the record and its rows to one entity are checked together (one query reads what
    the link filter needs too); the reply and the audit entry are built from what was written."""
    it = shop.service.create("shop.customer", {"title": "华为", "industry": "it"}, shop.alice)
    values = order(customer=it["id"], partner=it["id"], lines=[LINE, {**LINE, "quantity": "3"}])
    shop.service.create("shop.order_doc", values, shop.alice)  # the number series exists after
    statements: list[str] = []

    def keep(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(" ".join(statement.split()))

    engine = shop.runtime.engine
    event.listen(engine, "before_cursor_execute", keep)
    try:
        record = shop.service.create("shop.order_doc", values, shop.alice)
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    # BEGIN (SQLite), the customers, the buyer (a user), the number, the order, its lines, the audit.
    assert len(statements) <= 7, statements
    assert len([s for s in statements if "FROM shop_customer" in s]) == 1
    assert record == shop.service.get("shop.order_doc", record["id"], shop.alice)
    assert [line["amount"] for line in record["lines"]] == [Decimal("3.00"), Decimal("4.50")]


def test_the_lines_of_a_new_record_go_in_with_one_insert_and_no_lookup(shop) -> None:
    statements: list[str] = []

    def keep(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(" ".join(statement.split()))

    engine = shop.runtime.engine
    event.listen(engine, "before_cursor_execute", keep)
    try:
        record = shop.service.create("shop.order_doc", order(lines=[LINE, LINE, LINE]), shop.alice)
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    assert [line["amount"] for line in record["lines"]] == [Decimal("3.00")] * 3
    lines = [s for s in statements if "shop_order_doc__lines" in s]
    assert [s.split()[0] for s in lines] == ["INSERT"]  # it returns the rows for the reply
    kept = shop.service.update("shop.order_doc", record["id"], {"lines": record["lines"][:2]}, shop.alice)
    assert [line["id"] for line in kept["lines"]] == [line["id"] for line in record["lines"][:2]]
