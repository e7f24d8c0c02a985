"""A small sales package with reports that use every construct, on each test database.

Deals are stored with chosen times near midnight in the site's zone (Asia/Shanghai), so a
bucket or a period computed in UTC instead of the site's zone lands them in the wrong month.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient

from loom.metadata import validate_paths
from loom.platform.actor import SYSTEM
from loom.platform.actor import Actor
from loom.platform.app import create_app
from loom.platform.database import make_engine
from loom.platform.identity import Identity
from loom.platform.records.service import RecordService
from loom.platform.reports import ReportService
from loom.platform.runtime import Runtime

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 4, 15, 10, 0, tzinfo=SHANGHAI)  # a Wednesday

SALES = {
    "entities/customer.yaml": """\
        kind: entity
        name: customer
        label: {zh: 客户, en: Customer}
        title_field: title
        fields:
          - {name: title, type: string, required: true}
          - {name: industry, type: select, options: [{key: it, label: {zh: 信息技术, en: IT}}, finance]}
          - {name: rating, type: string, label: 评级}
        permissions:
          - {role: rep, read: all, create: true}
          - {role: boss, read: all, create: true}
          - {role: blind, read: all, hidden: [rating]}
        """,
    "entities/deal.yaml": """\
        kind: entity
        name: deal
        label: {zh: 交易, en: Deal}
        title_field: title
        fields:
          - {name: title, type: string, required: true}
          - {name: customer, type: link, entity: customer}
          - name: stage
            type: select
            options: [{key: lead, label: {zh: 线索, en: Lead}}, {key: won, label: {zh: 赢单, en: Won}}, lost]
          - {name: amount, type: money, currency: CNY}
          - {name: cost, type: money}
          - {name: closed_at, type: datetime}
          - {name: signed_on, type: date}
          - {name: priority, type: integer}
        list: {filters: [stage, customer, signed_on]}
        permissions:
          - {role: rep, create: true, read: department, write: own, hidden: [cost]}
          - {role: boss, create: true, read: all, write: all}
          - {role: blind, read: all}
        """,
    "entities/target.yaml": """\
        kind: entity
        name: target
        label: {zh: 目标, en: Target}
        title_field: year
        fields:
          - {name: person, type: user, required: true}
          - {name: year, type: integer, required: true}
          - {name: amount, type: money, currency: CNY}
        permissions:
          - {role: rep, read: own, create: true}
          - {role: boss, read: all, create: true}
        """,
    "reports/target_completion.yaml": """\
        kind: report
        name: target_completion
        label: {zh: 目标完成, en: Against target}
        dimensions:
          - {name: person, label: {zh: 员工, en: Person}}
          - {name: year, label: {zh: 年度, en: Year}, granularity: year}
        series:
          - entity: deal
            filter: 'stage == "won"'
            date_field: signed_on
            dimensions: {person: owner, year: signed_on}
            measures:
              - {name: deals, aggregate: count}
              - {name: actual, label: {zh: 成交额, en: Won}, aggregate: sum, field: amount}
          - entity: target
            dimensions: {person: person, year: year}
            measures:
              - {name: target, label: {zh: 目标额, en: Target}, aggregate: sum, field: amount}
        measures:
          - {name: completion, label: {zh: 完成率, en: Completion}, aggregate: ratio, of: [actual, target]}
        chart: bar
        sort: -actual
        roles: [rep, boss]
        """,
    "reports/target_by_person.yaml": """\
        kind: report
        name: target_by_person
        label: {zh: 个人目标, en: Target by person}
        dimensions:
          - {name: person}
        series:
          - entity: deal
            filter: 'stage == "won"'
            date_field: signed_on
            dimensions: {person: owner}
            measures:
              - {name: deals, aggregate: count}
              - {name: actual, label: {zh: 成交额, en: Won}, aggregate: sum, field: amount}
          - entity: target
            date_field: year
            dimensions: {person: person}
            measures:
              - {name: target, label: {zh: 目标额, en: Target}, aggregate: sum, field: amount}
        measures:
          - {name: completion, aggregate: ratio, of: [actual, target]}
        chart: bar
        sort: -actual
        roles: [rep, boss]
        """,
    "roles/rep.yaml": "kind: role\nname: rep\nlabel: Rep\n",
    "roles/boss.yaml": "kind: role\nname: boss\nlabel: Boss\n",
    "roles/blind.yaml": "kind: role\nname: blind\nlabel: Blind\n",
    "reports/by_stage.yaml": """\
        kind: report
        name: by_stage
        label: {zh: 按阶段, en: By stage}
        entity: deal
        filter: 'stage != "lost"'
        dimensions: [{field: stage}]
        measures:
          - {name: deals, aggregate: count}
          - {name: amount, aggregate: sum, field: amount}
          - {name: average, aggregate: avg, field: amount}
          - {name: customers, aggregate: count_distinct, field: customer}
          - {name: first_signed, aggregate: min, field: signed_on}
          - {name: top, aggregate: max, field: amount}
        chart: funnel
        sort: -amount
        roles: [rep, boss]
        """,
    "reports/margin.yaml": """\
        kind: report
        name: margin
        label: Margin
        entity: deal
        dimensions: [{field: stage}]
        measures:
          - {name: amount, aggregate: sum, field: amount}
          - {name: cost, aggregate: sum, field: cost}
          - {name: cost_share, aggregate: ratio, of: [cost, amount]}
        roles: [rep, boss]
        """,
    "reports/monthly.yaml": """\
        kind: report
        name: monthly
        label: Monthly
        entity: deal
        dimensions:
          - {field: closed_at, granularity: month}
        measures:
          - {name: deals, aggregate: count}
        chart: line
        sort: closed_at
        """,
    "reports/weekly_days.yaml": """\
        kind: report
        name: weekly_days
        label: Weekly
        entity: deal
        date_field: signed_on
        dimensions:
          - {field: closed_at, granularity: week}
          - {field: closed_at, granularity: day}
        measures:
          - {name: deals, aggregate: count}
        """,
    "reports/by_industry.yaml": """\
        kind: report
        name: by_industry
        label: By industry and stage
        entity: deal
        dimensions:
          - {field: customer.industry}
          - {field: stage}
        measures:
          - {name: amount, aggregate: sum, field: amount}
          - {name: average, aggregate: avg, field: amount}
        chart: pivot
        """,
    "reports/by_department.yaml": """\
        kind: report
        name: by_department
        label: By department
        entity: deal
        dimensions: [{field: owner.department}]
        measures:
          - {name: deals, aggregate: count}
        """,
    "reports/top_customers.yaml": """\
        kind: report
        name: top_customers
        label: Top customers
        entity: deal
        dimensions: [{field: customer}]
        measures:
          - {name: amount, aggregate: sum, field: amount}
          - {name: average, aggregate: avg, field: amount}
        sort: -amount
        limit: 2
        others: true
        """,
    "reports/by_rating.yaml": """\
        kind: report
        name: by_rating
        label: By rating
        entity: deal
        dimensions: [{field: customer.rating}]
        measures:
          - {name: deals, aggregate: count}
        """,
    "reports/aging.yaml": """\
        kind: report
        name: aging
        label: {zh: 账龄, en: Aging}
        entity: deal
        dimensions:
          - {field: signed_on, aging: [10, 30]}
        measures:
          - {name: deals, aggregate: count}
          - {name: amount, aggregate: sum, field: amount}
        sort: signed_on
        """,
    "reports/total.yaml": """\
        kind: report
        name: total
        label: Total
        entity: deal
        measures:
          - {name: amount, aggregate: sum, field: amount}
        chart: number
        date_field: closed_at
        """,
}

# title, customer, stage, amount, cost, closed_at (Shanghai), signed_on, owner
DEALS = [
    ("a", "acme", "won", 100, 60, dt.datetime(2026, 3, 31, 23, 30), dt.date(2026, 3, 31), "rep1"),
    ("b", "acme", "won", 300, 100, dt.datetime(2026, 4, 1, 0, 10), dt.date(2026, 4, 1), "rep1"),
    ("c", "bank", "lead", 50, 10, dt.datetime(2026, 4, 14, 8, 0), dt.date(2026, 4, 14), "rep2"),
    ("d", "bank", "lost", 70, 20, dt.datetime(2026, 4, 15, 0, 5), dt.date(2026, 4, 15), "rep1"),
    ("e", "corp", "lead", None, None, None, None, "boss"),
    ("f", "corp", "won", 900, 300, dt.datetime(2025, 12, 31, 23, 59), dt.date(2025, 12, 31), "boss"),
]
CUSTOMERS = [("acme", "it", "A"), ("bank", "finance", "B"), ("corp", None, None)]
# person, year, amount: yearly targets (rep2 has one and no won deal, boss's is for 2025)
TARGETS = [("rep1", 2026, 500), ("rep2", 2026, 200), ("boss", 2025, 1000)]


@dataclass
class Site:
    runtime: Runtime
    records: RecordService
    reports: ReportService
    actors: dict[str, Actor]
    customers: dict[str, int]
    deals: dict[str, int]


@pytest.fixture
def site(write_package, tmp_path, database_url) -> Iterator[Site]:
    result = validate_paths([write_package(SALES, name="sales")])
    assert result.problems == (), [p.render() for p in result.problems]
    runtime = Runtime.for_catalog(result.catalog, make_engine(database_url))
    runtime.schema.metadata.create_all(runtime.engine)
    records = RecordService(runtime, clock=lambda: NOW)
    identity = Identity(runtime)
    with runtime.engine.begin() as conn:
        east = identity.create_department(conn, "东区")
        west = identity.create_department(conn, "西区")
        users = {
            "rep1": identity.create_user(
                conn, "rep1", "一号", password="pw-rep1", department_id=east, roles=["rep"]
            ),
            "rep2": identity.create_user(
                conn, "rep2", "二号", password="pw-rep2", department_id=west, roles=["rep"]
            ),
            "boss": identity.create_user(
                conn, "boss", "老板", password="pw-boss", department_id=None, roles=["boss"]
            ),
            "blind": identity.create_user(
                conn, "blind", "盲", password="pw-blind", department_id=east, roles=["blind"]
            ),
        }
        actors = {login: identity.actor(conn, uid) for login, uid in users.items()}
    customers = {
        title: records.create(
            "sales.customer", {"title": title, "industry": industry, "rating": rating}, actors["boss"]
        )["id"]
        for title, industry, rating in CUSTOMERS
    }
    deals = {}
    for title, customer, stage, amount, cost, closed, signed, owner in DEALS:
        values = {
            "title": title,
            "customer": customers[customer],
            "stage": stage,
            "amount": amount,
            "cost": cost,
            "closed_at": closed.replace(tzinfo=SHANGHAI).isoformat() if closed else None,
            "signed_on": signed.isoformat() if signed else None,
            "owner": users[owner],
        }
        deals[title] = records.create("sales.deal", values, SYSTEM)["id"]
    for person, year, amount in TARGETS:
        target = {"person": users[person], "year": year, "amount": amount, "owner": users[person]}
        records.create("sales.target", target, SYSTEM)
    yield Site(runtime, records, ReportService(records), actors, customers, deals)
    runtime.engine.dispose()


@pytest.fixture
def app(site: Site) -> Flask:
    """The web app over the site, on the fixed clock (given to the app, so every service runs on it)."""
    config = {"SECRET_KEY": "reports-test", "TESTING": True}
    return create_app(runtime=site.runtime, config=config, clock=lambda: NOW)


def signed_in(app: Flask, login: str) -> FlaskClient:
    client = app.test_client()
    response = client.post("/api/v1/auth/login", json={"login": login, "password": f"pw-{login}"})
    assert response.status_code == 200, response.get_json()
    return client
