"""A small company running the builtin CRM package (on OA), with its seed data, and its people's HTTP clients.

总经办 (head: gm) > 销售部 (head: director) > 销售一组 (head: lead_a; anna, alex) and 销售二组 (head: lead_b;
bert); 财务部 (fina); 法务部 (lily); 技术支持部 (sam, 客服); carol administers the CRM (客户管理员).
Every story logs in as the people involved, never as a platform administrator.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

import loom
from loom.metadata import validate_paths
from loom.platform.app import create_app
from loom.platform.database import make_engine
from loom.platform.runtime import Runtime
from loom.platform.seeds import install_seeds
from loom.platform.services import Services

BUILTIN = Path(loom.__file__).parent / "builtin_apps"

# login: (department, roles)
PEOPLE = {
    "gm": ("top", ["general_manager"]),
    "director": ("sales", ["crm_sales_manager"]),
    "lead_a": ("team_a", ["crm_sales_manager"]),
    "anna": ("team_a", ["crm_sales"]),
    "alex": ("team_a", ["crm_sales"]),
    "lead_b": ("team_b", ["crm_sales_manager"]),
    "bert": ("team_b", ["crm_sales"]),
    "fina": ("finance", ["crm_finance"]),
    "lily": ("legal", ["legal"]),
    "carol": ("sales", ["crm_admin"]),
    "sam": ("support", ["crm_service"]),
}
HEADS = {"top": "gm", "sales": "director", "team_a": "lead_a", "team_b": "lead_b"}


@dataclass
class Company:
    app: Flask
    services: Services
    users: dict[str, int]
    departments: dict[str, int]
    clock: Any  # the site_clock fixture: the site's fixed local time

    def client(self, login: str) -> FlaskClient:
        """A client signed in through the real login endpoint, holding its CSRF token."""
        client = self.app.test_client()
        response = client.post("/api/v1/auth/login", json={"login": login, "password": f"{login}-pw"})
        assert response.status_code == 200, response.get_json()
        client.environ_base["HTTP_X_CSRF_TOKEN"] = response.get_json()["csrf_token"]
        return client

    def seed_id(self, client: FlaskClient, entity: str, code: str) -> int:
        """The id of a seed record (stage group, stage, ticket type…) found by its code."""
        found = client.get(f"/api/v1/crm/{entity}?code={code}").get_json()["items"]
        assert len(found) == 1, (entity, code, found)
        return found[0]["id"]

    def customer(self, client: FlaskClient, name: str, **values: Any) -> dict:
        return self.ok(client.post("/api/v1/crm/customer", json={"name": name, **values}), 201)

    @staticmethod
    def ok(response: Any, status: int = 200) -> Any:
        """The JSON of a response that must have succeeded (else the problem it reported shows)."""
        assert response.status_code == status, str(response.get_json())
        return response.get_json()


@pytest.fixture
def company(database_url: str, tmp_path: Path, site_clock: Any) -> Company:
    result = validate_paths([BUILTIN])
    assert result.problems == (), [p.render() for p in result.problems]
    runtime = Runtime.for_catalog(result.catalog, make_engine(database_url))
    runtime.schema.metadata.create_all(runtime.engine)
    app = create_app(runtime=runtime, config={"TESTING": True, "SECRET_KEY": "test"}, clock=site_clock)
    services: Services = app.extensions["loom"]
    services.files.folder = tmp_path / "uploads"
    install_seeds(services.records)
    identity = services.identity
    with runtime.engine.begin() as conn:
        top = identity.create_department(conn, "总经办")
        sales = identity.create_department(conn, "销售部", top)
        departments = {
            "top": top,
            "sales": sales,
            "team_a": identity.create_department(conn, "销售一组", sales),
            "team_b": identity.create_department(conn, "销售二组", sales),
            "finance": identity.create_department(conn, "财务部", top),
            "legal": identity.create_department(conn, "法务部", top),
            "support": identity.create_department(conn, "技术支持部", top),
        }
        users = {
            login: identity.create_user(
                conn, login, login, password=f"{login}-pw", department_id=departments[dept], roles=roles
            )
            for login, (dept, roles) in PEOPLE.items()
        }
        for dept, login in HEADS.items():
            identity.set_head(conn, departments[dept], users[login])
    return Company(app, services, users, departments, site_clock)
