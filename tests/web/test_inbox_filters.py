"""The inbox's filters and batch approval, through the portal and the API: filters narrow a
box to a kind of request, an initiator or a period; ticked tasks are approved together, and
a task the flow does not let be batched is reported, not approved."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select
from sqlalchemy import update

from ..api.test_flows_api import NOW
from ..api.test_flows_api import PACKAGE
from ..api.test_flows_api import serve

SOLO = PACKAGE["flows/claim.yaml"].replace("batch_approve: true", "batch_approve: false")
TASK = re.compile(r'name="tasks" value="(\d+)"')


@pytest.fixture
def site(write_package, database_url):
    """emp and 李四 (same team) each submit two claims to boss; one of emp's arrived 10 days ago."""
    app, clients = serve(write_package, database_url, PACKAGE)
    services = app.extensions["loom"]
    with services.runtime.engine.begin() as conn:
        emp = services.identity.user_by_login(conn, "emp")
        services.identity.create_user(conn, "li", "李四", password="pw", department_id=emp["department_id"])
    for login, titles in (("emp", ("差旅一", "差旅二")), ("li", ("会务一", "会务二"))):
        client = clients(login)
        for title in titles:
            claim = client.post("/api/v1/oa2/claim", json={"title": title, "total": "100"}).get_json()
            assert client.post(f"/api/v1/oa2/claim/{claim['id']}/flow/submit", json={}).status_code == 200
    tasks = services.runtime.schema.metadata.tables["loom_flow_tasks"]
    with services.runtime.engine.begin() as conn:
        first = conn.execute(select(tasks.c.id).order_by(tasks.c.id)).scalars().first()
        conn.execute(update(tasks).where(tasks.c.id == first).values(created_at=NOW - dt.timedelta(days=10)))
    return clients


def titles(page: str) -> list[str]:
    return sorted(re.findall(r"· (差旅.|会务.)\n", page))


def test_filters_narrow_the_box(site) -> None:
    clients = site
    boss = clients.portal("boss")
    page = boss.get("/inbox").text
    assert titles(page) == ["会务一", "会务二", "差旅一", "差旅二"]
    assert '<option value="">全部</option>' in page and ">李四</option>" in page and ">张三</option>" in page
    li = re.search(r'<option value="(\d+)" >李四</option>', page).group(1)
    assert titles(boss.get(f"/inbox?initiator={li}").text) == ["会务一", "会务二"]
    assert titles(boss.get("/inbox?period=week").text) == ["会务一", "会务二", "差旅二"]
    assert titles(boss.get("/inbox?kind=oa2.claim&period=today").text) == ["会务一", "会务二", "差旅二"]
    assert titles(boss.get("/inbox?kind=nosuch.thing").text) == titles(page)  # unknown: ignored
    api = clients("boss")
    listed = api.get(f"/api/v1/tasks?initiator={li}&entity=oa2.claim").get_json()
    assert listed["total"] == 2 and all(i["batch_approve"] for i in listed["items"])
    since = (NOW.date() - dt.timedelta(days=3)).isoformat()
    assert api.get(f"/api/v1/tasks?since={since}").get_json()["total"] == 3
    assert api.get("/api/v1/tasks?initiator=0").status_code == 422
    assert api.get("/api/v1/tasks?initiator=x").status_code == 422
    for empty in ("since=", "entity=", "since=20261203"):  # present means a value, in the document's form
        assert api.get(f"/api/v1/tasks?{empty}").status_code == 422, empty
    assert api.get("/api/v1/tasks?initiator=9223372036854775806").get_json()["total"] == 0  # an id: no match
    bad = api.get("/api/v1/tasks?entity=oa2.nosuch&since=yesterday")
    assert bad.status_code == 422
    assert sorted(e["field"] for e in bad.get_json()["errors"]) == ["entity", "since"]


def test_ticked_tasks_are_approved_together(site) -> None:
    clients = site
    boss = clients.portal("boss")
    page = boss.get("/inbox").text
    assert 'id="batch-approve"' in page
    ticked = TASK.findall(page)[:3]
    done = boss.post("/inbox/approve", data={"tasks": ticked, "comment": "同意"}, follow_redirects=True)
    assert "已同意 3 项" in done.text
    assert len(TASK.findall(done.text)) == 1
    timeline = clients("boss").get("/api/v1/tasks?box=done").get_json()["items"]
    assert len(timeline) == 3
    again = boss.post("/inbox/approve", data={"tasks": ticked[:1]}, follow_redirects=True)
    assert "有 1 项不能批量同意" in again.text
    assert "请先勾选" in boss.post("/inbox/approve", data={}, follow_redirects=True).text


def test_flows_without_batch_approval_offer_no_tick_box(write_package, database_url) -> None:
    _app, clients = serve(write_package, database_url, {**PACKAGE, "flows/claim.yaml": SOLO})
    emp = clients("emp")
    claim = emp.post("/api/v1/oa2/claim", json={"title": "差旅", "total": "100"}).get_json()
    emp.post(f"/api/v1/oa2/claim/{claim['id']}/flow/submit", json={})
    page = clients.portal("boss").get("/inbox").text
    assert "差旅" in page and not TASK.findall(page) and 'id="batch-approve"' not in page
