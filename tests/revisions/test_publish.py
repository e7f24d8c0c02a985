"""Publishing metadata through the API: validate, plan, publish, conflicts, rollback, and the
same process serving the new revision at its next request, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time

from sqlalchemy import select

from loom.platform.revisions import store
from loom.platform.revisions.follow import watch

from .conftest import WECHAT
from .conftest import LiveSite

CITY_SHORTER = """\
kind: overlay
name: city_shorter
target: shop.customer
patch:
  fields:
    - {name: city, max_length: 10}
"""


def publish(client, changes, parent, message="change", **extra):
    body = {"changes": changes, "parent": parent, "message": message, **extra}
    return client.post("/api/v1/metadata/publish", json=body)


def test_a_published_field_is_served_at_the_next_request(live: LiveSite) -> None:
    root, clerk = live.client("root"), live.client("clerk")
    before = clerk.post("/api/v1/shop/customer", json={"title": "甲", "wechat": "wx-1"})
    assert before.status_code == 422  # no such field yet
    planned = root.post("/api/v1/metadata/plan", json={"changes": {"overlays/acme.yaml": WECHAT}}).get_json()
    assert planned["ok"] and planned["revision"] == 0
    assert [(s["kind"], s["column"]) for s in planned["plan"]["steps"]] == [("AddColumn", "wechat")]
    landed = publish(root, {"overlays/acme.yaml": WECHAT}, 0, "客户加微信号")
    assert landed.status_code == 201, landed.get_json()
    revision = landed.get_json()
    assert revision["id"] == 1 and revision["author_id"] == live.users["root"]
    assert revision["changes"] == [{"path": "overlays/acme.yaml", "action": "added"}]
    created = clerk.post("/api/v1/shop/customer", json={"title": "甲", "wechat": "wx-1"})
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["wechat"] == "wx-1"
    assert live.app.extensions["loom"].runtime.revision == 1
    meta = clerk.get("/api/v1/meta").get_json()
    customer = next(e for e in meta["entities"] if e["name"] == "shop.customer")
    assert "wechat" in [f["name"] for f in customer["fields"]]


def test_a_publish_on_an_old_revision_is_a_conflict_and_changes_nothing(live: LiveSite) -> None:
    root = live.client("root")
    assert publish(root, {"overlays/acme.yaml": WECHAT}, 0).status_code == 201
    other = WECHAT.replace("wechat", "qq").replace("微信号", "QQ 号").replace("WeChat", "QQ")
    refused = publish(root, {"overlays/qq.yaml": other}, 0)
    assert refused.status_code == 409
    assert refused.get_json()["type"].endswith("/revision-conflict") and refused.get_json()["revision"] == 1
    assert [r["id"] for r in root.get("/api/v1/metadata/revisions").get_json()["items"]] == [1]
    assert publish(root, {"overlays/qq.yaml": other}, 1).status_code == 201


def test_invalid_changes_name_the_document_line_and_path(live: LiveSite) -> None:
    root = live.client("root")
    broken = WECHAT.replace("type: string", "type: strin")
    checked = root.post("/api/v1/metadata/validate", json={"changes": {"overlays/acme.yaml": broken}})
    assert checked.status_code == 200 and not checked.get_json()["ok"]
    problem = checked.get_json()["problems"][0]
    assert problem["file"] == "revision 1: overlays/acme.yaml" and problem["line"] == 6
    assert problem["pointer"] == "/patch/fields/0/type" and "string" in problem["message"]
    refused = publish(root, {"overlays/acme.yaml": broken}, 0)
    assert refused.status_code == 422 and refused.get_json()["type"].endswith("/invalid-metadata")
    assert refused.get_json()["problems"][0]["line"] == 6
    outside = publish(root, {"../site.yaml": "x: 1"}, 0)
    assert outside.status_code == 422 and "not a document path" in outside.get_json()["detail"]
    assert root.get("/api/v1/metadata").get_json()["id"] == 0


def test_only_admins_change_metadata(live: LiveSite) -> None:
    clerk = live.client("clerk")
    assert publish(clerk, {"overlays/acme.yaml": WECHAT}, 0).status_code == 403
    assert clerk.get("/api/v1/metadata/revisions").status_code == 403
    assert live.app.test_client().get("/api/v1/metadata").status_code == 401


def test_a_data_changing_step_needs_confirmation(live: LiveSite) -> None:
    root, clerk = live.client("root"), live.client("clerk")
    assert clerk.post("/api/v1/shop/customer", json={"title": "乙", "city": "杭州"}).status_code == 201
    refused = publish(root, {"overlays/city.yaml": CITY_SHORTER}, 0)
    body = refused.get_json()
    assert refused.status_code == 422 and body["type"].endswith("/confirmation-needed")
    assert body["plan"]["refused"][0]["step"]["column"] == "city"
    assert root.get("/api/v1/metadata").get_json()["id"] == 0
    confirmed = publish(root, {"overlays/city.yaml": CITY_SHORTER}, 0, allow_destructive=True)
    assert confirmed.status_code == 201, confirmed.get_json()


def test_rollback_restores_a_removed_field_with_its_values(live: LiveSite) -> None:
    root, clerk = live.client("root"), live.client("clerk")
    assert publish(root, {"overlays/acme.yaml": WECHAT}, 0).status_code == 201
    made = clerk.post("/api/v1/shop/customer", json={"title": "丙", "wechat": "wx-3"}).get_json()
    removed = publish(root, {"overlays/acme.yaml": None}, 1, "去掉微信号")
    assert removed.status_code == 201
    assert "wechat" not in clerk.get(f"/api/v1/shop/customer/{made['id']}").get_json()
    diff = root.get("/api/v1/metadata/diff?from=1&to=2").get_json()
    [gone] = diff["documents"]
    assert gone["action"] == "removed" and "-    - {name: wechat" in gone["diff"]
    back = root.post("/api/v1/metadata/revisions/1/rollback", json={"parent": 2})
    assert back.status_code == 201 and back.get_json()["rollback_of"] == 1
    assert clerk.get(f"/api/v1/shop/customer/{made['id']}").get_json()["wechat"] == "wx-3"
    engine = live.app.extensions["loom"].runtime.engine
    with engine.connect() as conn:
        rows = conn.execute(select(store.TABLE.c.id, store.TABLE.c.parent_id)).all()
    assert sorted(rows) == [(1, 0), (2, 1), (3, 2)]


def test_the_console_lists_who_published_what(live: LiveSite) -> None:
    root = live.client("root")
    assert publish(root, {"overlays/acme.yaml": WECHAT}, 0, "客户加微信号").status_code == 201
    root.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    page = root.get("/admin/revisions/")
    assert page.status_code == 200, page.text
    assert "设计变更记录" in page.text and "客户加微信号" in page.text and "管理员" in page.text
    assert "新增 <code>overlays/acme.yaml</code>" in page.text
    details = root.get("/admin/revisions/details/?id=1")
    assert details.status_code == 200 and "name: wechat" in details.text
    assert live.client("clerk").get("/admin/revisions/").status_code in (302, 403)


def test_a_watching_thread_builds_the_new_revision_before_any_request(live: LiveSite) -> None:
    stop = threading.Event()
    watch(live.app, every=0.05, stop=stop)
    try:
        assert publish(live.client("root"), {"overlays/acme.yaml": WECHAT}, 0).status_code == 201
        deadline = time.monotonic() + 60
        while live.app.wsgi_app.serving[0] != 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert live.app.wsgi_app.serving[0] == 1  # built with no request asking for it
    finally:
        stop.set()
