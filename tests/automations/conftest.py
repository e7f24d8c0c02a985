"""A sales package whose business rules are automations and rollups only, on each test database."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from loom.metadata import validate_paths
from loom.platform.actor import SYSTEM
from loom.platform.actor import Actor
from loom.platform.database import make_engine
from loom.platform.records.query import ListQuery
from loom.platform.runtime import Runtime
from loom.platform.services import Services
from loom.platform.site import open_site

ROLES = {
    f"roles/{name}.yaml": f"kind: role\nname: {name}\nlabel: {name}\n"
    for name in ("sales", "sales_manager", "finance")
}
OWNED = (
    "[{role: sales, create: true, read: own, write: own, delete: own, submit: own},"
    " {role: sales_manager, create: true, read: all}]"
)
ENTITIES = {
    "entities/lead.yaml": f"""\
        kind: entity
        name: lead
        label: {{zh: 线索, en: Lead}}
        fields:
          - {{name: company, type: string, required: true}}
          - {{name: contact_name, type: string}}
          - {{name: phone, type: phone}}
          - {{name: status, type: select, options: [new, converted], default: new}}
          - {{name: customer, type: link, entity: customer}}
        permissions: {OWNED}
        """,
    "entities/customer.yaml": f"""\
        kind: entity
        name: customer
        label: {{zh: 客户, en: Customer}}
        title_field: title
        fields:
          - {{name: title, type: string, required: true}}
          - {{name: phone, type: phone}}
          - {{name: deal_status, type: select, options: [none, deal], default: none}}
          - {{name: in_pool, type: boolean, default: false}}
          - {{name: owner_user, type: user}}
          - {{name: last_follow_up_at, type: datetime}}
          - {{name: locked, type: boolean, default: false}}
          - name: approved_contracts
            type: rollup
            rollup: {{of: contract, via: customer, aggregate: count, where: 'flow_status == "approved"'}}
        permissions: {OWNED}
        """,
    "entities/contact.yaml": f"""\
        kind: entity
        name: contact
        label: {{zh: 联系人, en: Contact}}
        fields:
          - {{name: name, type: string, required: true}}
          - {{name: customer, type: link, entity: customer, on_delete: cascade}}
        permissions: {OWNED}
        """,
    "entities/opportunity.yaml": f"""\
        kind: entity
        name: opportunity
        label: {{zh: 商机, en: Opportunity}}
        fields:
          - {{name: title, type: string, required: true}}
          - {{name: customer, type: link, entity: customer}}
          - {{name: stage, type: select, options: [initial, negotiation, won, lost], default: initial}}
          - {{name: win_probability, type: integer, default: 10}}
        permissions: {OWNED}
        """,
    "entities/contract.yaml": f"""\
        kind: entity
        name: contract
        label: {{zh: 合同, en: Contract}}
        fields:
          - {{name: title, type: string, required: true}}
          - {{name: customer, type: link, entity: customer}}
          - {{name: opportunity, type: link, entity: opportunity}}
          - {{name: amount, type: money, required: true}}
          - name: received_total
            type: rollup
            rollup: {{of: receivable, via: contract, aggregate: sum, field: amount, where: "confirmed"}}
          - name: receivable_count
            type: rollup
            rollup: {{of: receivable, via: contract, aggregate: count}}
          - {{name: unpaid, type: money, compute: "amount - received_total"}}
        permissions: {OWNED}
        """,
    "entities/receivable_plan.yaml": f"""\
        kind: entity
        name: receivable_plan
        label: {{zh: 回款计划, en: Receivable plan}}
        fields:
          - {{name: contract, type: link, entity: contract, required: true, on_delete: cascade}}
          - {{name: period, type: integer}}
          - {{name: amount, type: money}}
        permissions: {OWNED}
        """,
    "entities/receivable.yaml": f"""\
        kind: entity
        name: receivable
        label: {{zh: 回款, en: Receivable}}
        fields:
          - {{name: contract, type: link, entity: contract, on_delete: cascade}}
          - {{name: amount, type: money, required: true}}
          - {{name: confirmed, type: boolean, default: true}}
        permissions: {OWNED}
        """,
    "entities/follow_up.yaml": f"""\
        kind: entity
        name: follow_up
        label: {{zh: 跟进记录, en: Follow-up}}
        fields:
          - {{name: customer, type: link, entity: customer, required: true, on_delete: cascade}}
          - {{name: content, type: text}}
        permissions: {OWNED}
        """,
    "entities/owner_log.yaml": """\
        kind: entity
        name: owner_log
        label: {zh: 负责人变更记录, en: Owner change}
        fields:
          - {name: customer, type: link, entity: customer, on_delete: cascade}
          - {name: from_user, type: user}
          - {name: to_user, type: user}
          - {name: reason, type: string}
        permissions: [{role: sales_manager, create: true, read: all}]
        """,
    "flows/contract_approval.yaml": """\
        kind: flow
        name: contract_approval
        entity: contract
        label: {zh: 合同审批, en: Contract approval}
        nodes:
          - {name: finance, approve: {role: finance}}
        """,
}
AUTOMATIONS = {
    "automations/convert_lead.yaml": """\
        kind: automation
        name: convert_lead
        label: {zh: 线索转化, en: Convert lead}
        on:
          button:
            entity: lead
            label: {zh: 转化, en: Convert}
            roles: [sales]
            when: 'record.status != "converted" && !("sales_manager" in user_roles)'
            params:
              - {name: opportunity_title, type: string, required: true}
        do:
          - create: {entity: customer, values: {title: record.company, phone: record.phone, owner_user: user}}
          - create: {entity: contact, values: {name: record.contact_name, customer: created.customer.id}}
          - create:
              entity: opportunity
              values: {title: params.opportunity_title, customer: created.customer.id}
          - set: {status: '"converted"', customer: created.customer.id}
        """,
    "automations/contract_won.yaml": """\
        kind: automation
        name: contract_won
        label: {zh: 合同通过即赢单, en: Approved contract wins the deal}
        on: {flow_finished: contract_approval}
        outcome: approved
        run_as: system
        do:
          - update:
              entity: opportunity
              where: "id == record.opportunity"
              set: {stage: '"won"', win_probability: "100"}
          - update: {entity: customer, where: "id == record.customer", set: {deal_status: '"deal"'}}
          - create:
              entity: receivable_plan
              for_each: '[{"period": 1, "share": 0.4}, {"period": 2, "share": 0.6}]'
              values: {contract: record.id, period: item.period, amount: record.amount * item.share}
        """,
    "automations/touch_customer.yaml": """\
        kind: automation
        name: touch_customer
        label: {zh: 跟进即更新客户, en: A follow-up touches its customer}
        on: {created: follow_up}
        run_as: system
        do:
          - update: {entity: customer, where: "id == record.customer", set: {last_follow_up_at: now}}
        """,
    "automations/pool_reclaim.yaml": """\
        kind: automation
        name: pool_reclaim
        label: {zh: 未跟进客户收回公海, en: Return neglected customers to the pool}
        on:
          schedule:
            cron: "0 2 * * *"
            entity: customer
            where: '!in_pool && deal_status != "deal" && days_between(last_follow_up_at, today) > 30'
            batch_size: 2
        run_as: system
        do:
          - create:
              entity: owner_log
              values:
                customer: record.id
                from_user: record.owner_user
                reason: '"no follow-up for 30 days"'
          - set: {in_pool: "true", owner_user: "null"}
        """,
    "automations/locked.yaml": """\
        kind: automation
        name: locked
        label: {zh: 锁定客户不可修改, en: Locked customers stay as they are}
        on: {updated: customer}
        if: "old.locked && record.locked"
        do:
          - fail: {zh: 客户已锁定，不能修改。, en: The customer is locked.}
        """,
    "automations/won_notice.yaml": """\
        kind: automation
        name: won_notice
        label: {zh: 赢单通知, en: Deal won}
        on: {changed: {entity: opportunity, field: stage, to: '"won"'}}
        do:
          - notify: {owner: true, message: {zh: 商机已赢单, en: The opportunity was won}}
          - notify:
              role: sales_manager
              title: {zh: 赢单, en: Won}
              message: {zh: 有商机赢单, en: A deal was won}
        """,
    "automations/contact_gone.yaml": """\
        kind: automation
        name: contact_gone
        label: {zh: 联系人删除记录, en: Contact deletion log}
        on: {deleted: contact}
        run_as: system
        do:
          - create:
              entity: owner_log
              values: {customer: record.customer, reason: '"contact " + record.name + " deleted"'}
        """,
}


@dataclass
class Sales:
    services: Services
    users: dict[str, Actor]

    def create(self, entity: str, who: str = "anna", **values) -> dict:
        return self.services.records.create(f"sales.{entity}", values, self.users[who])

    def update(self, entity: str, record_id: int, who: str = "anna", **values) -> dict:
        return self.services.records.update(f"sales.{entity}", record_id, values, self.users[who])

    def get(self, entity: str, record_id: int) -> dict:
        return self.services.records.get(f"sales.{entity}", record_id, SYSTEM)

    def all(self, entity: str) -> list[dict]:
        return self.services.records.list(f"sales.{entity}", ListQuery(page_size=200), SYSTEM).records


def build_sales(write_package, database_url: str, extra: dict | None = None, drop: tuple = ()) -> Sales:
    files = {**ROLES, **ENTITIES, **AUTOMATIONS, **(extra or {})}
    for name in drop:
        files.pop(name)
    result = validate_paths([write_package(files, name="sales")])
    assert result.problems == (), [p.render() for p in result.problems]
    runtime = Runtime.for_catalog(result.catalog, make_engine(database_url))
    runtime.schema.metadata.create_all(runtime.engine)
    services = Services.build(runtime)
    identity = services.identity
    people = {"anna": ["sales"], "bert": ["sales"], "mgr": ["sales_manager"], "fina": ["finance"]}
    with runtime.engine.begin() as conn:
        team = identity.create_department(conn, "销售一组")
        ids = {
            login: identity.create_user(conn, login, login, password="pw", department_id=team, roles=roles)
            for login, roles in people.items()
        }
        users = {login: identity.actor(conn, user_id) for login, user_id in ids.items()}
    return Sales(services, users)


@pytest.fixture
def sales(write_package, database_url) -> Sales:
    return build_sales(write_package, database_url)


@pytest.fixture
def make_sales(write_package, database_url):
    def make(extra: dict | None = None, drop: tuple = ()) -> Sales:
        return build_sales(write_package, database_url, extra, drop)

    return make


@pytest.fixture
def sales_site(write_package, database_url, tmp_path) -> tuple[Services, Path]:
    """The sales package installed in a site folder, for commands run in other processes."""
    folder = tmp_path / "site"
    write_package({**ROLES, **ENTITIES, **AUTOMATIONS}, name="sales", root=folder / "apps")
    settings = {"database_url": database_url, "apps": ["sales"], "secret_key": "test"}
    (folder / "site.yaml").write_text(yaml.safe_dump(settings), encoding="utf-8")
    services = Services.build(Runtime.for_site(open_site(folder, create=False)))
    services.runtime.schema.metadata.create_all(services.runtime.engine)
    return services, folder
