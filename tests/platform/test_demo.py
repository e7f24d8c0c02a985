"""`loom demo` on a fresh site, toured through the HTTP API as the demo company's people."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

from click.testing import CliRunner
from click.testing import Result
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import select

from loom.platform.app import create_app
from loom.platform.cli import cli
from loom.platform.demo.company import PASSWORD
from loom.platform.site import open_site

FLOW_STATUSES = {"draft", "in_approval", "approved", "rejected", "withdrawn", "returned"}
HEADS = ("liuyang", "zhoujie", "zhangwei", "hejing", "malihua", "zhengqiang", "wangjianguo")


def make_site(folder: Path, database_url: str, apps: str = "oa, crm") -> str:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "site.yaml").write_text(
        f"database: '{database_url}'\napps: [{apps}]\nsecret_key: test\n", encoding="utf-8"
    )
    return str(folder)


def loom(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def signed_in(app: Flask, login: str) -> FlaskClient:
    client = app.test_client()
    response = client.post("/api/v1/auth/login", json={"login": login, "password": PASSWORD})
    assert response.status_code == 200, response.get_json()
    return client


def test_demo_populates_every_entity_with_approvals_in_every_status(
    tmp_path: Path, database_url: str
) -> None:
    site = make_site(tmp_path / "site", database_url)
    migrated = loom("migrate", "--apply", "--site", site)
    assert migrated.exit_code == 0, migrated.output
    result = loom("demo", "--site", site)  # how long it takes: benchmarks/demo.py
    assert result.exit_code == 0, result.output
    assert "wangjianguo" in result.output and PASSWORD in result.output and "销售一组" in result.output

    app = create_app(open_site(site, create=False), config={"TESTING": True})
    catalog = app.extensions["loom"].runtime.catalog
    admin = signed_in(app, "lixiuying")  # the general manager's assistant administers the site
    empty, statuses = [], set()
    for entity in (e for e in catalog.entities.values() if not e.child):
        response = admin.get(f"/api/v1/{entity.app}/{entity.name}", query_string={"page_size": 200})
        assert response.status_code == 200, (entity.qualified_name, response.get_json())
        items = response.get_json()["items"]
        if not items:
            empty.append(entity.qualified_name)
        if entity.has_flow:
            statuses |= {item["flow_status"] for item in items}
    assert empty == []
    assert statuses >= FLOW_STATUSES

    # Managers find approvals waiting for them, and may open the records they are asked about.
    waiting = {}
    for login in HEADS:
        client = signed_in(app, login)
        tasks = client.get("/api/v1/tasks").get_json()
        if tasks["items"]:
            waiting[login] = tasks["items"]
            task = tasks["items"][0]
            app_name, entity_name = task["entity"].split(".")
            record = client.get(f"/api/v1/{app_name}/{entity_name}/{task['record_id']}")
            assert record.status_code == 200
    assert "liuyang" in waiting, "the head of 销售一组 approves their team's requests"

    # The head of the company files the first request of each flow; none waits on himself as his
    # own manager: his manager nodes skip to the next level (he has none) and say so.
    tables = app.extensions["loom"].runtime.schema.metadata.tables
    instances, tasks, events = (tables[f"loom_flow_{t}"] for t in ("instances", "tasks", "events"))
    gm = app.extensions["loom"].identity.users
    with app.extensions["loom"].runtime.engine.connect() as conn:
        gm_id = conn.execute(select(gm.c.id).where(gm.c.login == "wangjianguo")).scalar_one()
        own = select(instances.c.id).where(instances.c.initiator_id == gm_id)
        assert conn.execute(select(func.count()).select_from(own.subquery())).scalar_one() >= 5
        self_tasks = conn.execute(
            select(instances.c.flow, tasks.c.node)
            .join(instances, tasks.c.instance_id == instances.c.id)
            .where(tasks.c.instance_id.in_(own), tasks.c.assignee_id == gm_id, tasks.c.kind == "approve")
        ).all()
        assert {(flow, node) for flow, node in self_tasks} <= {
            ("oa.outgoing_doc_approval", "sign_off"),  # signing off his own document is his to do
            ("oa.incoming_doc_handling", "handling"),
        }
        passed = (
            conn.execute(
                select(events.c.node).where(events.c.instance_id.in_(own), events.c.kind == "auto_pass")
            )
            .scalars()
            .all()
        )
        assert "manager" in passed

    users = app.extensions["loom"].identity.users
    # Everyone has an employee profile, and the nightly grant gave each this year's annual leave,
    # within their quota, by years worked, owned by them; leave of that type draws on it.
    schema = app.extensions["loom"].runtime.schema
    balances, profiles = schema.of("oa.leave_balance").table, schema.of("oa.employee").table
    requests, types = schema.of("oa.leave_request").table, schema.of("oa.leave_type").table
    this_year = app.extensions["loom"].records.clock().year
    with app.extensions["loom"].runtime.engine.connect() as conn:
        rows = conn.execute(select(balances)).mappings().all()
        people = conn.execute(select(profiles)).mappings().all()
        annual = conn.execute(select(types.c.id).where(types.c.code == "annual")).scalar_one()
        annual_leave = conn.execute(select(requests.c.balance).where(requests.c.leave_type == annual)).all()
    with app.extensions["loom"].runtime.engine.connect() as conn:
        assert len(people) == conn.execute(select(func.count()).select_from(users)).scalar_one()
    assert {p["leave_granted_year"] for p in people} == {this_year}
    assert sorted(r["employee"] for r in rows if r["leave_type"] == annual) == sorted(
        p["person"] for p in people
    )
    assert all(r["year"] == this_year and 0 <= r["used"] <= r["quota"] for r in rows), rows
    assert {r["quota"] for r in rows} <= {0, 5, 10, 15} and len({r["quota"] for r in rows}) > 1
    assert all(r["owner"] == r["employee"] for r in rows)
    assert all(balance is not None for (balance,) in annual_leave)

    # A second run is refused and adds nobody.
    with app.extensions["loom"].runtime.engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(users)).scalar_one()
    again = loom("demo", "--site", site)
    assert again.exit_code == 1 and "already has the demo data" in again.output
    assert "Traceback" not in again.output
    with app.extensions["loom"].runtime.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(users)).scalar_one() == before


def test_the_same_seed_gives_the_same_company(tmp_path: Path) -> None:
    def customers(name: str, seed: str) -> list[tuple]:
        site = make_site(tmp_path / name, f"sqlite:///{tmp_path / name / 'loom.db'}")
        assert loom("migrate", "--apply", "--site", site).exit_code == 0
        assert loom("demo", "--site", site, "--seed", seed).exit_code == 0
        app = create_app(open_site(site, create=False), config={"TESTING": True})
        table = app.extensions["loom"].runtime.schema.of("crm.customer").table
        with app.extensions["loom"].runtime.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(select(table.c.name, table.c.owner).order_by(table.c.id))]

    assert customers("a", "7") == customers("b", "7")


def test_a_taken_login_stops_the_demo_and_keeps_nothing(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site", f"sqlite:///{tmp_path / 'loom.db'}")
    migrated = loom("migrate", "--apply", "--site", site)
    assert migrated.exit_code == 0, migrated.output
    created = loom("user", "create", "hejing", "--password", "pass-word-1", "--site", site)
    assert created.exit_code == 0, created.output
    result = loom("demo", "--site", site)
    assert result.exit_code == 1 and "'hejing' is taken" in result.output, result.output
    app = create_app(open_site(site, create=False), config={"TESTING": True})
    identity = app.extensions["loom"].identity
    with app.extensions["loom"].runtime.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(identity.users)).scalar_one() == 1
        assert conn.execute(select(func.count()).select_from(identity.departments)).scalar_one() == 0


def opened_when_up(browser: urllib.request.OpenerDirector, request: urllib.request.Request):
    """The response once the server listens (it announces itself just before it binds)."""
    for _ in range(100):
        try:
            return browser.open(request)
        except urllib.error.URLError:
            time.sleep(0.1)
    return browser.open(request)


def test_serve_demo_seeds_once_prints_the_logins_and_serves_them(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}"

    def serve() -> str:
        """Start `loom serve --demo`, return what it printed once it serves, and stop it."""
        command = [sys.executable, "-m", "loom.platform", "serve", "--demo", "--port", str(port)]
        server = subprocess.Popen(
            command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        try:
            lines = []
            for line in server.stdout:  # type: ignore[union-attr]
                lines.append(line)
                if line.startswith("Loom is serving"):
                    break
            browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
            credentials = json.dumps({"login": "liuyang", "password": PASSWORD}).encode()
            sign_in = urllib.request.Request(
                f"{base}/api/v1/auth/login", credentials, {"Content-Type": "application/json"}
            )
            assert opened_when_up(browser, sign_in).status == 200
            assert json.load(browser.open(f"{base}/api/v1/tasks"))["items"]
            return "".join(lines)
        finally:
            server.terminate()
            server.wait(timeout=30)

    first = serve()
    assert "demo data: 25 people" in first and "liuyang" in first and PASSWORD in first
    second = serve()
    assert "already has the demo data" in second and "liuyang" in second and "demo data: 25" not in second


WORKSHOP = {
    "roles/planner.yaml": "kind: role\nname: planner\nlabel: {zh: 计划员, en: Planner}\n",
    "entities/supplier.yaml": """\
        kind: entity
        name: supplier
        label: {zh: 供应商, en: Supplier}
        title_field: name
        fields:
          - {name: name, type: string, required: true, unique: true, max_length: 60}
          - {name: phone, type: phone}
          - {name: region, type: region}
          - {name: grade, type: select, options: [A, B, C]}
        permissions:
          - {role: employee, create: true, read: all, write: own}
        """,
    "entities/work_order.yaml": """\
        kind: entity
        name: work_order
        label: {zh: 工单, en: Work order}
        title_field: title
        fields:
          - {name: title, type: string, required: true, max_length: 80}
          - {name: supplier, type: link, entity: supplier, required: true, filter: 'grade != "C"'}
          - {name: start_date, type: date, required: true}
          - {name: end_date, type: date, required: true}
          - {name: budget, type: money, min: 0}
          - {name: parts, type: table, entity: part_line, min_rows: 1}
          - {name: total, type: money, compute: "sum(parts.map(p, p.amount))"}
        rules:
          - name: ends_after_start
            check: "end_date >= start_date"
            field: end_date
            message: {zh: 结束日期早于开始日期, en: Ends before it starts}
        permissions:
          - {role: planner, create: true, read: all, write: own, submit: own}
          - {role: employee, read: all}
        """,
    "entities/part_line.yaml": """\
        kind: entity
        name: part_line
        label: {zh: 零件, en: Part}
        child: true
        fields:
          - {name: part, type: string, required: true, max_length: 60}
          - {name: quantity, type: integer, required: true, min: 1, max: 50}
          - {name: amount, type: money, required: true, min: 1}
        """,
    "flows/work_order.yaml": """\
        kind: flow
        name: work_order_approval
        label: {zh: 工单审批, en: Work order approval}
        entity: work_order
        nodes:
          - {name: manager, approve: {manager: 1}, empty: admin}
          - {name: planner_check, approve: {role: planner}, mode: any}
        """,
}


def test_demo_fills_a_package_it_has_never_seen(tmp_path: Path, write_package) -> None:
    """Nothing in the generator names an OA or CRM entity: any package gets records and approvals."""
    folder = tmp_path / "site"
    write_package(WORKSHOP, name="workshop", root=folder / "apps")
    site = make_site(folder, f"sqlite:///{tmp_path / 'loom.db'}", apps="workshop")
    migrated = loom("migrate", "--apply", "--site", site)
    assert migrated.exit_code == 0, migrated.output
    result = loom("demo", "--site", site)
    assert result.exit_code == 0, result.output
    app = create_app(open_site(site, create=False), config={"TESTING": True})
    engine = app.extensions["loom"].runtime.engine
    schema = app.extensions["loom"].runtime.schema
    suppliers, orders = schema.of("workshop.supplier").table, schema.of("workshop.work_order").table
    with engine.connect() as conn:
        grades = dict(conn.execute(select(suppliers.c.id, suppliers.c.grade)).all())
        rows = conn.execute(select(orders)).mappings().all()
    assert len(grades) >= 8 and rows
    assert all(r["end_date"] >= r["start_date"] and grades[r["supplier"]] != "C" for r in rows)
    assert all(r["total"] is not None and r["total"] > 0 for r in rows)
    assert {r["flow_status"] for r in rows} >= {"draft", "in_approval", "approved"}
    reader = signed_in(app, "chenjing")  # holds no role of this package: may read, not create
    assert reader.get("/api/v1/workshop/work_order").get_json()["items"]
