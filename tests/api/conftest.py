"""An app over a sales package with two teams, on each test database, and HTTP clients."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient

from loom.metadata import validate_paths
from loom.platform.app import create_app
from loom.platform.database import make_engine
from loom.platform.runtime import Runtime

SALES = {
    "roles/sales.yaml": "kind: role\nname: sales\nlabel: {zh: 销售, en: Sales}\n",
    "roles/manager.yaml": "kind: role\nname: sales_manager\nlabel: {zh: 销售经理, en: Sales manager}\n",
    "roles/finance.yaml": "kind: role\nname: finance\nlabel: {zh: 财务, en: Finance}\n",
    "entities/customer.yaml": """\
        kind: entity
        name: customer
        label: {zh: 客户, en: Customer}
        title_field: title
        fields:
          - {name: title, type: string, required: true, max_length: 60, search: true}
          - {name: industry, type: select, options: [it, finance]}
          - {name: credit, type: money}
          - {name: contract, type: file}
        list:
          filters: [industry]
          views:
            - {name: mine, label: {zh: 我负责的, en: Mine}, filter: "owner == current_user", sort: industry}
            # not SQL (a disjunction, a method): Loom evaluates it on each record the scope admits
            - name: it_or_hangzhou
              label: {zh: IT或杭州, en: IT or Hangzhou}
              filter: 'industry == "it" || title.startsWith("杭州")'
              sort: [industry, created_at]
            - {name: creditworthy, label: {zh: 授信客户, en: Creditworthy}, filter: "credit > 1000.0"}
            - name: others
              label: {zh: 他人的, en: Others'}
              filter: "owner != current_user"
              roles: [sales_manager]
        permissions:
          - {role: sales, create: true, read: own, write: own, readonly: [credit]}
          - {role: sales_manager, create: true, read: department, write: department, delete: department}
          - {role: finance, read: all, hidden: [credit]}
        """,
    "entities/visit.yaml": """\
        kind: entity
        name: visit
        label: {zh: 拜访, en: Visit}
        fields:
          - {name: customer, type: link, entity: customer, required: true}
          - {name: note, type: text}
        permissions:
          - {role: sales, create: true, read: own, write: own}
        """,
}


@dataclass
class Site:
    app: Flask
    users: dict[str, int]

    def client(self, login: str | None = None, lang: str = "en") -> FlaskClient:
        """A client signed in through the real login endpoint, holding its CSRF token."""
        client = self.app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = lang
        if login is not None:
            response = client.post("/api/v1/auth/login", json={"login": login, "password": f"{login}-pw"})
            assert response.status_code == 200, response.get_json()
            client.environ_base["HTTP_X_CSRF_TOKEN"] = response.get_json()["csrf_token"]
        return client


@pytest.fixture
def site(write_package, database_url, tmp_path) -> Site:
    catalog = validate_paths([write_package(SALES, name="sales")]).catalog
    runtime = Runtime.for_catalog(catalog, make_engine(database_url))
    runtime.schema.metadata.create_all(runtime.engine)
    app = create_app(runtime=runtime, config={"TESTING": True, "SECRET_KEY": "test"})
    services = app.extensions["loom"]
    identity = services.identity
    people = {
        "lead": ("sales", ["sales_manager"]),
        "anna": ("team_a", ["sales"]),
        "bert": ("team_b", ["sales"]),
        "fina": (None, ["finance"]),
        "root": (None, ["admin"]),
    }
    with runtime.engine.begin() as conn:
        sales = identity.create_department(conn, "销售部")
        departments = {
            "sales": sales,
            "team_a": identity.create_department(conn, "一组", sales),
            "team_b": identity.create_department(conn, "二组", sales),
            None: None,
        }
        users = {
            login: identity.create_user(
                conn, login, login, password=f"{login}-pw", department_id=departments[dept], roles=roles
            )
            for login, (dept, roles) in people.items()
        }
    services.files.folder = tmp_path / "uploads"
    return Site(app, users)
