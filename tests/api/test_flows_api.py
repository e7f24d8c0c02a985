"""Approvals through HTTP: submit, approve with a comment, the inbox, timeline and counts."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from loom.metadata import validate_paths
from loom.platform.app import create_app
from loom.platform.database import make_engine
from loom.platform.runtime import Runtime

NOW = dt.datetime(2026, 12, 3, 23, 30, tzinfo=ZoneInfo("Asia/Shanghai"))  # the site's zone, late evening
PACKAGE = {
    "roles/finance.yaml": "kind: role\nname: finance\nlabel: {zh: 财务, en: Finance}\n",
    "entities/claim.yaml": """\
        kind: entity
        name: claim
        label: {zh: 报销, en: Claim}
        title_field: title
        summary:
          zh: "{{ kind }} {{ days }}天 · 合计 {{ total }} · {{ spent_on }}–{{ back_on }}"
          en: "{{ kind }} {{ days }} days · total {{ total }} · {{ spent_on }} to {{ back_on }}"
        fields:
          - {name: title, type: string, required: true}
          - {name: total, type: money}
          - {name: days, type: decimal, scale: 1}
          - {name: spent_on, type: date}
          - {name: back_on, type: date}
          - {name: kind, type: select, options: [{key: trip, label: {zh: 差旅, en: Travel}}]}
          - {name: paid_on, type: date}
        permissions:
          - {role: employee, create: true, read: own, write: own, submit: own}
        """,
    "flows/claim.yaml": """\
        kind: flow
        name: claim_approval
        label: {zh: 报销审批, en: Claim approval}
        entity: claim
        batch_approve: true
        locked:
          editable:
            - {fields: [paid_on], roles: [finance]}
        nodes:
          - {name: manager, approve: {manager: 1}, comment_required: [reject]}
          - name: big
            branch:
              - when: "total > 5000.0"
                nodes: [{name: finance, approve: {role: finance}, mode: any, hidden: [total]}]
              - {else: []}
        """,
}


def serve(write_package, database_url: str, package: dict[str, str]):
    """The package's app with a team (boss heads it, emp works there) and fin of finance; and a
    client factory signing users in through the API."""
    folder = write_package(package, name="oa2")
    catalog = validate_paths([folder]).catalog
    runtime = Runtime.for_catalog(catalog, make_engine(database_url))
    runtime.schema.metadata.create_all(runtime.engine)
    # The clock is given to the app, so the flow engine (which keeps the records service's clock
    # from the start) runs on it too, not on the machine's.
    app = create_app(runtime=runtime, config={"TESTING": True, "SECRET_KEY": "test"}, clock=lambda: NOW)
    app.extensions["loom"].files.folder = folder.parent / "uploads"
    identity = app.extensions["loom"].identity
    with runtime.engine.begin() as conn:
        team = identity.create_department(conn, "一组")
        boss = identity.create_user(conn, "boss", "王经理", password="pw", department_id=team)
        identity.set_head(conn, team, boss)
        identity.create_user(conn, "emp", "张三", password="pw", department_id=team)
        identity.create_user(conn, "fin", "李会计", password="pw", roles=["finance"])

    def client(login: str) -> FlaskClient:
        c = app.test_client()
        token = c.post("/api/v1/auth/login", json={"login": login, "password": "pw"}).get_json()["csrf_token"]
        c.environ_base["HTTP_X_CSRF_TOKEN"] = token
        return c

    def portal(login: str) -> FlaskClient:
        """A browser's session: the API's sign-in sets the cookie the portal reads."""
        c = client(login)
        c.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh"
        return c

    client.app = app
    client.portal = portal
    return app, client


@pytest.fixture
def clients(write_package, database_url):
    return serve(write_package, database_url, PACKAGE)[1]


def test_submit_approve_and_see_the_timeline(clients) -> None:
    emp, boss, fin = clients("emp"), clients("boss"), clients("fin")
    claim = emp.post("/api/v1/oa2/claim", json={"title": "差旅", "total": "8000"}).get_json()
    base = f"/api/v1/oa2/claim/{claim['id']}"
    submitted = emp.post(f"{base}/flow/submit", json={"comment": "请审批"})
    assert submitted.status_code == 200 and submitted.get_json()["status"] == "running"
    assert emp.patch(base, json={"title": "改"}).status_code == 409  # read-only in approval
    todo = boss.get("/api/v1/tasks?box=todo").get_json()
    assert [(i["title"], i["node"]) for i in todo["items"]] == [("差旅", "manager")]
    assert boss.get("/api/v1/tasks/counts").get_json()["todo"] == 1
    assert boss.get(base).status_code == 200  # approvers may read what they approve
    refused = boss.post(f"{base}/flow/reject", json={})
    assert refused.status_code == 422 and refused.get_json()["errors"][0]["field"] == "comment"
    assert emp.post(f"{base}/flow/approve", json={}).status_code == 403
    boss.post(f"{base}/flow/approve", json={"comment": "同意"})
    done = fin.post(
        "/api/v1/tasks/approve", json={"tasks": [fin.get("/api/v1/tasks").get_json()["items"][0]["task_id"]]}
    )
    assert done.get_json()["results"][0]["ok"] is True
    timeline = emp.get(f"{base}/flow").get_json()
    assert timeline["status"] == "approved"
    kinds = [(e["kind"], e.get("comment")) for e in timeline["timeline"]]
    assert ("start", "请审批") in kinds and ("approve", "同意") in kinds and kinds[-1][0] == "finish"
    record = emp.get(base).get_json()
    assert record["flow_status"] == "approved" and record["flow"]["timeline"][-1]["kind"] == "finish"
    assert [i["title"] for i in emp.get("/api/v1/tasks?box=started").get_json()["items"]] == ["差旅"]
    assert [i["task_status"] for i in boss.get("/api/v1/tasks?box=done").get_json()["items"]] == ["approved"]
    unread = emp.get("/api/v1/notifications?unread=1").get_json()["items"]
    assert [n["kind"] for n in unread] == ["result"]
    assert emp.post("/api/v1/notifications/read", json={}).get_json()["marked"] == 1


def test_flow_errors_are_problems(clients) -> None:
    emp = clients("emp")
    claim = emp.post("/api/v1/oa2/claim", json={"title": "差旅", "total": "100"}).get_json()
    base = f"/api/v1/oa2/claim/{claim['id']}"
    assert emp.post(f"{base}/flow/approve", json={}).status_code == 409  # nothing running yet
    assert emp.post(f"{base}/flow/fly", json={}).status_code == 404
    assert emp.post(f"{base}/flow/submit", data="[", content_type="application/json").status_code == 400
    assert emp.get("/api/v1/tasks?box=everything").status_code == 422


def test_a_delegation_sends_new_tasks_to_the_delegate_until_it_ends(clients) -> None:
    emp, boss, fin = clients("emp"), clients("boss"), clients("fin")
    ids = {u["login"]: u["id"] for u in users_of(clients.app)}
    given = boss.post(
        "/api/v1/delegations",
        json={"delegate_id": ids["fin"], **days("2026-12-03", "2026-12-10"), "reason": "休假"},
    )
    assert given.status_code == 201, given.get_json()
    delegation = given.get_json()
    names = (delegation["user_name"], delegation["delegate_name"], delegation["active"])
    assert names == ("王经理", "李会计", True)
    claim = emp.post("/api/v1/oa2/claim", json={"title": "差旅", "total": "100"}).get_json()
    base = f"/api/v1/oa2/claim/{claim['id']}"
    tasks = emp.post(f"{base}/flow/submit", json={}).get_json()["tasks"]
    assert [(t["assignee_id"], t["on_behalf_of"]) for t in tasks] == [(ids["fin"], ids["boss"])]
    assert boss.get("/api/v1/tasks").get_json()["items"] == []
    assert fin.post(f"{base}/flow/approve", json={"comment": "代批"}).status_code == 200
    assert [d["id"] for d in fin.get("/api/v1/delegations").get_json()["items"]] == [delegation["id"]]
    ended = boss.post(f"/api/v1/delegations/{delegation['id']}/end")
    assert ended.status_code == 200 and ended.get_json()["active"] is False
    second = emp.post("/api/v1/oa2/claim", json={"title": "办公用品", "total": "50"}).get_json()
    tasks = emp.post(f"/api/v1/oa2/claim/{second['id']}/flow/submit", json={}).get_json()["tasks"]
    assert [(t["assignee_id"], t["on_behalf_of"]) for t in tasks] == [(ids["boss"], None)]
    audit = audit_actions(clients.app, delegation["id"])
    assert audit == ["create", "end"]


def test_a_delegation_for_other_flows_leaves_this_one_alone(clients) -> None:
    emp, boss = clients("emp"), clients("boss")
    ids = {u["login"]: u["id"] for u in users_of(clients.app)}
    refused = boss.post(
        "/api/v1/delegations",
        json={"delegate_id": ids["fin"], **days("2026-12-03", "2026-12-04"), "flows": ["a.b"]},
    )
    assert refused.status_code == 422
    assert [e["field"] for e in refused.get_json()["errors"]] == ["flows.0"]
    later = boss.post(
        "/api/v1/delegations",
        json={"delegate_id": ids["fin"], "starts_on": "2026-12-04", "ends_on": "2026-12-05"},
    )
    assert later.status_code == 201  # starts tomorrow in the site's zone, so today's task stays
    claim = emp.post("/api/v1/oa2/claim", json={"title": "差旅", "total": "100"}).get_json()
    tasks = emp.post(f"/api/v1/oa2/claim/{claim['id']}/flow/submit", json={}).get_json()["tasks"]
    assert [t["assignee_id"] for t in tasks] == [ids["boss"]]


DATES_AND_DELEGATE = ["delegate_id", "starts_on", "ends_on"]


def test_delegations_are_checked_and_only_admins_delegate_for_others(clients) -> None:
    emp, boss = clients("emp"), clients("boss")
    ids = {u["login"]: u["id"] for u in users_of(clients.app)}
    cases = [
        ({"delegate_id": ids["boss"], "starts_on": "2026-12-03", "ends_on": "2026-12-04"}, ["delegate_id"]),
        ({"delegate_id": ids["fin"], "starts_on": "2026-12-05", "ends_on": "2026-12-04"}, ["ends_on"]),
        ({"delegate_id": ids["fin"], "starts_on": "2026-12-01", "ends_on": "2026-12-02"}, ["ends_on"]),
        ({"delegate_id": 999999, "starts_on": "12/03", "colour": "red"}, ["colour", *DATES_AND_DELEGATE]),
    ]
    for body, fields in cases:
        answer = boss.post("/api/v1/delegations", json=body, headers={"Accept-Language": "zh"})
        assert answer.status_code == 422, body
        assert [e["field"] for e in answer.get_json()["errors"]] == fields
    first = {"delegate_id": ids["fin"], "starts_on": "2026-12-03", "ends_on": "2026-12-09"}
    assert boss.post("/api/v1/delegations", json=first).status_code == 201
    overlapping = {**first, "starts_on": "2026-12-09", "ends_on": "2026-12-12"}
    overlap = boss.post("/api/v1/delegations", json=overlapping)
    assert overlap.status_code == 422
    assert overlap.get_json()["errors"][0]["code"] == "delegation_overlap"
    for_other = emp.post("/api/v1/delegations", json={**first, "user_id": ids["boss"]})
    assert for_other.status_code == 403
    assert emp.get(f"/api/v1/delegations?user={ids['boss']}").status_code == 403
    assert emp.get("/api/v1/delegations").get_json()["items"] == []


def days(first: str, last: str) -> dict[str, str]:
    return {"starts_on": first, "ends_on": last}


def users_of(app) -> list[dict]:
    services = app.extensions["loom"]
    users = services.runtime.schema.metadata.tables["loom_users"]
    with services.runtime.engine.connect() as conn:
        return [dict(row) for row in conn.execute(users.select()).mappings()]


def audit_actions(app, delegation_id: int) -> list[str]:
    services = app.extensions["loom"]
    audit = services.runtime.schema.metadata.tables["loom_audit"]
    query = audit.select().where(audit.c.entity == "loom.delegation", audit.c.record_id == delegation_id)
    with services.runtime.engine.connect() as conn:
        return [row.action for row in conn.execute(query.order_by(audit.c.id))]


def test_inbox_items_carry_the_summary_each_approver_may_see(clients) -> None:
    emp, boss, fin = clients("emp"), clients("boss"), clients("fin")
    values = {"title": "差旅", "total": "8000", "kind": "trip", "days": "2"}
    values |= {"spent_on": "2026-12-04", "back_on": "2027-01-05"}
    claim = emp.post("/api/v1/oa2/claim", json=values).get_json()
    base = f"/api/v1/oa2/claim/{claim['id']}"
    emp.post(f"{base}/flow/submit", json={})
    [item] = boss.get("/api/v1/tasks", headers={"Accept-Language": "zh"}).get_json()["items"]
    # Options by label, whole days without ".0", days as spoken (the year only when not this year's).
    assert item["summary"] == "差旅 2天 · 合计 ¥8,000.00 · 12月4日–2027年1月5日"
    assert item["initiator_name"] == "张三" and item["headline"] == "张三提交的报销"
    assert "summary_values" not in item
    [item] = boss.get("/api/v1/tasks?lang=en").get_json()["items"]
    assert item["summary"] == "Travel 2 days · total ¥8,000.00 · Dec 4 to Jan 5, 2027"
    assert item["headline"] == "张三's Claim"
    boss.post(f"{base}/flow/approve", json={})
    [item] = fin.get("/api/v1/tasks", headers={"Accept-Language": "zh"}).get_json()["items"]
    # The finance step hides the total, and the words of its part go with it.
    assert item["summary"] == "差旅 2天 · 12月4日–2027年1月5日"
    [note] = fin.get("/api/v1/notifications", headers={"Accept-Language": "zh"}).get_json()["items"]
    assert (note["kind"], note["headline"], note["summary"]) == ("task", "张三提交的报销", item["summary"])
    assert "definition" not in note and "summary_values" not in note
    [started] = emp.get("/api/v1/tasks?box=started").get_json()["items"]
    assert "8,000.00" in started["summary"] and started["headline"] == "张三提交的报销"
    described = emp.get("/api/v1/openapi.json").get_json()["components"]["schemas"]["TaskItem"]["properties"]
    assert set(item) <= set(described) and set(started) <= set(described)  # the document tells all
    page = clients.portal("boss").get("/inbox?box=done").get_data(as_text=True)
    assert '<strong class="me-auto" data-asked>张三提交的报销</strong>' in page
    assert '<div class="loom-summary">差旅 2天 · 合计 ¥8,000.00 · 12月4日–2027年1月5日</div>' in page
    record = clients.portal("fin").get(f"/oa2/claim/{claim['id']}").get_data(as_text=True)
    assert "张三提交的报销 · 差旅 2天 · 12月4日–2027年1月5日</p>" in record  # the header, without the total


def test_comments_are_text_in_every_operation(clients) -> None:
    emp, boss = clients("emp"), clients("boss")
    claim = emp.post("/api/v1/oa2/claim", json={"title": "差旅", "total": "100"}).get_json()
    base = f"/api/v1/oa2/claim/{claim['id']}"
    for comment in ({"not": "a string"}, ["x"], 5, True):
        refused = emp.post(f"{base}/flow/submit", json={"comment": comment})
        assert refused.status_code == 422, refused.get_json()
        assert refused.get_json()["errors"][0]["field"] == "comment"
    assert emp.post(f"{base}/flow/submit", json={"chosen": []}).status_code == 422
    assert emp.get(f"{base}/flow").get_json() is None  # nothing was started
    assert emp.post(f"{base}/flow/submit", json={"comment": "请审批"}).status_code == 200
    task = boss.get("/api/v1/tasks").get_json()["items"][0]["task_id"]
    batch = boss.post("/api/v1/tasks/approve", json={"tasks": [task], "comment": {}})
    assert batch.status_code == 422 and batch.get_json()["errors"][0]["field"] == "comment"
    assert boss.get("/api/v1/tasks").get_json()["total"] == 1  # still waiting


def test_batch_approve_names_what_is_wrong_with_the_ids(clients) -> None:
    boss = clients("boss")
    for tasks in (["x"], [0], [True], "1", None):
        refused = boss.post("/api/v1/tasks/approve", json={"tasks": tasks}, headers={"Accept-Language": "en"})
        assert refused.status_code == 400
        assert refused.get_json()["errors"] == [
            {"field": "tasks", "code": "invalid", "message": "Not a valid record id."}
        ]
    many = boss.post("/api/v1/tasks/approve", json={"tasks": list(range(1, 202))})
    assert many.status_code == 400 and many.get_json()["errors"][0]["code"] == "rows_max"
    assert boss.post("/api/v1/tasks/approve", json={"tasks": list(range(1, 201))}).status_code == 200
    for signature in ("1", 0, True, [1]):
        refused = boss.post("/api/v1/tasks/approve", json={"tasks": [1], "signature": signature})
        assert refused.status_code == 422 and refused.get_json()["errors"][0]["field"] == "signature"
    unknown = boss.post("/api/v1/tasks/approve", json={"tasks": [1], "signature": 99})
    assert unknown.status_code == 200 and unknown.get_json()["results"][0]["ok"] is False


def test_marking_notifications_read_takes_ids_or_nothing(clients) -> None:
    emp = clients("emp")
    for ids in (["x"], [0], "1", [True]):
        refused = emp.post("/api/v1/notifications/read", json={"ids": ids})
        assert refused.status_code == 400 and refused.get_json()["errors"][0]["field"] == "ids"
    assert emp.post("/api/v1/notifications/read", json={"ids": [1, 2]}).get_json() == {"marked": 0}
    assert emp.post("/api/v1/notifications/read").get_json() == {"marked": 0}


def _approved(emp: FlaskClient, boss: FlaskClient, fin: FlaskClient, total: str) -> str:
    claim = emp.post("/api/v1/oa2/claim", json={"title": "差旅", "total": total}).get_json()
    base = f"/api/v1/oa2/claim/{claim['id']}"
    emp.post(f"{base}/flow/submit", json={})
    assert boss.post(f"{base}/flow/approve", json={}).status_code == 200
    if float(total) > 5000:
        assert fin.post(f"{base}/flow/approve", json={}).status_code == 200
    assert emp.get(base).get_json()["flow_status"] == "approved"
    return base


def test_an_approved_record_is_read_only_but_for_what_its_flow_leaves_editable(clients) -> None:
    emp, boss, fin = clients("emp"), clients("boss"), clients("fin")
    base = _approved(emp, boss, fin, "8000")
    changed = emp.patch(base, json={"total": "9000"})
    assert changed.status_code == 409 and changed.get_json()["type"].endswith("/locked")
    assert changed.get_json()["detail"] == "记录已通过，不能再修改。"
    assert emp.get(base).get_json()["total"] == "8000.00"
    # The flow lets finance record the payment date, without finance's write permission...
    paid = fin.patch(base, json={"paid_on": "2026-11-20"})
    assert paid.status_code == 200 and paid.get_json()["paid_on"] == "2026-11-20"
    # ...and nothing else, field by field; echoing the unchanged values is fine.
    refused = fin.patch(base, json={"paid_on": "2026-11-21", "total": "1", "title": "差旅"})
    assert refused.status_code == 422
    assert [e["field"] for e in refused.get_json()["errors"]] == ["total"]
    assert emp.patch(base, json={"paid_on": "2026-11-22"}).status_code == 409  # not the employee's
    assert boss.patch(base, json={"paid_on": "2026-11-22"}).status_code in (403, 404)
    assert emp.get(base).get_json()["paid_on"] == "2026-11-20"


def test_a_rejected_record_stays_editable_for_resubmission(clients) -> None:
    emp, boss = clients("emp"), clients("boss")
    claim = emp.post("/api/v1/oa2/claim", json={"title": "差旅", "total": "100"}).get_json()
    base = f"/api/v1/oa2/claim/{claim['id']}"
    emp.post(f"{base}/flow/submit", json={})
    boss.post(f"{base}/flow/reject", json={"comment": "金额不对"})
    assert emp.patch(base, json={"total": "90"}).status_code == 200


def test_a_flow_locking_rejected_records_refuses_their_changes(write_package, database_url) -> None:
    package = {**PACKAGE, "flows/claim.yaml": PACKAGE["flows/claim.yaml"].replace(
        "        locked:\n", "        locked:\n          statuses: [approved, rejected]\n"
    )}  # fmt: skip
    clients = serve(write_package, database_url, package)[1]
    emp, boss = clients("emp"), clients("boss")
    claim = emp.post("/api/v1/oa2/claim", json={"title": "差旅", "total": "100"}).get_json()
    base = f"/api/v1/oa2/claim/{claim['id']}"
    emp.post(f"{base}/flow/submit", json={})
    boss.post(f"{base}/flow/reject", json={"comment": "不行"})
    refused = emp.patch(base, json={"total": "90"})
    assert refused.status_code == 409 and "已驳回" in refused.get_json()["detail"]


def test_a_flow_cannot_leave_unknown_fields_or_roles_editable(write_package) -> None:
    package = {**PACKAGE, "flows/claim.yaml": PACKAGE["flows/claim.yaml"].replace(
        "{fields: [paid_on], roles: [finance]}", "{fields: [paid], roles: [cashier]}"
    )}  # fmt: skip
    problems = validate_paths([write_package(package, name="oa2")]).problems
    assert {p.pointer for p in problems} == {"/locked/editable/0/fields/0", "/locked/editable/0/roles/0"}


HIDING = {
    **PACKAGE,
    "entities/claim.yaml": PACKAGE["entities/claim.yaml"].replace(
        "submit: own}", "submit: own}\n          - {role: finance, read: all}"
    ),
    "flows/claim.yaml": """\
        kind: flow
        name: claim_approval
        label: {zh: 报销审批, en: Claim approval}
        entity: claim
        nodes:
          - {name: manager, approve: {manager: 1}}
          - {name: finance, approve: {role: finance}, mode: any, hidden: [total]}
        """,
}


def test_fields_a_step_hides_are_left_out_of_every_read(write_package, database_url) -> None:
    app, clients = serve(write_package, database_url, HIDING)
    emp, boss, fin = clients("emp"), clients("boss"), clients("fin")
    hidden = emp.post("/api/v1/oa2/claim", json={"title": "待审", "total": "8000"}).get_json()
    fin.post("/api/v1/oa2/claim", json={"title": "自己的", "total": "50"}).get_json()
    emp.post(f"/api/v1/oa2/claim/{hidden['id']}/flow/submit", json={})
    boss.post(f"/api/v1/oa2/claim/{hidden['id']}/flow/approve", json={})
    assert "total" not in fin.get(f"/api/v1/oa2/claim/{hidden['id']}").get_json()
    listed = {r["title"]: r for r in fin.get("/api/v1/oa2/claim").get_json()["items"]}
    assert "total" not in listed["待审"] and listed["自己的"]["total"] == "50.00"
    for probe in ("total__gt=5000", "sort=-total"):  # nor guessed through which rows match
        assert fin.get(f"/api/v1/oa2/claim?{probe}").status_code == 422, probe
    assert emp.get("/api/v1/oa2/claim").get_json()["items"][0]["total"] == "8000.00"
    services = app.extensions["loom"]
    with services.runtime.engine.connect() as conn:
        users = services.identity.users
        fin_id = conn.execute(select(users.c.id).where(users.c.login == "fin")).scalar_one()
        fin_actor = services.identity.actor(conn, fin_id)
        table = services.runtime.schema.of("oa2.claim").table
        rows = table.select().order_by(table.c.id)
        everything = [dict(r) for r in conn.execute(rows).mappings()]
    seen = services.records.visible("oa2.claim", everything, fin_actor)  # as reports show them
    assert [("total" in r) for r in seen] == [False, True]


FILES = {
    **HIDING,
    "entities/claim.yaml": HIDING["entities/claim.yaml"].replace(
        "          - {name: total, type: money}\n",
        "          - {name: total, type: money}\n          - {name: lines, type: table, entity: line}\n",
    ),
    "entities/line.yaml": """\
        kind: entity
        name: line
        label: {zh: 明细, en: Line}
        child: true
        fields:
          - {name: amount, type: money}
          - {name: invoice_files, type: file, multiple: true}
          - {name: receipt, type: file}
        """,
}


def test_files_of_child_rows_download_for_every_reader_of_the_record(write_package, database_url) -> None:
    _app, clients = serve(write_package, database_url, FILES)
    emp, boss, fin = clients("emp"), clients("boss"), clients("fin")

    def upload(name: str) -> int:
        sent = emp.post("/api/v1/files", data={"file": (io.BytesIO(b"%PDF-1.4 " + name.encode()), name)})
        return sent.get_json()["id"]

    invoice, receipt = upload("发票.pdf"), upload("收据.pdf")
    lines = [{"amount": "80", "invoice_files": [invoice], "receipt": receipt}]
    claim = emp.post("/api/v1/oa2/claim", json={"title": "差旅", "total": "80", "lines": lines}).get_json()
    files = [f"/api/v1/files/{invoice}", f"/api/v1/files/{receipt}"]
    assert [boss.get(f).status_code for f in files] == [404, 404]  # not his to read yet
    assert [fin.get(f).status_code for f in files] == [200, 200]  # finance reads every claim
    emp.post(f"/api/v1/oa2/claim/{claim['id']}/flow/submit", json={})
    assert [boss.get(f).status_code for f in files] == [200, 200]  # the approver reads it now
    assert boss.get(files[0]).data == "%PDF-1.4 发票.pdf".encode()


def test_a_task_id_past_64_bits_is_refused_by_every_operation(clients) -> None:
    """Found by the fuzz run: submit ignored such a ``task`` instead of refusing it."""
    emp = clients("emp")
    claim = emp.post("/api/v1/oa2/claim", json={"title": "差旅", "total": "100"}).get_json()
    for key in ("task", "to"):  # `to` too (the fuzz run again): a user id where one is given
        refused = emp.post(f"/api/v1/oa2/claim/{claim['id']}/flow/submit", json={key: 2**63})
        assert refused.status_code == 422 and refused.get_json()["errors"][0]["field"] == key
    chosen = emp.post(f"/api/v1/oa2/claim/{claim['id']}/flow/submit", json={"chosen": {"x": [2**63]}})
    assert chosen.status_code == 422 and chosen.get_json()["errors"][0]["field"] == "chosen.x"
    position = emp.post(f"/api/v1/oa2/claim/{claim['id']}/flow/submit", json={"position": "AAA"})
    assert position.status_code == 422 and position.get_json()["errors"][0]["field"] == "position"
    mode = emp.post(f"/api/v1/oa2/claim/{claim['id']}/flow/submit", json={"mode": "AAA"})
    assert mode.status_code == 422 and mode.get_json()["errors"][0]["field"] == "mode"
    assert "all, any" in mode.get_json()["errors"][0]["message"]
    files = emp.post(f"/api/v1/oa2/claim/{claim['id']}/flow/submit", json={"attachments": [1] * 10})
    assert files.status_code == 422 and files.get_json()["errors"][0]["field"] == "attachments"
    assert emp.get(f"/api/v1/oa2/claim/{claim['id']}/flow").get_json() is None  # nothing started


def test_revoke_is_a_problem_where_the_flow_does_not_allow_it(clients) -> None:
    emp, boss, fin = clients("emp"), clients("boss"), clients("fin")
    base = _approved(emp, boss, fin, "100")
    refused = emp.post(f"{base}/flow/revoke", json={"comment": "不要了"})
    assert refused.status_code == 422 and refused.mimetype == "application/problem+json"
    assert [e["code"] for e in refused.get_json()["errors"]] == ["revoke_not_allowed"]
    assert emp.get(base).get_json()["flow_status"] == "approved"


def test_revoke_an_approved_claim_with_the_last_approvers_agreement(write_package, database_url) -> None:
    package = {**PACKAGE, "flows/claim.yaml": PACKAGE["flows/claim.yaml"].replace(
        "        locked:\n", "        revoke: {allowed: true}\n        locked:\n"
    )}  # fmt: skip
    clients = serve(write_package, database_url, package)[1]
    emp, boss, fin = clients("emp"), clients("boss"), clients("fin")
    running = emp.post("/api/v1/oa2/claim", json={"title": "未审", "total": "100"}).get_json()
    emp.post(f"/api/v1/oa2/claim/{running['id']}/flow/submit", json={})
    early = emp.post(f"/api/v1/oa2/claim/{running['id']}/flow/revoke", json={"comment": "不要了"})
    assert early.status_code == 409 and early.mimetype == "application/problem+json"  # not approved
    base = _approved(emp, boss, fin, "8000")
    assert boss.post(f"{base}/flow/revoke", json={"comment": "不要了"}).status_code == 403  # not his
    unexplained = emp.post(f"{base}/flow/revoke", json={})
    assert unexplained.status_code == 422 and unexplained.get_json()["errors"][0]["field"] == "comment"
    asked = emp.post(f"{base}/flow/revoke", json={"comment": "行程取消"})
    assert asked.status_code == 200 and asked.get_json()["status"] == "revoking"
    todo = fin.get("/api/v1/tasks?box=todo").get_json()["items"]  # fin approved last
    assert [(i["kind"], i["status"]) for i in todo] == [("revoke", "revoking")]
    assert boss.post(f"{base}/flow/approve", json={}).status_code == 403  # not his to decide
    assert emp.patch(base, json={"total": "7000"}).status_code == 409  # still approved, locked
    done = fin.post(f"{base}/flow/approve", json={"comment": "同意撤销"})
    assert done.status_code == 200 and done.get_json()["status"] == "revoked"
    assert emp.get(base).get_json()["flow_status"] == "revoked"
    assert emp.patch(base, json={"total": "7000"}).status_code == 200  # editable again
    again = emp.post(f"{base}/flow/submit", json={})
    assert again.status_code == 200 and again.get_json()["status"] == "running"


def test_an_approval_comment_carries_files_and_mentions(clients) -> None:
    """The approver attaches a photo and @s the initiator: she is notified and downloads the
    photo, which stays hidden from those who may not read the claim."""
    emp, boss, fin = clients("emp"), clients("boss"), clients("fin")
    claim = emp.post("/api/v1/oa2/claim", json={"title": "差旅", "total": "100"}).get_json()
    base = f"/api/v1/oa2/claim/{claim['id']}"
    emp.post(f"{base}/flow/submit", json={})
    sent = boss.post("/api/v1/files", data={"file": (io.BytesIO(b"jpeg"), "发票照片.jpg")}).get_json()["id"]
    others = emp.post("/api/v1/files", data={"file": (io.BytesIO(b"pdf"), "合同.pdf")}).get_json()["id"]
    assert emp.get(f"/api/v1/files/{sent}").status_code == 404  # not on the approval yet
    refused = boss.post(f"{base}/flow/approve", json={"attachments": [others], "mentions": [999]})
    assert refused.status_code == 422
    assert [(e["field"], e["code"]) for e in refused.get_json()["errors"]] == [
        ("attachments", "not_your_file"),
        ("mentions", "not_in_chain"),
    ]
    emp_id = claim["created_by"]
    body = {"comment": "@张三 发票已核对", "attachments": [sent], "mentions": [emp_id]}
    approved = boss.post(f"{base}/flow/approve", json=body)
    assert approved.status_code == 200, approved.get_json()
    [event] = [e for e in approved.get_json()["timeline"] if e["kind"] == "approve"]
    assert (event["attachments"], event["mentions"]) == ([sent], [emp_id])
    assert emp.get(f"/api/v1/files/{sent}").status_code == 200  # she reads the claim: its files too
    assert fin.get(f"/api/v1/files/{sent}").status_code == 404
    mentioned = [n for n in emp.get("/api/v1/notifications").get_json()["items"] if n["kind"] == "mention"]
    assert [n["message"]["comment"] for n in mentioned] == ["@张三 发票已核对"]
