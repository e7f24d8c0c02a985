"""Personal views (我的视图) through the portal and the REST API on each test database: a
salesperson saves a filtered list as a view, sees it as a tab with its count beside the
package's views, renames and deletes it; nobody else sees or changes it; and what it may keep
is checked (422)."""

from __future__ import annotations

import json
import re

from .test_dashboards import add_person
from .test_list_views import counted_tabs
from .test_pages import actor
from .test_pages import sign_in

ROW_LINK = re.compile(r'<a href="/crm/customer/\d+">([^<]+)</a>')


def customers(app) -> None:
    add_person(app, "sam", ["crm_sales"])
    add_person(app, "ted", ["crm_sales"])
    records = app.extensions["loom"].records
    rows = (
        ("sam", "杭州云织科技", "A"),
        ("sam", "宁波港务", "B"),
        ("sam", "温州鞋业", "A"),
        ("ted", "上海数科", "A"),
    )
    for who, name, level in rows:
        records.create("crm.customer", {"name": name, "level": level}, actor(app, who))


def save(client, label: str, params: dict, columns: list[str]):
    form = {
        "label": label,
        "params": json.dumps(params),
        "columns": json.dumps(columns),
        "csrf_token": client.csrf,
    }
    return client.post("/crm/customer/my-views", data=form)


def test_a_salesperson_saves_a_filtered_list_and_finds_it_as_a_counted_tab(app) -> None:
    customers(app)
    sam = sign_in(app, "sam", lang="zh")
    page = sam.get("/crm/customer?view=mine&level=A").text
    assert 'id="save-view"' in page and "保存为我的视图" in page
    assert json.loads(re.search(r'name="params" value="([^"]+)"', page).group(1).replace("&#34;", '"')) == {
        "view": "mine",
        "level": "A",
    }

    saved = save(sam, "我的A类客户", {"view": "mine", "level": "A"}, ["name", "level"])
    assert saved.status_code == 302 and "mine=" in saved.headers["Location"]
    opened = sam.get(saved.headers["Location"]).text
    assert sorted(ROW_LINK.findall(opened)) == ["杭州云织科技", "温州鞋业"]
    headers = re.findall(r'<th scope="col"[^>]*>\s*<a [^>]*>\s*([^<▲▼]+?)\s*<', opened)
    assert headers == ["客户名称", "客户级别"]
    tabs = counted_tabs(opened)
    # The other tabs keep the open list's filters, and count what they would open.
    assert tabs[0] == ("", "全部", False, "2")
    assert ("mine", "我负责的客户", False, "2") in tabs  # not open together with a personal view
    assert counted_tabs(sam.get("/crm/customer").text)[0] == ("", "全部", True, "3")  # sam reads his three
    assert tabs[-1] == ("", "我的A类客户", True, "2")
    assert 'id="manage-view"' in opened

    # Nobody else sees it, renames it or deletes it.
    [view] = app.extensions["loom"].personal_views.list_for(actor(app, "sam"), "crm.customer")
    ted = sign_in(app, "ted", lang="zh")
    assert "我的A类客户" not in ted.get("/crm/customer").text
    assert ted.get(f"/crm/customer?mine={view['id']}").text.count('id="manage-view"') == 0
    ted.post(f"/crm/customer/my-views/{view['id']}/delete", data={"csrf_token": ted.csrf})
    assert len(app.extensions["loom"].personal_views.list_for(actor(app, "sam"), "crm.customer")) == 1

    renamed = sam.post(
        f"/crm/customer/my-views/{view['id']}/rename", data={"label": "A类", "csrf_token": sam.csrf}
    )
    assert counted_tabs(sam.get(renamed.headers["Location"]).text)[-1] == ("", "A类", True, "2")
    sam.post(f"/crm/customer/my-views/{view['id']}/delete", data={"csrf_token": sam.csrf})
    assert "A类" not in sam.get("/crm/customer").text


def test_a_view_keeps_only_what_the_list_understands(app) -> None:
    customers(app)
    sam = sign_in(app, "sam", lang="zh")
    refused = save(sam, "x", {"view": "locked", "owner_user__in": "1", "sort": "nosuch"}, ["nosuch"])
    notice = sam.get(refused.headers["Location"]).text
    assert "locked" in notice and "owner_user__in" in notice and "nosuch" in notice
    assert app.extensions["loom"].personal_views.list_for(actor(app, "sam"), "crm.customer") == []
    save(sam, "同名", {}, [])
    again = save(sam, "同名", {"level": "B"}, [])
    assert "已被其他记录使用" in sam.get(again.headers["Location"]).text


def test_the_api_saves_lists_renames_and_deletes_my_views(app) -> None:
    customers(app)
    sam = sign_in(app, "sam")
    headers = {"X-CSRF-Token": sam.csrf}
    body = {"entity": "crm.customer", "label": "Key", "params": {"level": "A"}, "columns": ["name"]}
    created = sam.post("/api/v1/views", json=body, headers=headers)
    assert created.status_code == 201, created.json
    view = created.json
    assert {k: view[k] for k in ("entity", "label", "params", "columns")} == body
    assert sam.get("/api/v1/views?entity=crm.customer").json["items"] == [view]
    assert sam.get("/api/v1/views").status_code == 400

    bad = sam.post("/api/v1/views", json={**body, "label": "", "extra": 1}, headers=headers)
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json["errors"]} == {"label", "extra"}
    assert (
        sam.post("/api/v1/views", json={**body, "entity": "crm.nosuch"}, headers=headers).status_code == 404
    )

    renamed = sam.patch(f"/api/v1/views/{view['id']}", json={"label": "Key accounts"}, headers=headers)
    assert renamed.status_code == 200 and renamed.json["label"] == "Key accounts"
    ted = sign_in(app, "ted")
    other = {"X-CSRF-Token": ted.csrf}
    assert ted.patch(f"/api/v1/views/{view['id']}", json={"label": "mine"}, headers=other).status_code == 404
    assert ted.delete(f"/api/v1/views/{view['id']}", headers=other).status_code == 404
    assert sam.delete(f"/api/v1/views/{view['id']}", headers=headers).status_code == 204
    assert sam.get("/api/v1/views?entity=crm.customer").json["items"] == []
