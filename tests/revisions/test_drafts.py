"""Metadata drafts kept on the server: saved, checked, planned and published through the API,
on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select

from loom.platform.revisions import drafts

from .conftest import WECHAT
from .conftest import LiveSite
from .test_publish import publish

DRAFTS = "/api/v1/metadata/drafts"
QQ = WECHAT.replace("wechat", "qq").replace("微信号", "QQ 号").replace("WeChat", "QQ")


def audited(live: LiveSite, draft_id: int) -> list[tuple[str, int | None]]:
    with live.app.extensions["loom"].runtime.engine.connect() as conn:
        rows = conn.execute(
            select(drafts.AUDIT.c.action, drafts.AUDIT.c.user_id)
            .where(drafts.AUDIT.c.entity == drafts.AUDIT_ENTITY, drafts.AUDIT.c.record_id == draft_id)
            .order_by(drafts.AUDIT.c.id)
        ).all()
    return [tuple(row) for row in rows]


def test_a_draft_is_saved_checked_planned_and_published_then_gone(live: LiveSite) -> None:
    root = live.client("root")
    broken = WECHAT.replace("type: string", "type: strin")
    created = root.post(DRAFTS, json={"name": "客户加微信号", "changes": {"overlays/acme.yaml": broken}})
    assert created.status_code == 201, created.get_json()
    draft = created.get_json()
    assert draft["parent"] == 0 and draft["version"] == 1 and draft["author_id"] == live.users["root"]
    assert created.headers["Location"].endswith(f"/metadata/drafts/{draft['id']}")
    url = f"{DRAFTS}/{draft['id']}"
    checked = root.post(f"{url}/validate").get_json()
    assert not checked["ok"]
    assert checked["problems"][0]["file"] == "revision 1: overlays/acme.yaml"
    assert checked["problems"][0]["pointer"] == "/patch/fields/0/type"
    saved = root.put(url, json={"name": "微信号", "changes": {"overlays/acme.yaml": WECHAT}, "version": 1})
    assert saved.status_code == 200, saved.get_json()
    assert saved.get_json()["version"] == 2 and saved.headers["ETag"] == '"2"'
    assert root.post(f"{url}/validate").get_json() == {"ok": True, "problems": []}
    planned = root.post(f"{url}/plan", json={}).get_json()
    assert planned["ok"] and [(s["kind"], s["column"]) for s in planned["plan"]["steps"]] == [
        ("AddColumn", "wechat")
    ]
    listed = root.get(DRAFTS).get_json()["items"]
    assert [(d["id"], d["name"], d["author_name"], d["parent"]) for d in listed] == [
        (draft["id"], "微信号", "管理员", 0)
    ]
    landed = root.post(f"{url}/publish", json={})
    assert landed.status_code == 201, landed.get_json()
    assert landed.get_json()["id"] == 1 and landed.get_json()["message"] == "微信号"
    assert root.get("/api/v1/metadata").get_json()["id"] == 1
    assert root.get(url).status_code == 404 and root.get(DRAFTS).get_json()["items"] == []
    root_id = live.users["root"]
    assert audited(live, draft["id"]) == [("create", root_id), ("update", root_id), ("publish", root_id)]


def test_a_save_on_a_stale_version_is_refused_and_keeps_the_other(live: LiveSite) -> None:
    root = live.client("root")
    draft = root.post(DRAFTS, json={"name": "a", "changes": {"overlays/acme.yaml": WECHAT}}).get_json()
    url = f"{DRAFTS}/{draft['id']}"
    assert (
        root.put(
            url, json={"name": "b", "changes": {"overlays/qq.yaml": QQ}}, headers={"If-Match": '"1"'}
        ).status_code
        == 200
    )
    stale = root.put(url, json={"name": "c", "changes": {"overlays/acme.yaml": WECHAT}, "version": 1})
    assert stale.status_code == 409 and stale.mimetype == "application/problem+json"
    unversioned = root.put(url, json={"name": "c", "changes": {"overlays/acme.yaml": WECHAT}})
    assert unversioned.status_code == 428
    assert root.delete(url, headers={"If-Match": '"1"'}).status_code == 409
    kept = root.get(url).get_json()
    assert kept["name"] == "b" and kept["changes"] == {"overlays/qq.yaml": QQ} and kept["version"] == 2
    assert root.delete(url, headers={"If-Match": '"2"'}).status_code == 204
    assert root.get(url).status_code == 404
    assert [a for a, _ in audited(live, draft["id"])] == ["create", "update", "delete"]


def test_bad_bodies_and_unknown_drafts(live: LiveSite) -> None:
    root = live.client("root")
    outside = root.post(DRAFTS, json={"name": "x", "changes": {"../site.yaml": "x: 1"}})
    assert outside.status_code == 422 and "not a document path" in outside.get_json()["detail"]
    unnamed = root.post(DRAFTS, json={"name": " ", "changes": {"overlays/acme.yaml": WECHAT}})
    assert unnamed.status_code == 400 and "name" in unnamed.get_json()["detail"]
    extra = root.post(DRAFTS, json={"name": "x", "changes": {"overlays/a.yaml": WECHAT}, "parent": 0})
    assert extra.status_code == 400 and "parent" in extra.get_json()["detail"]
    for method in ("get", "delete"):
        assert getattr(root, method)(f"{DRAFTS}/99").status_code == 404
    assert root.post(f"{DRAFTS}/99/publish", json={}).status_code == 404


def test_only_admins_keep_drafts(live: LiveSite) -> None:
    clerk = live.client("clerk")
    assert clerk.get(DRAFTS).status_code == 403
    assert (
        clerk.post(DRAFTS, json={"name": "x", "changes": {"overlays/acme.yaml": WECHAT}}).status_code == 403
    )
    draft = live.client("root").post(DRAFTS, json={"name": "x", "changes": {"overlays/acme.yaml": WECHAT}})
    assert clerk.post(f"{DRAFTS}/{draft.get_json()['id']}/publish", json={}).status_code == 403
    assert live.app.test_client().get(DRAFTS).status_code == 401


def test_a_draft_on_an_old_revision_is_a_conflict_and_stays(live: LiveSite) -> None:
    root = live.client("root")
    draft = root.post(DRAFTS, json={"name": "qq", "changes": {"overlays/qq.yaml": QQ}}).get_json()
    assert publish(root, {"overlays/acme.yaml": WECHAT}, 0).status_code == 201
    refused = root.post(f"{DRAFTS}/{draft['id']}/publish", json={"message": "加 QQ"})
    assert refused.status_code == 409
    assert refused.get_json()["type"].endswith("/revision-conflict") and refused.get_json()["revision"] == 1
    assert root.get(f"{DRAFTS}/{draft['id']}").get_json()["changes"] == {"overlays/qq.yaml": QQ}
    assert [r["id"] for r in root.get("/api/v1/metadata/revisions").get_json()["items"]] == [1]
    assert [a for a, _ in audited(live, draft["id"])] == ["create"]
