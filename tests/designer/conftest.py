"""A small site (the shop app of tests/revisions) with an admin, an employee, the employee's
manager and a holder of the legal role, for the designer."""

from __future__ import annotations

from pathlib import Path

import pytest

from loom.platform.app import create_app

from ..revisions.conftest import LiveSite
from ..revisions.conftest import make_site

PASSWORDS = {"root": "root-pw-2026", "wang": "wang-pw-2026", "zhao": "zhao-pw-2026", "fa": "fa-pw-2026"}
LEGAL = "kind: role\nname: legal\nlabel: {zh: 法务, en: Legal}\n"


@pytest.fixture
def live(tmp_path: Path, database_url: str, site_clock) -> LiveSite:
    site = make_site(tmp_path / "site", database_url)
    (tmp_path / "site" / "apps" / "shop" / "roles" / "legal.yaml").write_text(LEGAL, encoding="utf-8")
    app = create_app(site, config={"TESTING": True}, clock=site_clock)
    identity = app.extensions["loom"].identity
    with app.extensions["loom"].runtime.engine.begin() as conn:
        office = identity.create_department(conn, "行政部")
        people = (
            ("root", "管理员", ["admin"], None),
            ("wang", "王小明", [], office),
            ("zhao", "赵主任", [], office),
            ("fa", "法务李律师", ["legal"], None),
        )
        users = {
            login: identity.create_user(
                conn, login, name, password=PASSWORDS[login], roles=roles, department_id=department
            )
            for login, name, roles, department in people
        }
        identity.set_head(conn, office, users["zhao"])
    return LiveSite(site, app, users)
