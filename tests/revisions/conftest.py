"""A site folder with a small app of its own, migrated on each test database, and its admin."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from loom.platform import migrations
from loom.platform.app import create_app
from loom.platform.runtime import Runtime
from loom.platform.site import Site
from loom.platform.site import open_site

SHOP = {
    "app.yaml": "kind: app\nname: shop\nlabel: {zh: 商店, en: Shop}\nversion: 1.0.0\n",
    "roles/clerk.yaml": "kind: role\nname: clerk\nlabel: {zh: 店员, en: Clerk}\n",
    "entities/customer.yaml": """\
        kind: entity
        name: customer
        label: {zh: 客户, en: Customer}
        title_field: title
        fields:
          - {name: title, label: {zh: 名称, en: Name}, type: string, required: true, max_length: 60}
          - {name: city, label: {zh: 城市, en: City}, type: string, max_length: 40}
        permissions:
          - {role: clerk, create: true, read: all, write: all}
        """,
}
WECHAT = """\
kind: overlay
name: acme_wechat
target: shop.customer
patch:
  fields:
    - {name: wechat, label: {zh: 微信号, en: WeChat}, type: string, max_length: 64}
"""


@dataclass
class LiveSite:
    site: Site
    app: Flask
    users: dict[str, int]

    def client(self, login: str) -> FlaskClient:
        client = self.app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        response = client.post("/api/v1/auth/login", json={"login": login, "password": f"{login}-pw-2026"})
        assert response.status_code == 200, response.get_json()
        client.environ_base["HTTP_X_CSRF_TOKEN"] = response.get_json()["csrf_token"]
        return client


def make_site(folder: Path, database_url: str) -> Site:
    app = folder / "apps" / "shop"
    for path, text in SHOP.items():
        (app / path).parent.mkdir(parents=True, exist_ok=True)
        (app / path).write_text(textwrap.dedent(text), encoding="utf-8")
    (folder / "site.yaml").write_text(
        f"database: '{database_url}'\napps: [shop]\nsecret_key: test-secret\n", encoding="utf-8"
    )
    site = open_site(folder, create=False)
    runtime = Runtime.for_site(site)
    migrations.apply(migrations.plan(runtime), runtime.engine)
    return site


@pytest.fixture
def live(tmp_path: Path, database_url: str) -> LiveSite:
    site = make_site(tmp_path / "site", database_url)
    app = create_app(site, config={"TESTING": True})
    identity = app.extensions["loom"].identity
    with app.extensions["loom"].runtime.engine.begin() as conn:
        users = {
            login: identity.create_user(conn, login, name, password=f"{login}-pw-2026", roles=roles)
            for login, name, roles in (("root", "管理员", ["admin"]), ("clerk", "店员小王", ["clerk"]))
        }
    return LiveSite(site, app, users)
