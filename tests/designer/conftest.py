"""A small site (the shop app of tests/revisions) with an admin and an employee, for the designer."""

from __future__ import annotations

from pathlib import Path

import pytest

from loom.platform.app import create_app

from ..revisions.conftest import LiveSite
from ..revisions.conftest import make_site

PASSWORDS = {"root": "root-pw-2026", "wang": "wang-pw-2026"}


@pytest.fixture
def live(tmp_path: Path, database_url: str, site_clock) -> LiveSite:
    site = make_site(tmp_path / "site", database_url)
    app = create_app(site, config={"TESTING": True}, clock=site_clock)
    identity = app.extensions["loom"].identity
    with app.extensions["loom"].runtime.engine.begin() as conn:
        users = {
            login: identity.create_user(conn, login, name, password=PASSWORDS[login], roles=roles)
            for login, name, roles in (("root", "管理员", ["admin"]), ("wang", "王小明", []))
        }
    return LiveSite(site, app, users)
