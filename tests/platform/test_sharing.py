"""Record sharing: a shared record joins the user's read (and write) scope on every path."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update

from loom.metadata import validate_paths
from loom.platform.access_report import explain
from loom.platform.actor import Actor
from loom.platform.database import make_engine
from loom.platform.migrations import apply
from loom.platform.migrations import plan
from loom.platform.records.errors import NotFound
from loom.platform.records.errors import PermissionDenied
from loom.platform.records.errors import ValidationFailed
from loom.platform.records.query import Condition
from loom.platform.records.query import ListQuery
from loom.platform.records.sharing import Sharing
from loom.platform.runtime import Runtime
from loom.platform.services import Services

CRM = {
    "roles/sales.yaml": "kind: role\nname: sales\nlabel: {zh: 销售, en: Sales}\n",
    "roles/viewer.yaml": "kind: role\nname: viewer\nlabel: {zh: 查看, en: Viewer}\n",
    "entities/customer.yaml": """\
        kind: entity
        name: customer
        label: {zh: 客户, en: Customer}
        title_field: title
        fields:
          - {name: title, type: string, required: true, search: true}
          - {name: industry, type: select, options: [it, finance]}
          - {name: credit, type: money}
          - {name: margin, type: percent}
        permissions:
          - {role: sales, create: true, read: department, write: own, delete: own,
             readonly: [credit], hidden: [margin]}
          - {role: viewer, read: own, also_read: 'industry == "it"'}
        """,
    "entities/visit.yaml": """\
        kind: entity
        name: visit
        label: {zh: 拜访, en: Visit}
        fields:
          - {name: customer, type: link, entity: customer, required: true}
          - {name: note, type: string}
        permissions:
          - {role: sales, create: true, read: own, write: own}
        """,
}


@dataclass
class Crm:
    services: Services
    sharing: Sharing
    users: dict[str, Actor]

    def customer(self, who: str, title: str, **values) -> dict:
        return self.services.records.create("crm.customer", {"title": title, **values}, self.users[who])

    def titles(self, who: str, entity: str = "crm.customer", **query) -> list[str]:
        page = self.services.records.list(entity, ListQuery(sort=("id",), **query), self.users[who])
        return [r.get("title") or r.get("note") for r in page.records]

    def share(self, owner: str, record: dict, who: str, level: str = "read", **extra) -> dict:
        data = {"user_id": self.users[who].id, "level": level, **extra}
        return self.sharing.share("crm.customer", record["id"], data, self.users[owner])


@pytest.fixture
def crm(write_package, database_url) -> Crm:
    """Sales teams A and B under 销售部; the database built by the migration planner."""
    catalog = validate_paths([write_package(CRM, name="crm")]).catalog
    runtime = Runtime.for_catalog(catalog, make_engine(database_url))
    apply(plan(runtime), runtime.engine)
    services = Services.build(runtime)
    identity = services.identity
    people = {
        "seller_a": ("team_a", ["sales"]),
        "seller_a2": ("team_a", ["sales"]),
        "seller_b": ("team_b", ["sales"]),
        "viewer": ("team_b", ["viewer"]),
        "stranger": (None, []),
        "boss": (None, ["admin"]),
    }
    with runtime.engine.begin() as conn:
        sales = identity.create_department(conn, "销售部")
        departments = {
            "team_a": identity.create_department(conn, "一组", sales),
            "team_b": identity.create_department(conn, "二组", sales),
            None: None,
        }
        ids = {
            login: identity.create_user(conn, login, login, department_id=departments[dept], roles=roles)
            for login, (dept, roles) in people.items()
        }
        users = {login: identity.actor(conn, user_id) for login, user_id in ids.items()}
    return Crm(services, Sharing(services.records), users)


def shares_in_table(crm: Crm) -> int:
    shares = crm.services.runtime.schema.metadata.tables["loom_shares"]
    with crm.services.runtime.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(shares)).scalar_one()


def test_team_b_sees_team_a_customer_only_once_shared(crm) -> None:
    crm.customer("seller_b", "乙公司", industry="finance")
    theirs = crm.customer("seller_a", "甲公司", industry="it")
    records = crm.services.records
    with pytest.raises(NotFound):
        records.get("crm.customer", theirs["id"], crm.users["seller_b"])
    assert crm.titles("seller_b") == ["乙公司"]
    assert crm.titles("seller_b", q="甲") == []

    crm.share("seller_a", theirs, "seller_b")
    got = records.get("crm.customer", theirs["id"], crm.users["seller_b"])
    assert got["title"] == "甲公司" and "margin" not in got  # the role's hidden fields still apply
    assert crm.titles("seller_b") == ["乙公司", "甲公司"]
    assert crm.titles("seller_b", q="甲") == ["甲公司"]
    assert crm.titles("seller_b", filters=(Condition("industry", "eq", "it"),)) == ["甲公司"]
    counted = records.list("crm.customer", ListQuery(count="exact"), crm.users["seller_b"])
    assert counted.total == 2
    assert crm.titles("seller_a2") == ["甲公司"]  # a share adds to nobody else's scope


def test_a_read_share_reads_and_a_write_share_writes(crm) -> None:
    customer = crm.customer("seller_a", "甲公司")
    records, seller_b = crm.services.records, crm.users["seller_b"]
    crm.share("seller_a", customer, "seller_b", "read")
    with pytest.raises(PermissionDenied):
        records.update("crm.customer", customer["id"], {"title": "改名"}, seller_b)

    crm.share("seller_a", customer, "seller_b", "write")
    assert records.update("crm.customer", customer["id"], {"title": "改名"}, seller_b)["title"] == "改名"
    with pytest.raises(ValidationFailed) as info:  # readonly fields of the role still hold
        records.update("crm.customer", customer["id"], {"credit": "100.00"}, seller_b)
    assert [(e.field, e.code) for e in info.value.errors] == [("credit", "readonly")]
    with pytest.raises(PermissionDenied):  # a share widens read and write, never delete
        records.delete("crm.customer", customer["id"], seller_b)


def test_a_share_does_not_grant_what_the_roles_do_not(crm) -> None:
    customer = crm.customer("seller_a", "甲公司")
    records = crm.services.records
    crm.share("seller_a", customer, "viewer", "write")
    assert records.get("crm.customer", customer["id"], crm.users["viewer"])["title"] == "甲公司"
    with pytest.raises(PermissionDenied):  # viewer has no write grant at all
        records.update("crm.customer", customer["id"], {"title": "x"}, crm.users["viewer"])
    crm.share("seller_a", customer, "stranger", "write")
    with pytest.raises(PermissionDenied):  # no read grant: the entity is closed to them
        records.get("crm.customer", customer["id"], crm.users["stranger"])


def test_an_expired_share_ends_access_and_is_purged(crm) -> None:
    customer = crm.customer("seller_a", "甲公司")
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    shared = crm.share("seller_a", customer, "seller_b", "write", expires_at=soon.isoformat())
    assert shared["expires_at"] == soon
    assert crm.titles("seller_b") == ["甲公司"]

    shares = crm.services.runtime.schema.metadata.tables["loom_shares"]
    with crm.services.runtime.engine.begin() as conn:  # an hour passes
        conn.execute(update(shares).values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
    assert crm.titles("seller_b") == []
    with pytest.raises(NotFound):
        crm.services.records.update("crm.customer", customer["id"], {"title": "x"}, crm.users["seller_b"])
    assert shares_in_table(crm) == 1
    assert crm.sharing.shares_of("crm.customer", customer["id"], crm.users["seller_a"]) == []
    assert shares_in_table(crm) == 0


def test_links_and_filters_through_links_honour_shares(crm) -> None:
    customer = crm.customer("seller_a", "甲公司")
    records, seller_b = crm.services.records, crm.users["seller_b"]
    visit = {"customer": customer["id"], "note": "首次拜访"}
    with pytest.raises(ValidationFailed) as info:
        records.create("crm.visit", visit, seller_b)
    assert [(e.field, e.code) for e in info.value.errors] == [("customer", "link_not_found")]

    crm.share("seller_a", customer, "seller_b")
    records.create("crm.visit", visit, seller_b)
    through = (Condition("customer.title", "eq", "甲公司"),)
    assert crm.titles("seller_b", "crm.visit", filters=through) == ["首次拜访"]

    crm.sharing.unshare("crm.customer", customer["id"], seller_b.id, crm.users["seller_a"])
    assert crm.titles("seller_b", "crm.visit", filters=through) == []
    assert crm.titles("seller_b", "crm.visit") == ["首次拜访"]


def test_who_may_share(crm) -> None:
    customer = crm.customer("seller_a", "甲公司")
    with pytest.raises(PermissionDenied):  # sees it (same department) but may not write it
        crm.share("seller_a2", customer, "seller_b")
    with pytest.raises(NotFound):  # cannot even see it
        crm.share("seller_b", customer, "viewer")
    crm.share("seller_a", customer, "seller_b", "read")
    with pytest.raises(PermissionDenied):
        crm.share("seller_b", customer, "viewer")
    crm.share("boss", customer, "seller_b", "write")
    crm.share("seller_b", customer, "viewer")  # a write share may pass the record on
    listed = crm.sharing.shares_of("crm.customer", customer["id"], crm.users["seller_a2"])
    assert [(s["user_name"], s["level"]) for s in listed] == [("seller_b", "write"), ("viewer", "read")]


def test_share_values_are_checked(crm) -> None:
    customer = crm.customer("seller_a", "甲公司")
    owner = crm.users["seller_a"]
    bad = {"user_id": 999_999, "level": "owner", "expires_at": "tomorrow", "role": "sales"}
    with pytest.raises(ValidationFailed) as info:
        crm.sharing.share("crm.customer", customer["id"], bad, owner)
    codes = sorted((e.field, e.code) for e in info.value.errors)
    assert codes == [
        ("expires_at", "invalid"),
        ("level", "not_option"),
        ("role", "unknown"),
        ("user_id", "link_not_found"),
    ]
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).isoformat()
    with pytest.raises(ValidationFailed) as info:
        crm.sharing.share("crm.customer", customer["id"], {"expires_at": past}, owner)
    assert sorted((e.field, e.code) for e in info.value.errors) == [
        ("expires_at", "min"),
        ("user_id", "required"),
    ]
    assert shares_in_table(crm) == 0


def test_shares_are_replaced_given_up_and_audited(crm) -> None:
    customer = crm.customer("seller_a", "甲公司")
    seller_b = crm.users["seller_b"]
    crm.share("seller_a", customer, "seller_b", "read")
    crm.share("seller_a", customer, "seller_b", "write")
    assert [s["level"] for s in crm.sharing.shares_of("crm.customer", customer["id"], seller_b)] == ["write"]
    crm.sharing.unshare("crm.customer", customer["id"], seller_b.id, seller_b)  # the holder leaves
    with pytest.raises(NotFound):
        crm.sharing.unshare("crm.customer", customer["id"], seller_b.id, crm.users["seller_a"])

    audit = crm.services.runtime.schema.metadata.tables["loom_audit"]
    with crm.services.runtime.engine.connect() as conn:
        rows = conn.execute(
            select(audit.c.action, audit.c.user_id, audit.c.changes)
            .where(audit.c.action.in_(("share", "unshare")))
            .order_by(audit.c.id)
        ).all()
    levels = [
        (
            action,
            (changes["shared_with"]["before"] or {}).get("level"),
            (changes["shared_with"]["after"] or {}).get("level"),
        )
        for action, _, changes in rows
    ]
    assert levels == [("share", None, "read"), ("share", "read", "write"), ("unshare", "write", None)]
    assert [user for _, user, _ in rows] == [crm.users["seller_a"].id] * 2 + [seller_b.id]


def test_explain_access_names_the_share(crm) -> None:
    customer = crm.customer("seller_a", "甲公司")
    crm.share("seller_a", customer, "seller_b", "read")
    report = explain(crm.services, "seller_b", "crm.customer", customer["id"])
    notes = {line["operation"]: line.get("note", "") for line in report["operations"]}
    assert "shared" in notes["read"] and report["operations"][1]["allowed"]
    assert "outside" in notes["write"]
    assert report["shares"] == [{"user_id": crm.users["seller_b"].id, "level": "read", "expires_at": None}]


def test_also_read_adds_the_records_its_condition_names_to_the_read_scope_only(crm) -> None:
    """A grant's also_read (the CRM's public pool) opens the records it matches, whoever owns
    them, to read: lists, counts, gets and explain-access, never writing."""
    records, viewer = crm.services.records, crm.users["viewer"]
    it = crm.customer("seller_a", "甲公司", industry="it")
    crm.customer("seller_a", "乙公司", industry="finance")
    crm.customer("seller_a", "丙公司")
    assert crm.titles("viewer", count="exact") == ["甲公司"]
    assert records.list("crm.customer", ListQuery(count="exact"), viewer).total == 1
    assert records.get("crm.customer", it["id"], viewer)["title"] == "甲公司"
    with pytest.raises(PermissionDenied):
        records.update("crm.customer", it["id"], {"title": "x"}, viewer)
    records.update("crm.customer", it["id"], {"industry": "finance"}, crm.users["seller_a"])
    assert crm.titles("viewer") == []  # the condition is read at every read
    records.update("crm.customer", it["id"], {"industry": "it"}, crm.users["seller_a"])
    report = explain(crm.services, "viewer", "crm.customer", it["id"])
    assert report["operations"][1]["note"] == ' (this record: yes, as it matches industry == "it")'


def test_the_planner_adds_the_shares_table_to_an_older_database(crm) -> None:
    runtime = crm.services.runtime
    shares = runtime.schema.metadata.tables["loom_shares"]
    shares.drop(runtime.engine)
    planned = plan(runtime)
    assert ("CreateTable", "loom_shares") in {(step.kind, step.table) for step in planned.steps}
    assert not planned.refused
    apply(planned, runtime.engine)
    assert plan(runtime).up_to_date
