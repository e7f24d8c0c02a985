"""Computed fields and rules as the records service evaluates them (no database needed)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from loom.metadata import validate_paths
from loom.metadata.catalog import Entity
from loom.platform.actor import Actor
from loom.platform.records import logic

NOW = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)
ACTOR = Actor(1, "alice", frozenset({"employee"}))
# Each computed field reads the one declared after it: three deep, so evaluating the list
# in declaration order twice (as before) left the first one a step behind.
CHAIN = """\
    kind: entity
    name: invoice
    label: Invoice
    fields:
      - {name: label, type: computed, result: string, compute: "'total ' + string(total)"}
      - {name: total, type: computed, result: money, compute: "net * 1.1"}
      - {name: net, type: computed, result: money, compute: "double(quantity) * price"}
      - {name: quantity, type: integer}
      - {name: price, type: money}
      - {name: note, type: string}
    rules:
      - {check: "total < 1000.0", field: total, message: Too much}
      - {check: "note != ''", when: "quantity > 5", field: note, message: Say why}
    """


def invoice(write_package) -> Entity:
    catalog = validate_paths([write_package({"entities/invoice.yaml": CHAIN})]).catalog
    assert catalog is not None
    return catalog.entity("shop.invoice")


def test_computed_fields_reading_later_ones_are_right_in_one_write(write_package) -> None:
    entity = invoice(write_package)
    record = {"quantity": 3, "price": Decimal("10.00")}
    logic.apply_computed(entity, record, ACTOR, NOW)
    assert record["net"] == Decimal("30.00")
    assert record["total"] == Decimal("33.00")
    assert record["label"] == "total 33"


def test_each_computed_field_is_evaluated_once(write_package, monkeypatch) -> None:
    entity = invoice(write_package)
    seen: list[str] = []
    real = logic.evaluate

    def counting(expression, names):
        seen.append(expression.source)
        return real(expression, names)

    monkeypatch.setattr(logic, "evaluate", counting)
    logic.apply_computed(entity, {"quantity": 1, "price": Decimal("1")}, ACTOR, NOW)
    assert sorted(seen) == sorted(f.compute.source for f in entity.fields if f.compute is not None)


def test_rules_see_null_fields_and_missing_inputs_do_not_block(write_package) -> None:
    entity = invoice(write_package)
    record = {"quantity": 9, "price": Decimal("200.00"), "note": ""}
    logic.apply_computed(entity, record, ACTOR, NOW)
    assert {e.field for e in logic.broken_rules(entity, record, ACTOR, NOW)} == {"total", "note"}
    empty: dict = {}
    logic.apply_computed(entity, empty, ACTOR, NOW)
    assert empty["net"] is None and empty["total"] is None
    assert logic.broken_rules(entity, empty, ACTOR, NOW) == []


def test_names_convert_values_for_cel_when_read(write_package) -> None:
    names = logic.variables(invoice(write_package), {"price": Decimal("2.50")}, ACTOR, NOW)
    assert names["price"] == 2.5 and names["note"] is None and names["current_user"] == 1
    assert names["now"] == NOW and names["today"] == "2026-03-01"
    assert {"id", "owner", "quantity"} <= set(names)
