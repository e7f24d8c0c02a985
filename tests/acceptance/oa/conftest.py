"""A small company running the builtin OA package, reached through the HTTP API as its people.

总经办 (head: gm) · 销售部 (head: sales_head) › 一组 (head: lead; zhang) · 财务部 (head: fin_dir;
li, sun) · 人事行政部 (head: hr_head; hr, office, keeper, writer) · 技术支持部 (head: tech_head) ·
法务 legal sits in 总经办. Apart from 一组, every department is at the top level, as in a
company without a group above it.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import dataclass
from io import BytesIO
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

OA = Path(loom.__file__).parent / "builtin_apps" / "oa"
BASE = "/api/v1/oa"

# login: (department, roles); heads are set below
PEOPLE = {
    "gm": ("office_of_gm", ["general_manager"]),
    "legal": ("office_of_gm", ["legal"]),
    "sales_head": ("sales", []),
    "lead": ("team_one", []),
    "zhang": ("team_one", []),
    "fin_dir": ("finance", ["finance_director"]),
    "li": ("finance", ["finance"]),
    "sun": ("finance", ["cashier"]),
    "hr_head": ("hr_admin", []),
    "hr": ("hr_admin", ["hr"]),
    "office": ("hr_admin", ["admin_office"]),
    "keeper": ("hr_admin", ["seal_keeper"]),
    "writer": ("hr_admin", []),
    "tech_head": ("support", []),
}
HEADS = {
    "office_of_gm": "gm",
    "sales": "sales_head",
    "team_one": "lead",
    "finance": "fin_dir",
    "hr_admin": "hr_head",
    "support": "tech_head",
}


class Person:
    """One signed-in user: a test client holding their session and CSRF token."""

    def __init__(self, client: FlaskClient, user_id: int) -> None:
        self.client = client
        self.id = user_id

    def get(self, path: str, **params: Any) -> dict:
        response = self.client.get(f"{BASE}/{path}", query_string=params)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def create(self, entity: str, values: dict) -> dict:
        response = self.client.post(f"{BASE}/{entity}", json=values)
        assert response.status_code == 201, response.get_json().get("errors")
        return response.get_json()

    def refused(self, entity: str, values: dict) -> dict:
        """The problem a create that must fail answers with (422, never a 500)."""
        response = self.client.post(f"{BASE}/{entity}", json=values)
        assert response.status_code == 422, response.get_json()
        return response.get_json()

    def flow(self, entity: str, record_id: int, operation: str, **body: Any) -> dict:
        response = self.client.post(f"{BASE}/{entity}/{record_id}/flow/{operation}", json=body)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def todo(self) -> list[dict]:
        response = self.client.get("/api/v1/tasks", query_string={"box": "todo"})
        assert response.status_code == 200, response.get_json()
        return response.get_json()["items"]

    def upload(self, name: str, content: bytes = b"%PDF-1.4 draft") -> int:
        response = self.client.post("/api/v1/files", data={"file": (BytesIO(content), name)})
        assert response.status_code == 201, response.get_json().get("errors")
        return response.get_json()["id"]


@dataclass
class Company:
    app: Flask
    users: dict[str, int]
    departments: dict[str, int]
    clock: Any  # the site_clock fixture: the site's fixed local time

    def login(self, login: str) -> Person:
        client = self.app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh"
        response = client.post("/api/v1/auth/login", json={"login": login, "password": f"{login}-pw"})
        assert response.status_code == 200, response.get_json()
        client.environ_base["HTTP_X_CSRF_TOKEN"] = response.get_json()["csrf_token"]
        return Person(client, self.users[login])

    def logins(self, user_ids: list[int]) -> list[str]:
        by_id = {user_id: login for login, user_id in self.users.items()}
        return [by_id[i] for i in user_ids]

    def pending(self, summary: dict) -> list[str]:
        """Logins holding an open approval task in an approval summary, in task order."""
        return self.logins([t["assignee_id"] for t in summary["tasks"] if t["status"] == "pending"])

    def copied(self, summary: dict) -> list[str]:
        return self.logins([t["assignee_id"] for t in summary["tasks"] if t["kind"] == "cc"])

    def approvers(self, summary: dict) -> list[tuple[str, str]]:
        """(node, login) of every approval a person gave, in the order given."""
        done = [t for t in summary["tasks"] if t["kind"] == "approve" and t["status"] == "approved"]
        return [
            (t["node"], self.logins([t["assignee_id"]])[0]) for t in sorted(done, key=lambda t: t["acted_at"])
        ]


def build_company(database_url: str, uploads: Path, clock: Any, overlays: Iterable[Path] = ()) -> Company:
    """The company on a fresh database, with the OA package (and a site's overlays) installed."""
    result = validate_paths([OA], overlays)
    assert result.problems == (), [p.render() for p in result.problems]
    runtime = Runtime.for_catalog(result.catalog, make_engine(database_url))
    runtime.schema.metadata.create_all(runtime.engine)
    app = create_app(runtime=runtime, config={"TESTING": True, "SECRET_KEY": "test"}, clock=clock)
    services = app.extensions["loom"]
    services.files.folder = uploads
    install_seeds(services.records)
    identity = services.identity
    with runtime.engine.begin() as conn:
        departments = {
            "office_of_gm": identity.create_department(conn, "总经办"),
            "sales": identity.create_department(conn, "销售部"),
            "finance": identity.create_department(conn, "财务部"),
            "hr_admin": identity.create_department(conn, "人事行政部"),
            "support": identity.create_department(conn, "技术支持部"),
        }
        departments["team_one"] = identity.create_department(conn, "一组", departments["sales"])
        users = {
            login: identity.create_user(
                conn, login, login, password=f"{login}-pw", department_id=departments[dept], roles=roles
            )
            for login, (dept, roles) in PEOPLE.items()
        }
        for department, head in HEADS.items():
            identity.set_head(conn, departments[department], users[head])
    return Company(app, users, departments, clock)


@pytest.fixture
def company(database_url: str, tmp_path: Path, site_clock: Any) -> Company:
    return build_company(database_url, tmp_path / "uploads", site_clock)


@pytest.fixture
def company_with(database_url: str, tmp_path: Path, site_clock: Any) -> Callable[[dict[str, str]], Company]:
    """The company on a site whose overlays (file name → YAML) patch the OA package."""

    def build(overlays: dict[str, str]) -> Company:
        folder = tmp_path / "overlays"
        folder.mkdir()
        for name, text in overlays.items():
            (folder / name).write_text(text, encoding="utf-8")
        return build_company(database_url, tmp_path / "uploads", site_clock, [folder])

    return build
