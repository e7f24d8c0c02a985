"""A company with a department tree, managers and roles, and an expense package with flows."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from loom.metadata import validate_paths
from loom.platform.actor import Actor
from loom.platform.database import make_engine
from loom.platform.runtime import Runtime
from loom.platform.services import Services

ROLES = {
    f"roles/{name}.yaml": f"kind: role\nname: {name}\nlabel: {name}\n"
    for name in ("finance", "general_manager", "cashier", "hr", "legal")
}
EXPENSE = """\
    kind: entity
    name: expense
    label: {zh: 报销, en: Expense}
    title_field: title
    fields:
      - {name: title, type: string, required: true}
      - {name: total, type: money}
      - {name: days, type: decimal}
      - {name: reviewer, type: user}
      - {name: paid_on, type: date}
      - {name: approved_amount, type: money}
      - {name: cost_center, type: department}
    permissions:
      - {role: employee, create: true, read: own, write: own, submit: own}
    """
RECEIPT = """\
    kind: entity
    name: receipt
    label: Receipt
    fields:
      - {name: expense_title, type: string}
      - {name: amount, type: money}
    permissions:
      - {role: finance, read: all}
    """


@dataclass
class Company:
    services: Services
    users: dict[str, Actor]

    def ids(self, *logins: str) -> list[int]:
        return [self.users[login].id for login in logins]

    def expense(self, who: str = "staff", **values) -> dict:
        data = {"title": "出差", "total": "3000", **values}
        return self.services.records.create("shop.expense", data, self.users[who])

    def submit(self, record: dict, who: str = "staff", **options) -> dict:
        return self.services.flows.submit("shop.expense", record["id"], self.users[who], **options)

    def act(self, record: dict, who: str, operation: str = "approve", **payload) -> dict:
        return self.services.flows.act("shop.expense", record["id"], self.users[who], operation, payload)

    def pending(self, summary: dict) -> list[str]:
        """Logins holding open tasks, in task order."""
        by_id = {actor.id: login for login, actor in self.users.items()}
        return [by_id[t["assignee_id"]] for t in summary["tasks"] if t["status"] == "pending"]


def company_for(
    flow_yaml: str, write_package, database_url: str, extra: dict | None = None, clock=None
) -> Company:
    """The company over ``flow_yaml``; ``clock`` (the ``site_clock`` fixture) fixes "now"."""
    files = {
        **ROLES,
        "entities/expense.yaml": EXPENSE,
        "entities/receipt.yaml": RECEIPT,
        "flows/expense.yaml": flow_yaml,
        **(extra or {}),
    }
    result = validate_paths([write_package(files)])
    assert result.problems == (), [p.render() for p in result.problems]
    runtime = Runtime.for_catalog(result.catalog, make_engine(database_url))
    runtime.schema.metadata.create_all(runtime.engine)
    services = Services.build(runtime, clock=clock)
    identity = services.identity
    # 总经办 (head: gm) > 销售部 (head: sales_head) > 一组 (head: lead); 财务部 (head: fin_head)
    people = {
        "gm": ("top", ["general_manager"]),
        "sales_head": ("sales", []),
        "lead": ("team", []),
        "staff": ("team", []),
        "staff2": ("team", []),
        "fin_head": ("finance", ["finance"]),
        "fin1": ("finance", ["finance"]),
        "fin2": ("finance", ["finance"]),
        "cashier": ("finance", ["cashier"]),
        "hr": ("top", ["hr"]),
        "root": (None, ["admin"]),
    }
    with runtime.engine.begin() as conn:
        top = identity.create_department(conn, "总经办")
        departments = {
            "top": top,
            "sales": identity.create_department(conn, "销售部", top),
            "finance": identity.create_department(conn, "财务部", top),
            None: None,
        }
        departments["team"] = identity.create_department(conn, "一组", departments["sales"])
        ids = {
            login: identity.create_user(
                conn, login, login, password="pw", department_id=departments[dept], roles=roles
            )
            for login, (dept, roles) in people.items()
        }
        heads = {"top": "gm", "sales": "sales_head", "team": "lead", "finance": "fin_head"}
        for dept, login in heads.items():
            identity.set_head(conn, departments[dept], ids[login])
        users = {login: identity.actor(conn, user_id) for login, user_id in ids.items()}
    return Company(services, users)


@pytest.fixture
def make_company(write_package, database_url):
    def make(flow_yaml: str, extra: dict | None = None, clock=None) -> Company:
        return company_for(flow_yaml, write_package, database_url, extra, clock)

    return make
