"""Rollup fields stay equal to their aggregate on every write of the related records."""

from __future__ import annotations

import decimal
import threading

import pytest

from loom.platform.actor import SYSTEM
from loom.platform.records.errors import ValidationFailed

D = decimal.Decimal


def totals(sales, contract_id: int) -> tuple:
    found = sales.get("contract", contract_id)
    return found["received_total"], found["receivable_count"], found["unpaid"]


def test_insert_update_reparent_and_delete_keep_the_rollup_exact(sales) -> None:
    first = sales.create("contract", title="一号合同", amount="1000")
    second = sales.create("contract", title="二号合同", amount="500")
    assert totals(sales, first["id"]) == (D("0.00"), 0, D("1000.00"))

    a = sales.create("receivable", contract=first["id"], amount="300")
    b = sales.create("receivable", contract=first["id"], amount="200", confirmed=False)
    assert totals(sales, first["id"]) == (D("300.00"), 2, D("700.00"))  # unconfirmed: counted, not summed

    sales.update("receivable", b["id"], confirmed=True)
    assert totals(sales, first["id"]) == (D("500.00"), 2, D("500.00"))

    sales.update("receivable", a["id"], contract=second["id"])  # re-parented: both contracts change
    assert totals(sales, first["id"]) == (D("200.00"), 1, D("800.00"))
    assert totals(sales, second["id"]) == (D("300.00"), 1, D("200.00"))

    sales.services.records.delete("sales.receivable", b["id"], sales.users["anna"])
    assert totals(sales, first["id"]) == (D("0.00"), 0, D("1000.00"))


def test_a_rollup_change_is_audited_and_bumps_the_version(sales) -> None:
    contract = sales.create("contract", title="合同", amount="100")
    sales.create("receivable", contract=contract["id"], amount="40")
    after = sales.get("contract", contract["id"])
    assert after["version"] == contract["version"] + 1
    audit = sales.services.runtime.schema.metadata.tables["loom_audit"]
    with sales.services.runtime.engine.connect() as conn:
        rows = conn.execute(audit.select().where(audit.c.record_id == contract["id"])).mappings().all()
    changed = [r["changes"] for r in rows if r["entity"] == "sales.contract" and r["action"] == "update"]
    assert changed and changed[-1]["received_total"] == {"before": "0.00", "after": "40.00"}


def test_a_sum_past_its_column_refuses_the_write_that_caused_it(sales) -> None:
    """Each amount fits its column (16 digits before the point); their sum does not fit the
    rollup's, which PostgreSQL would refuse and SQLite store: both refuse the second write."""
    contract = sales.create("contract", title="合同", amount="9000000000000000")
    sales.create("receivable", contract=contract["id"], amount="9000000000000000")
    with pytest.raises(ValidationFailed) as info:
        sales.create("receivable", contract=contract["id"], amount="1000000000000000")
    [error] = info.value.errors
    assert (error.field, error.code) == ("received_total", "computed_digits")
    assert "10000000000000000.00" in error.message("en") and "16" in error.message("zh")
    assert totals(sales, contract["id"])[:2] == (D("9000000000000000.00"), 1)  # nothing was written


def test_concurrent_inserts_give_an_exact_total(sales) -> None:
    contract = sales.create("contract", title="并发合同", amount="100000")
    errors: list[BaseException] = []

    def add(n: int) -> None:
        try:
            sales.services.records.create(
                "sales.receivable", {"contract": contract["id"], "amount": str(n)}, SYSTEM
            )
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=add, args=(n,)) for n in range(1, 17)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert totals(sales, contract["id"]) == (D(sum(range(1, 17))).quantize(D("0.01")), 16, D("99864.00"))


def test_recompute_rebuilds_a_rollup_in_bulk(sales) -> None:
    contracts = [sales.create("contract", title=f"合同{i}", amount="100") for i in range(5)]
    for i, contract in enumerate(contracts):
        sales.create("receivable", contract=contract["id"], amount=str(10 * (i + 1)))
    table = sales.services.runtime.schema.of("sales.contract").table
    with sales.services.runtime.engine.begin() as conn:
        conn.execute(table.update().values(received_total=0))  # stored values gone wrong
    rollups = sales.services.records.rollups
    [(parent, field)] = [f for f in rollups.fields_of("sales.contract.received_total")]
    seen: list[int] = []
    assert rollups.recompute(parent, field, batch=2, progress=seen.append) == 5
    assert seen == [2, 2, 1]
    assert [sales.get("contract", c["id"])["received_total"] for c in contracts] == [
        D("10.00"),
        D("20.00"),
        D("30.00"),
        D("40.00"),
        D("50.00"),
    ]


def test_a_rollup_of_dates_is_refused_by_the_validator(write_package) -> None:
    from loom.metadata import validate_paths

    files = {
        "entities/contract.yaml": """\
            kind: entity
            name: contract
            label: Contract
            fields:
              - name: last_paid_on
                type: rollup
                rollup: {of: receivable, via: contract, aggregate: max, field: paid_on}
            """,
        "entities/receivable.yaml": """\
            kind: entity
            name: receivable
            label: Receivable
            fields:
              - {name: contract, type: link, entity: contract}
              - {name: paid_on, type: date}
            """,
    }
    problems = [p.render() for p in validate_paths([write_package(files)]).problems]
    assert len(problems) == 1 and "/fields/0/rollup/field" in problems[0] and "date" in problems[0]


def test_a_rollup_over_the_approval_status_follows_the_flow(sales) -> None:
    customer = sales.create("customer", title="统计")
    contract = sales.create("contract", title="合同", amount="10", customer=customer["id"])
    sales.services.flows.submit("sales.contract", contract["id"], sales.users["anna"])
    assert sales.get("customer", customer["id"])["approved_contracts"] == 0
    sales.services.flows.act("sales.contract", contract["id"], sales.users["fina"], "approve", {})
    assert sales.get("customer", customer["id"])["approved_contracts"] == 1
