"""A runtime over a small but complete test package, on each test database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import insert

from loom.metadata import validate_paths
from loom.platform.actor import Actor
from loom.platform.database import make_engine
from loom.platform.records.service import RecordService
from loom.platform.runtime import Runtime

SHOP = {
    "entities/customer.yaml": """\
        kind: entity
        name: customer
        label: {zh: 客户, en: Customer}
        title_field: title
        fields:
          - {name: title, type: string, required: true, max_length: 40, search: true}
          - {name: code, type: string, unique: true, max_length: 20}
          - {name: industry, type: select, options: [it, finance, retail]}
          - {name: email, type: email}
          - {name: website, type: url}
          - {name: phone, type: phone, search: true}
        permissions:
          - {role: employee, create: true, read: all, write: all, delete: all}
        """,
    "entities/order.yaml": """\
        kind: entity
        name: order_doc
        label: {zh: 订单, en: Order}
        title_field: title
        fields:
          - {name: number, type: autonumber, pattern: "SO-{YYYY}-{####}", reset: yearly}
          - {name: title, type: string, required: true, max_length: 40, search: true}
          - {name: customer, type: link, entity: customer}
          - {name: partner, type: link, entity: customer, filter: 'industry == "it"'}
          - {name: buyer, type: user, default: "=current_user"}
          - {name: ordered_on, type: date, default: "=today"}
          - {name: quantity, type: integer, min: 1, max: 1000, default: 1}
          - {name: unit_price, type: money, min: 0}
          - {name: discount, type: percent, max: 100}
          - {name: urgent, type: boolean, default: false}
          - {name: deliver_at, type: datetime}
          - {name: tags, type: multiselect, options: [new, vip, export]}
          - {name: status, type: select, options: [draft, confirmed, shipped], default: draft}
          - {name: approved_by, type: string, readonly: true}
          - {name: lines, type: table, entity: order_line, min_rows: 1, max_rows: 50}
          - {name: related, type: many, entity: customer}
          - {name: total, type: money, compute: "sum(lines.map(l, l.amount))"}
          - {name: notes, type: text}
          - {name: contract_scan, type: file, accept: [.pdf, image/*], max_size: 1000}
          - {name: photos, type: image, multiple: true}
        rules:
          - name: delivery_after_order
            check: "deliver_at == null || deliver_at > timestamp('2020-01-01T00:00:00Z')"
            field: deliver_at
            message: {zh: 交货时间太早, en: Delivery is too early}
          - name: discount_needs_reason
            check: "discount <= 10.0 || notes != null"
            field: notes
            message: {zh: 折扣超过 10% 需要说明, en: A discount over 10% needs a note}
        list: {columns: [number, title, total], filters: [status], sort: -created_at}
        permissions:
          - {role: employee, create: true, read: all, write: all, delete: all}
        """,
    "entities/order_line.yaml": """\
        kind: entity
        name: order_line
        label: {zh: 订单明细, en: Order line}
        child: true
        fields:
          - {name: product, type: string, required: true}
          - {name: unit, type: select, options: [pcs, box], default: pcs, required: true}
          - {name: invoice_no, type: string, unique: true}
          - {name: quantity, type: decimal, precision: 10, scale: 2}
          - {name: price, type: money}
          - {name: amount, type: computed, result: money, compute: "quantity * price"}
        rules:
          - check: "price >= 0.0"
            field: price
            message: {zh: 单价不能为负, en: The price cannot be negative}
        """,
    "flows/order.yaml": """\
        kind: flow
        name: order_approval
        label: Order approval
        entity: order_doc
        nodes: [{name: manager, approve: {manager: 1}}]
        """,
}


@dataclass
class Shop:
    runtime: Runtime
    service: RecordService
    alice: Actor
    bob: Actor


@pytest.fixture
def shop(write_package, database_url: str) -> Iterator[Shop]:
    catalog = validate_paths([write_package(SHOP)]).catalog
    assert catalog is not None
    engine = make_engine(database_url)
    runtime = Runtime.for_catalog(catalog, engine)
    runtime.schema.metadata.create_all(engine)
    users = runtime.schema.metadata.tables["loom_users"]
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        ids = [
            conn.execute(
                insert(users).values(login=login, name=login, created_at=now).returning(users.c.id)
            ).scalar_one()
            for login in ("alice", "bob")
        ]
    yield Shop(
        runtime,
        RecordService(runtime),
        Actor(ids[0], "alice", frozenset({"employee"})),
        Actor(ids[1], "bob", frozenset({"employee"})),
    )
    engine.dispose()
