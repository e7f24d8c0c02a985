"""Data scopes and field rules, enforced inside the records service for every path."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from loom.metadata import validate_paths
from loom.platform.actor import Actor
from loom.platform.database import make_engine
from loom.platform.identity import Identity
from loom.platform.permissions import Permissions
from loom.platform.records.errors import NotFound
from loom.platform.records.errors import PermissionDenied
from loom.platform.records.errors import ValidationFailed
from loom.platform.records.query import Condition
from loom.platform.records.query import ListQuery
from loom.platform.records.service import RecordService
from loom.platform.runtime import Runtime

SALES = {
    "roles/sales.yaml": "kind: role\nname: sales\nlabel: {zh: 销售, en: Sales}\n",
    "roles/manager.yaml": "kind: role\nname: sales_manager\nlabel: {zh: 销售经理, en: Sales manager}\n"
    "inherits: [sales]\n",
    "roles/finance.yaml": "kind: role\nname: finance\nlabel: {zh: 财务, en: Finance}\n",
    "entities/deal.yaml": """\
        kind: entity
        name: deal
        label: {zh: 商机, en: Deal}
        title_field: title
        fields:
          - {name: title, type: string, required: true, search: true}
          - {name: amount, type: money}
          - {name: margin, type: percent, search: true}
          - {name: discount, type: percent}
          - {name: partner, type: link, entity: deal}
        list: {sort: -margin}
        permissions:
          - {role: sales, create: true, read: own, write: own, readonly: [discount]}
          - {role: sales_manager, read: department, write: department, delete: department}
          - {role: finance, read: all, hidden: [margin]}
        """,
}


@dataclass
class Company:
    service: RecordService
    users: dict[str, Actor]


@pytest.fixture
def company(write_package, database_url) -> Company:
    """销售部 with teams A and B; a manager over both, a lead per team, a seller per team."""
    catalog = validate_paths([write_package(SALES, name="sales")]).catalog
    runtime = Runtime.for_catalog(catalog, make_engine(database_url))
    runtime.schema.metadata.create_all(runtime.engine)
    identity = Identity(runtime)
    people = {
        "manager": ("sales", ["sales_manager"]),
        "lead_a": ("team_a", ["sales_manager"]),
        "seller_a": ("team_a", ["sales"]),
        "seller_a2": ("team_a", ["sales"]),
        "seller_b": ("team_b", ["sales"]),
        "finance": (None, ["finance"]),
        "stranger": (None, []),
        "boss": (None, ["admin"]),
    }
    with runtime.engine.begin() as conn:
        sales = identity.create_department(conn, "销售部")
        departments = {
            "sales": sales,
            "team_a": identity.create_department(conn, "一组", sales),
            "team_b": identity.create_department(conn, "二组", sales),
            None: None,
        }
        ids = {
            login: identity.create_user(conn, login, login, department_id=departments[dept], roles=roles)
            for login, (dept, roles) in people.items()
        }
        users = {login: identity.actor(conn, user_id) for login, user_id in ids.items()}
    return Company(RecordService(runtime), users)


def deal(company: Company, who: str, title: str, **values) -> dict:
    return company.service.create("sales.deal", {"title": title, "margin": 30, **values}, company.users[who])


def titles(company: Company, who: str, **query) -> list[str]:
    page = company.service.list("sales.deal", ListQuery(sort=("title",), **query), company.users[who])
    return [r["title"] for r in page.records]


def test_scopes_in_lists_counts_search_and_get(company) -> None:
    a = deal(company, "seller_a", "A1")
    deal(company, "seller_a2", "A2")
    b = deal(company, "seller_b", "B1")
    assert titles(company, "seller_a") == ["A1"]
    assert titles(company, "lead_a") == ["A1", "A2"]
    assert titles(company, "manager") == ["A1", "A2", "B1"]
    assert titles(company, "finance") == ["A1", "A2", "B1"]
    assert titles(company, "lead_a", q="B") == []
    assert company.service.list("sales.deal", ListQuery(count="exact"), company.users["lead_a"]).total == 2
    with pytest.raises(NotFound):
        company.service.get("sales.deal", b["id"], company.users["lead_a"])
    assert company.service.get("sales.deal", a["id"], company.users["lead_a"])["title"] == "A1"


def test_write_and_delete_scopes(company) -> None:
    a = deal(company, "seller_a", "A1")
    with pytest.raises(NotFound):  # not even visible to the other team
        company.service.update("sales.deal", a["id"], {"title": "x"}, company.users["seller_b"])
    with pytest.raises(PermissionDenied):  # visible, but finance may not write
        company.service.update("sales.deal", a["id"], {"title": "x"}, company.users["finance"])
    with pytest.raises(PermissionDenied):  # sellers may not delete
        company.service.delete("sales.deal", a["id"], company.users["seller_a"])
    assert (
        company.service.update("sales.deal", a["id"], {"title": "A1+"}, company.users["lead_a"])["title"]
        == "A1+"
    )
    company.service.delete("sales.deal", a["id"], company.users["manager"])


def test_no_grant_means_no_access(company) -> None:
    with pytest.raises(PermissionDenied):
        company.service.list("sales.deal", ListQuery(), company.users["stranger"])
    with pytest.raises(PermissionDenied):
        company.service.create("sales.deal", {"title": "x"}, company.users["finance"])
    deal(company, "boss", "admin sees all")
    assert titles(company, "boss") == ["admin sees all"]


def test_hidden_field_never_leaves_the_service(company) -> None:
    a = deal(company, "seller_a", "A1")
    got = company.service.get("sales.deal", a["id"], company.users["finance"])
    assert "margin" not in got and got["title"] == "A1"
    page = company.service.list("sales.deal", ListQuery(), company.users["finance"])
    assert all("margin" not in r for r in page.records)
    for query in (ListQuery(filters=(Condition("margin", "gt", 10),)), ListQuery(sort=("margin",))):
        with pytest.raises(ValidationFailed):
            company.service.list("sales.deal", query, company.users["finance"])
    assert titles(company, "finance", q="30") == []  # search skips hidden fields
    assert "margin" in company.service.get("sales.deal", a["id"], company.users["seller_a"])


def test_readonly_field_is_refused_unless_unchanged(company) -> None:
    with pytest.raises(ValidationFailed) as info:
        deal(company, "seller_a", "A1", discount=5)
    assert [(e.field, e.code) for e in info.value.errors] == [("discount", "readonly")]
    a = deal(company, "seller_a", "A1")
    same = company.service.update("sales.deal", a["id"], {**a, "title": "A1+"}, company.users["seller_a"])
    assert same["title"] == "A1+" and same["discount"] is None
    manager = company.users["manager"]
    assert company.service.update("sales.deal", a["id"], {"discount": 5}, manager)["discount"] == 5


def test_links_only_to_readable_records(company) -> None:
    b = deal(company, "seller_b", "B1")
    with pytest.raises(ValidationFailed) as info:
        deal(company, "seller_a", "A1", partner=b["id"])
    assert [(e.field, e.code) for e in info.value.errors] == [("partner", "link_not_found")]
    assert deal(company, "manager", "M1", partner=b["id"])["partner"] == b["id"]


def test_filters_through_links_respect_the_linked_entitys_rules(company) -> None:
    b = deal(company, "seller_b", "B1")
    a = deal(company, "seller_a", "A1", partner=None)
    mine = deal(company, "manager", "M1", partner=b["id"])
    # The manager sees B1, so may filter through the link; seller_a may not see B1 at all.
    by_partner = ListQuery(filters=(Condition("partner.title", "eq", "B1"),))
    assert [
        r["title"] for r in company.service.list("sales.deal", by_partner, company.users["manager"]).records
    ] == ["M1"]
    assert company.service.list("sales.deal", by_partner, company.users["seller_a"]).records == []
    hidden = ListQuery(filters=(Condition("partner.margin", "gt", 1),))
    with pytest.raises(ValidationFailed):
        company.service.list("sales.deal", hidden, company.users["finance"])
    assert a and mine


def test_a_role_name_is_one_role_across_apps_and_an_entity_without_grants_is_for_admins(
    write_package, tmp_path
) -> None:
    """As docs/metadata.md §5.6 and §9 say."""

    def app(name: str, extra: str = "") -> None:
        entity = f"kind: entity\nname: {name}_doc\nlabel: Doc\nfields:\n  - {{name: title, type: string}}\n"
        write_package(
            {
                "roles/finance.yaml": "kind: role\nname: finance\nlabel: Finance\n",
                f"entities/{name}_doc.yaml": entity + extra,
            },
            name=name,
            root=tmp_path,
        )

    app("north", "permissions:\n  - {role: finance, read: all}\n")
    app("south", "permissions:\n  - {role: finance, read: own, write: own}\n")
    app("west")  # no permissions
    result = validate_paths([tmp_path])
    assert result.problems == ()
    catalog = result.catalog
    rules = Permissions(catalog)
    holder = Actor(1, "fay", frozenset({"finance", "employee"}))
    admin = Actor(2, "root", frozenset({"admin", "employee"}))
    assert rules.decide(holder, catalog.entity("north.north_doc"), "read").scope == "all"
    assert rules.decide(holder, catalog.entity("south.south_doc"), "write").scope == "own"
    west = catalog.entity("west.west_doc")
    assert [rules.decide(holder, west, op).scope for op in ("read", "write")] == ["none", "none"]
    assert rules.decide(admin, west, "read").scope == "all"
