"""`loom user import FILE` as a user runs it: a CSV or an xlsx file creates many users in one
transaction, and a file with any bad row creates none and lists every problem."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from openpyxl import Workbook
from sqlalchemy import select
from werkzeug.security import check_password_hash

from loom.platform.database import make_engine
from loom.platform.platform_tables import define


def run(*args: str, site, url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "LOOM_DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "loom.platform", *args, "--site", str(site)],
        capture_output=True, text=True, env=env, timeout=180,
    )  # fmt: skip


@pytest.fixture(scope="module")
def site(module_database_url, tmp_path_factory):
    """A migrated site shared by the module's tests (each imports logins of its own)."""
    folder = tmp_path_factory.mktemp("site")
    migrated = run("migrate", "--apply", site=folder, url=module_database_url)
    assert migrated.returncode == 0, migrated.stderr
    return folder, module_database_url


def users(url: str, *logins: str) -> dict[str, dict]:
    """The rows of ``logins`` with their department's name, manager's login and roles."""
    from sqlalchemy import MetaData

    metadata = MetaData()
    define(metadata)
    t = metadata.tables
    found: dict[str, dict] = {}
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            for login in logins:
                row = conn.execute(select(t["loom_users"]).where(t["loom_users"].c.login == login)).mappings()
                user = row.first()
                if user is None:
                    continue
                user = dict(user)
                departments, memberships, people = (
                    t["loom_departments"],
                    t["loom_memberships"],
                    t["loom_users"],
                )
                user["department"] = conn.execute(
                    select(departments.c.name).where(departments.c.id == user["department_id"])
                ).scalar()
                user["manager"] = conn.execute(
                    select(people.c.login).where(people.c.id == user["manager_id"])
                ).scalar()
                user["roles"] = sorted(
                    conn.execute(
                        select(memberships.c.role).where(memberships.c.user_id == user["id"])
                    ).scalars()
                )
                audit = t["loom_audit"]
                user["audited"] = conn.execute(
                    select(audit.c.action, audit.c.user_id).where(
                        audit.c.entity == "loom_users", audit.c.record_id == user["id"]
                    )
                ).all()
                found[login] = user
    finally:
        engine.dispose()
    return found


def test_a_csv_with_chinese_headers_and_a_bom_creates_its_users(site, tmp_path) -> None:
    folder, url = site
    path = tmp_path / "people.csv"
    path.write_text(
        "\ufeff登录名,姓名,邮箱,手机,部门,上级,角色,密码\n"
        "c_wang,王经理,wang@example.com,13800000001,华东销售部,,crm_sales_manager,wang-pass-2026\n"
        "c_zhang,张三,,13800000002,华东销售部,c_wang,crm_sales；hr,\n"
        "\n"
        'c_li,李四,,,,c_wang,"crm_sales, crm_service",li-pass-2026\n',
        encoding="utf-8",
    )
    done = run("user", "import", str(path), site=folder, url=url)
    assert done.returncode == 0, done.stderr
    assert "3 user(s) created" in done.stdout and "shown once" in done.stderr
    generated = dict(line.split() for line in done.stdout.splitlines()[3:])
    assert list(generated) == ["c_zhang"]  # only the row without a password has one generated

    found = users(url, "c_wang", "c_zhang", "c_li")
    wang, zhang, li = found["c_wang"], found["c_zhang"], found["c_li"]
    assert (wang["name"], wang["email"], wang["phone"]) == ("王经理", "wang@example.com", "13800000001")
    assert wang["department"] == zhang["department"] == "华东销售部" and li["department"] is None
    assert zhang["manager"] == li["manager"] == "c_wang"
    assert zhang["roles"] == ["crm_sales", "hr"] and li["roles"] == ["crm_sales", "crm_service"]
    assert check_password_hash(wang["password_hash"], "wang-pass-2026")
    assert check_password_hash(zhang["password_hash"], generated["c_zhang"])
    assert ("create", None) in zhang["audited"]  # audited, by no user: the command line


def test_an_xlsx_file_imports_with_json_output(site, tmp_path) -> None:
    folder, url = site
    book = Workbook()
    sheet = book.active
    sheet.append(["Login", "Name", "Phone", "Department", "Manager", "Roles", "Password"])
    sheet.append(["x_qian", "钱总监", 13900000001, "财务部", None, "finance_director;admin", None])
    sheet.append(["x_sun", "孙出纳", None, "财务部", "x_qian", "cashier", "sun-pass-2026"])
    path = tmp_path / "people.xlsx"
    book.save(path)
    done = run("user", "import", str(path), "--format", "json", site=folder, url=url)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["ok"] is True
    created = {c["login"]: c for c in report["created"]}
    assert [c["row"] for c in report["created"]] == [2, 3]
    assert created["x_sun"]["password"] is None and len(created["x_qian"]["password"]) >= 16

    found = users(url, "x_qian", "x_sun")
    assert found["x_qian"]["phone"] == "13900000001"  # a number cell, read as the digits
    assert found["x_qian"]["roles"] == ["admin", "finance_director"]
    assert found["x_sun"]["manager"] == "x_qian" and found["x_sun"]["department"] == "财务部"
    assert check_password_hash(found["x_qian"]["password_hash"], created["x_qian"]["password"])


def test_any_bad_row_creates_nothing_and_every_problem_is_listed(site, tmp_path) -> None:
    folder, url = site
    assert (
        run("user", "create", "r_taken", "--password", "taken-pass-1", site=folder, url=url).returncode == 0
    )
    path = tmp_path / "bad.csv"
    path.write_text(
        "login,name,department,manager,roles,password\n"
        "r_ok,Fine,新部门,,crm_sales,fine-pass-2026\n"
        "r_taken,Taken,,,,\n"
        "r_role,Role,,,wizard;crm_sales,\n"
        "r_weak,Weak,,,,12345678\n"
        "r_boss,Boss,,nobody,,\n"
        "r_ok,Again,,r_late,,\n"
        "r_late,Late,,,,\n",
        encoding="utf-8",
    )
    done = run("user", "import", str(path), site=folder, url=url)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert "row 3, login: login 'r_taken' is taken" in lines
    assert "row 4, roles: unknown role(s): wizard" in lines
    assert any(line.startswith("row 5, password: ") for line in lines)
    assert "row 6, manager: no user 'nobody' here or in the file" in lines
    assert "row 7, login: 'r_ok' is in row 2 too" in lines
    assert "row 7, manager: 'r_late' comes later, in row 8" in lines
    assert "6 problem(s); no user was created" in done.stderr
    assert users(url, "r_ok", "r_role", "r_weak", "r_boss", "r_late") == {}

    as_json = json.loads(run("user", "import", str(path), "--format", "json", site=folder, url=url).stdout)
    assert as_json["ok"] is False
    assert {"row": 4, "column": "roles", "message": "unknown role(s): wizard"} in as_json["problems"]

    # A department the refused file named was not created either: a later file makes it once.
    fixed = tmp_path / "fixed.csv"
    fixed.write_text("登录名,部门\nr_ok,新部门\nr_late,新部门\n", encoding="utf-8")
    assert run("user", "import", str(fixed), site=folder, url=url).returncode == 0
    found = users(url, "r_ok", "r_late")
    assert found["r_ok"]["department_id"] == found["r_late"]["department_id"] is not None


def test_unknown_columns_are_refused_before_the_site_is_opened(tmp_path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("login,nickname,登录名\nsomeone,x,y\n", encoding="utf-8")
    done = run("user", "import", str(path), site=tmp_path / "no-site", url="sqlite:///unused.db")
    assert done.returncode == 1
    assert "row 1, nickname: unknown column" in done.stderr
    assert "row 1, 登录名: a second login column" in done.stderr


def test_a_role_only_a_published_revision_declares_is_known(site, tmp_path) -> None:
    folder, url = site
    app = tmp_path / "changes" / "apps" / "acme"
    (app / "roles").mkdir(parents=True)
    (app / "app.yaml").write_text(
        "kind: app\nname: acme\nlabel: {zh: 采购, en: Purchasing}\nversion: 1.0.0\n"
    )
    (app / "roles" / "buyer.yaml").write_text(
        "kind: role\nname: acme_buyer\nlabel: {zh: 采购员, en: Buyer}\n"
    )
    people = tmp_path / "buyers.csv"
    people.write_text("login,roles,password\np_two,acme_buyer,buyer-pass-2026\n", encoding="utf-8")
    create = ("user", "create", "p_one", "--password", "buyer-pass-2026", "--role", "acme_buyer")
    refused = run(*create, site=folder, url=url)
    assert refused.returncode == 1 and "unknown role(s): acme_buyer" in refused.stderr
    assert run("user", "import", str(people), site=folder, url=url).returncode == 1

    published = run("metadata", "publish", str(tmp_path / "changes"), "-m", "采购", site=folder, url=url)
    assert published.returncode == 0, published.stderr
    assert run(*create, site=folder, url=url).returncode == 0
    imported = run("user", "import", str(people), site=folder, url=url)
    assert imported.returncode == 0, imported.stderr
    found = users(url, "p_one", "p_two")
    assert found["p_one"]["roles"] == found["p_two"]["roles"] == ["acme_buyer"]
