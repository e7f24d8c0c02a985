"""The designer builds a form from posted inputs, checks it with the publish pipeline's draft,
publishes it, and the form works in the portal and the API at once (SQLite and PostgreSQL)."""

from __future__ import annotations

import re

from loom.designer import design as designs
from loom.platform.revisions import store

from ..revisions.conftest import LiveSite

SEAL = {
    "app": "",
    "new_app_name": "admin_affairs",
    "new_app_label": "行政事务",
    "label_zh": "用印申请",
    "label_en": "Seal request",
    "fields-0-type": "string",
    "fields-0-label_zh": "用印事由",
    "fields-0-label_en": "Purpose",
    "fields-0-required": "on",
    "fields-1-type": "select",
    "fields-1-label_zh": "印章类型",
    "fields-1-label_en": "Seal type",
    "fields-1-options": "公章\n合同章\n",
    "fields-1-required": "on",
    "fields-2-type": "integer",
    "fields-2-label_zh": "份数",
    "fields-2-label_en": "Copies",
    "fields-3-type": "date",
    "fields-3-label_zh": "用印日期",
    "fields-3-label_en": "Date",
    "fields-4-type": "user",
    "fields-4-label_zh": "经办人",
    "fields-4-label_en": "User",
    "fields-5-type": "file",
    "fields-5-label_zh": "附件",
}


def zh(live: LiveSite, login: str):
    client = live.client(login)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    return client


def parent_of(page: str) -> str:
    return re.search(r'name="parent" value="(\d*)"', page).group(1)


def test_an_admin_builds_and_publishes_a_form_that_works_at_once(live: LiveSite) -> None:
    root = zh(live, "root")
    home = root.get("/designer").get_data(as_text=True)
    assert "新建表单" in home and "商店" in home and "客户" in home
    assert 'id="nav-designer"' in home
    checked = root.post("/designer/new", data={**SEAL, "action": "check", "parent": "0"})
    page = checked.get_data(as_text=True)
    assert checked.status_code == 200, page
    assert "将新增应用「行政事务」" in page and "将新建表单「用印申请」，含 6 个字段" in page
    assert "现有表单及其数据不变" in page and 'value="新建表单 用印申请"' in page
    landed = root.post(
        "/designer/new",
        data={**SEAL, "action": "publish", "parent": parent_of(page), "message": "新建表单 用印申请"},
    )
    assert landed.status_code == 302 and landed.location.endswith(
        "/designer/published/admin_affairs/seal_request"
    )
    done = root.get(landed.location).get_data(as_text=True)
    assert "表单「用印申请」已发布" in done and "/admin_affairs/seal_request/new" in done

    with live.app.extensions["loom"].runtime.engine.connect() as conn:
        revision = store.get(conn, 1)
    assert revision.message == "新建表单 用印申请" and revision.author_id == live.users["root"]
    assert sorted(revision.documents) == [
        "apps/admin_affairs/app.yaml",
        "apps/admin_affairs/entities/seal_request.yaml",
    ]
    entity = live.app.extensions["loom"].runtime.catalog.entities["admin_affairs.seal_request"]
    assert [f.name for f in entity.fields][:6] == [
        "purpose",
        "seal_type",
        "copies",
        "date",
        "user_info",
        "field_6",
    ]

    wang = zh(live, "wang")
    form = wang.get("/admin_affairs/seal_request/new")
    assert form.status_code == 200 and "用印事由" in form.get_data(as_text=True)
    created = wang.post(
        "/api/v1/admin_affairs/seal_request", json={"purpose": "合同盖章", "seal_type": "合同章", "copies": 2}
    )
    assert created.status_code == 201, created.get_json()
    assert wang.get("/admin_affairs/seal_request").status_code == 200
    assert 'id="nav-designer"' not in wang.get("/").get_data(as_text=True)
    # The published form is on the designer's list, under the app made on the site.
    home = root.get("/designer").get_data(as_text=True)
    assert "行政事务" in home and "用印申请" in home


def test_mistakes_are_shown_next_to_their_inputs_in_plain_words(live: LiveSite) -> None:
    root = zh(live, "root")
    posted = {**SEAL, "label_zh": "", "fields-1-options": "", "new_app_name": "Admin"}
    answer = root.post("/designer/new", data={**posted, "action": "check", "parent": "0"})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "请填写表单的中文名" in page and "请写出选项，每行一个" in page and "小写字母" in page
    shop = root.post("/designer/new", data={**SEAL, "new_app_name": "shop", "action": "check"})
    assert shop.status_code == 422 and "已有同名应用" in shop.get_data(as_text=True)
    # A name the validator refuses (too long for the database) is said in the designer's words.
    long_app = {**SEAL, "new_app_name": "a" * 40, "label_en": "Seal request for very long names"}
    answer = root.post("/designer/new", data={**long_app, "action": "check", "parent": "0"})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422 and "超过上限 63" in page
    for jargon in ("实体", "CEL", "entity", "migration", "迁移"):
        assert jargon not in page
    assert root.get("/api/v1/metadata").get_json()["id"] == 0


def test_fields_are_added_moved_and_removed_by_buttons(live: LiveSite) -> None:
    root = zh(live, "root")
    added = root.post("/designer/new", data={**SEAL, "action": "add:money"}).get_data(as_text=True)
    assert 'name="fields-6-type" value="money"' in added and "金额" in added
    moved = designs.from_form({**SEAL, "fields-6-type": "money"})
    moved = designs.edit(designs.edit(moved, "up:6"), "remove:0")
    assert [f.type for f in moved.fields] == ["select", "integer", "date", "user", "money", "file"]
    assert designs.edit(moved, "up:0") == moved and designs.edit(moved, "down:9") == moved
    page = root.post("/designer/new", data={**SEAL, "action": "down:0"}).get_data(as_text=True)
    assert page.index('value="印章类型"') < page.index('value="用印事由"')


def test_the_generated_entity_lets_every_user_create_and_read_their_own(live: LiveSite) -> None:
    document = designs.entity_document(designs.from_form(SEAL))
    assert document["permissions"] == [{"role": "employee", "create": True, "read": "own", "write": "own"}]
    assert document["title_field"] == "purpose"
    assert document["list"] == {
        "columns": ["purpose", "seal_type", "copies", "date", "user_info", "created_at"],
        "sort": "-created_at",
    }


def test_a_publish_on_a_revision_that_moved_on_is_refused(live: LiveSite) -> None:
    root = zh(live, "root")
    first = root.post("/designer/new", data={**SEAL, "action": "publish", "parent": "0"})
    assert first.status_code == 302
    other = {**SEAL, "app": "admin_affairs", "label_zh": "车辆申请", "label_en": "Car request"}
    late = root.post("/designer/new", data={**other, "action": "publish", "parent": "0"})
    page = late.get_data(as_text=True)
    assert late.status_code == 409 and "有人发布了其他修改" in page and parent_of(page) == "1"
    assert root.post("/designer/new", data={**other, "action": "publish", "parent": "1"}).status_code == 302


def test_the_designer_speaks_english_when_asked(live: LiveSite) -> None:
    page = live.client("root").get("/designer/new").get_data(as_text=True)
    assert "New form" in page and "+ Single line text" in page and "Options, one a line" not in page
    assert "新建表单" not in page


def test_only_admins_design(live: LiveSite) -> None:
    assert zh(live, "wang").get("/designer").status_code == 403
    assert (
        zh(live, "wang").post("/designer/new", data={**SEAL, "action": "publish", "parent": "0"}).status_code
        == 403
    )
    anonymous = live.app.test_client().get("/designer/new")
    assert anonymous.status_code == 302 and "/login" in anonymous.location
    assert store.head(live.app.extensions["loom"].runtime.engine) == 0
