"""Approvals through HTTP: submit, approve with a comment, the inbox, timeline and counts."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from loom.metadata import validate_paths
from loom.platform.app import create_app
from loom.platform.database import make_engine
from loom.platform.runtime import Runtime

PACKAGE = {
    "roles/finance.yaml": "kind: role\nname: finance\nlabel: {zh: 财务, en: Finance}\n",
    "entities/claim.yaml": """\
        kind: entity
        name: claim
        label: {zh: 报销, en: Claim}
        title_field: title
        fields:
          - {name: title, type: string, required: true}
          - {name: total, type: money}
        permissions:
          - {role: employee, create: true, read: own, write: own, submit: own}
        """,
    "flows/claim.yaml": """\
        kind: flow
        name: claim_approval
        label: {zh: 报销审批, en: Claim approval}
        entity: claim
        batch_approve: true
        nodes:
          - {name: manager, approve: {manager: 1}, comment_required: [reject]}
          - name: big
            branch:
              - {when: "total > 5000.0", nodes: [{name: finance, approve: {role: finance}, mode: any}]}
              - {else: []}
        """,
}


@pytest.fixture
def clients(write_package, database_url):
    catalog = validate_paths([write_package(PACKAGE, name="oa2")]).catalog
    runtime = Runtime.for_catalog(catalog, make_engine(database_url))
    runtime.schema.metadata.create_all(runtime.engine)
    app = create_app(runtime=runtime, config={"TESTING": True, "SECRET_KEY": "test"})
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

    return client


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


def test_marking_notifications_read_takes_ids_or_nothing(clients) -> None:
    emp = clients("emp")
    for ids in (["x"], [0], "1", [True]):
        refused = emp.post("/api/v1/notifications/read", json={"ids": ids})
        assert refused.status_code == 400 and refused.get_json()["errors"][0]["field"] == "ids"
    assert emp.post("/api/v1/notifications/read", json={"ids": [1, 2]}).get_json() == {"marked": 0}
    assert emp.post("/api/v1/notifications/read").get_json() == {"marked": 0}
