"""The designer builds a form with links to other forms, a detail table, sections and a field
shown only when a yes/no field is ticked, through the pages; what it publishes is what a
hand-written package declares, and the form works in the portal and the API (SQLite and
PostgreSQL)."""

from __future__ import annotations

import yaml

from loom.designer import design as designs
from loom.platform.revisions import store

from ..revisions.conftest import LiveSite
from .test_designer import parent_of
from .test_designer import zh

SEAL = {
    "app": "",
    "new_app_name": "seal_admin",
    "new_app_label": "用印管理",
    "label_zh": "印章",
    "label_en": "Seal",
    "shared": "on",
    "fields-0-type": "string",
    "fields-0-label_zh": "印章名称",
    "fields-0-label_en": "Seal name",
    "fields-0-required": "on",
    "fields-1-type": "user",
    "fields-1-label_zh": "保管人",
    "fields-1-label_en": "Keeper",
}
REQUEST = {
    "app": "seal_admin",
    "label_zh": "用印申请",
    "label_en": "Seal request",
    "fields-0-type": "section",
    "fields-0-label_zh": "申请信息",
    "fields-0-label_en": "Request",
    "fields-1-type": "string",
    "fields-1-label_zh": "事由",
    "fields-1-label_en": "Purpose",
    "fields-1-required": "on",
    "fields-2-type": "link",
    "fields-2-label_zh": "印章",
    "fields-2-label_en": "Seal",
    "fields-2-target": "seal_admin.seal",
    "fields-2-required": "on",
    "fields-3-type": "integer",
    "fields-3-label_zh": "份数",
    "fields-3-label_en": "Copies",
    "fields-4-type": "date",
    "fields-4-label_zh": "用印日期",
    "fields-4-label_en": "Use date",
    "fields-5-type": "section",
    "fields-5-label_zh": "对外与附件",
    "fields-5-label_en": "External use",
    "fields-6-type": "boolean",
    "fields-6-label_zh": "对外",
    "fields-6-label_en": "External",
    "fields-7-type": "string",
    "fields-7-label_zh": "对方单位",
    "fields-7-label_en": "Counterparty",
    "fields-7-shown_when": "external",
    "fields-8-type": "table",
    "fields-8-label_zh": "用印文件明细",
    "fields-8-label_en": "Files",
    "fields-8-col-0-type": "string",
    "fields-8-col-0-label_zh": "文件名",
    "fields-8-col-0-label_en": "File name",
    "fields-8-col-1-type": "integer",
    "fields-8-col-1-label_zh": "份数",
    "fields-8-col-1-label_en": "Copies",
    "fields-9-type": "file",
    "fields-9-label_zh": "附件",
    "fields-9-label_en": "Attachments",
}


def publish(live: LiveSite, data: dict[str, str]) -> str:
    """Check the design, publish it on the revision checked, and answer the check's page."""
    root = zh(live, "root")
    checked = root.post("/designer/new", data={**data, "action": "check", "parent": "0"})
    page = checked.get_data(as_text=True)
    assert checked.status_code == 200, page
    landed = root.post("/designer/new", data={**data, "action": "publish", "parent": parent_of(page)})
    assert landed.status_code == 302, landed.get_data(as_text=True)
    return page


def layer(live: LiveSite) -> dict[str, dict]:
    documents = store.current(live.app.extensions["loom"].runtime.engine).documents
    return {path: yaml.safe_load(text) for path, text in documents.items()}


def test_a_form_with_a_link_a_detail_table_sections_and_a_condition(live: LiveSite) -> None:
    publish(live, SEAL)
    page = publish(live, REQUEST)
    assert "将新建表单「用印申请」，含 8 个字段" in page and "现有表单及其数据不变" in page

    documents = layer(live)
    request = documents["apps/seal_admin/entities/seal_request.yaml"]
    fields = {f["name"]: f for f in request["fields"]}
    assert list(fields) == [
        "purpose", "seal", "copies", "use_date", "external", "counterparty", "files", "attachments",
    ]  # fmt: skip
    assert fields["seal"] == {
        "name": "seal", "label": {"zh": "印章", "en": "Seal"}, "type": "link", "required": True,
        "entity": "seal",
    }  # fmt: skip
    assert fields["files"] == {
        "name": "files", "label": {"zh": "用印文件明细", "en": "Files"}, "type": "table",
        "entity": "seal_request_files",
    }  # fmt: skip
    assert documents["apps/seal_admin/entities/seal_request_files.yaml"] == {
        "kind": "entity",
        "name": "seal_request_files",
        "label": {"zh": "用印文件明细", "en": "Files"},
        "child": True,
        "fields": [
            {"name": "file_name", "label": {"zh": "文件名", "en": "File name"}, "type": "string",
             "max_length": 200},
            {"name": "copies", "label": {"zh": "份数", "en": "Copies"}, "type": "integer"},
        ],
    }  # fmt: skip
    assert documents["apps/seal_admin/forms/seal_request.yaml"] == {
        "kind": "form",
        "name": "seal_request",
        "label": {"zh": "用印申请", "en": "Seal request"},
        "entity": "seal_request",
        "default": True,
        "sections": [
            {"name": "section_1", "label": {"zh": "申请信息", "en": "Request"},
             "fields": ["purpose", "seal", "copies", "use_date"]},
            {"name": "section_2", "label": {"zh": "对外与附件", "en": "External use"},
             "fields": ["external", {"field": "counterparty", "visible_when": "external == true"}, "files",
                        "attachments"]},
        ],
    }  # fmt: skip
    seal = documents["apps/seal_admin/entities/seal.yaml"]
    assert seal["permissions"] == [{"role": "employee", "create": True, "read": "all", "write": "own"}]
    assert "depends" not in documents["apps/seal_admin/app.yaml"]

    root, wang = zh(live, "root"), zh(live, "wang")
    made = root.post("/api/v1/seal_admin/seal", json={"seal_name": "合同章"})
    assert made.status_code == 201, made.get_json()
    # Every user reads the shared seals, so the request's picker offers them.
    assert [r["seal_name"] for r in wang.get("/api/v1/seal_admin/seal").get_json()["items"]] == ["合同章"]
    created = wang.post(
        "/api/v1/seal_admin/seal_request",
        json={
            "purpose": "合同盖章",
            "seal": made.get_json()["id"],
            "copies": 3,
            "external": True,
            "counterparty": "甲公司",
            "files": [{"file_name": "采购合同", "copies": 3}],
        },
    )
    assert created.status_code == 201, created.get_json()
    form = wang.get("/seal_admin/seal_request/new").get_data(as_text=True)
    assert "申请信息" in form and "对外与附件" in form and "用印文件明细" in form
    assert form.index("申请信息") < form.index("事由") < form.index("对外与附件") < form.index("对方单位")


def test_a_link_to_an_installed_form_makes_the_app_depend_on_it(live: LiveSite) -> None:
    publish(live, SEAL)
    visit = {
        "app": "seal_admin",
        "label_zh": "拜访记录",
        "label_en": "Visit",
        "fields-0-type": "string",
        "fields-0-label_zh": "主题",
        "fields-0-label_en": "Topic",
        "fields-1-type": "link",
        "fields-1-label_zh": "客户",
        "fields-1-label_en": "Customer",
        "fields-1-target": "shop.customer",
    }
    added = zh(live, "root").post("/designer/new", data={**visit, "action": "add:string"})
    page = added.get_data(as_text=True)
    assert '<option value="shop.customer" selected>客户（商店）</option>' in page
    assert '<option value="seal_admin.seal">印章（用印管理）</option>' in page
    assert page.index("seal_admin.seal") < page.index("shop.customer")  # the site's own forms first
    publish(live, visit)
    documents = layer(live)
    assert documents["apps/seal_admin/app.yaml"]["depends"] == ["shop"]
    customer = {
        "name": "customer", "label": {"zh": "客户", "en": "Customer"}, "type": "link",
        "entity": "shop.customer",
    }  # fmt: skip
    assert customer in documents["apps/seal_admin/entities/visit.yaml"]["fields"]
    assert "apps/seal_admin/forms/visit.yaml" not in documents  # no sections, no conditions: no layout
    # A second link to the same app leaves the manifest as it is written.
    again = designs.from_form({**visit, "label_zh": "回访记录", "label_en": "Call"})
    written = store.current(live.app.extensions["loom"].runtime.engine).documents
    assert list(designs.documents(again, written)) == ["apps/seal_admin/entities/call.yaml"]


def test_columns_sections_and_conditions_are_edited_by_buttons_and_checked(live: LiveSite) -> None:
    root = zh(live, "root")
    publish(live, SEAL)
    page = root.post("/designer/new", data={**REQUEST, "action": "addcol:8"}).get_data(as_text=True)
    assert 'name="fields-8-col-2-type"' in page and "第 3 列中文名" in page
    page = root.post("/designer/new", data={**REQUEST, "action": "rmcol:8:0"}).get_data(as_text=True)
    assert 'value="文件名"' not in page and 'name="fields-8-col-1-type"' not in page
    page = root.post("/designer/new", data={**REQUEST, "action": "add:table"}).get_data(as_text=True)
    assert 'name="fields-10-col-0-type"' in page  # a new table starts with one column
    page = root.post("/designer/new", data={**REQUEST, "action": "add:section"}).get_data(as_text=True)
    assert 'name="fields-10-type" value="section"' in page and "分组中文标题" in page
    assert '<option value="external">仅当「对外」勾选时显示</option>' in page

    wrong = {
        **REQUEST,
        "fields-2-target": "",
        "fields-8-col-0-label_zh": "",
        "fields-7-shown_when": "copies",
        "fields-10-type": "section",
        "fields-10-label_zh": "",
    }
    answer = root.post("/designer/new", data={**wrong, "action": "check", "parent": "1"})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    for said in ("请选择关联的表单", "请填写字段的中文名", "请选择本表单的一个是/否字段", "请填写分组的标题",
                 "分组下至少要有一个字段"):  # fmt: skip
        assert said in page, said
    no_columns = {k: v for k, v in REQUEST.items() if "-col-" not in k}
    answer = root.post("/designer/new", data={**no_columns, "action": "check", "parent": "1"})
    assert answer.status_code == 422 and "请至少添加一列" in answer.get_data(as_text=True)
    assert store.head(live.app.extensions["loom"].runtime.engine) == 1
    english = live.client("root").post("/designer/new", data={**REQUEST, "action": "add:section"})
    page = english.get_data(as_text=True)
    assert "Only when External is ticked" in page and "Seal (Seal admin)" in page and "+ Section" in page


def test_a_changed_form_keeps_its_layout(live: LiveSite) -> None:
    publish(live, SEAL)
    publish(live, REQUEST)
    root = zh(live, "root")
    page = root.get("/designer/forms/seal_admin/seal_request").get_data(as_text=True)
    assert 'data-palette="table"' not in page and 'data-palette="section"' not in page
    names = [f["name"] for f in layer(live)["apps/seal_admin/entities/seal_request.yaml"]["fields"]]
    posted = {"parent": parent_of(page)}
    for number, name in enumerate(names):
        posted[f"existing-{number}-name"] = name
        posted[f"existing-{number}-label_zh"] = "x" + name
    posted["existing-4-remove"] = "on"  # 对外 goes, and the condition that reads it
    posted.update({"fields-0-type": "string", "fields-0-label_zh": "电话", "fields-0-label_en": "Phone"})
    checked = root.post("/designer/forms/seal_admin/seal_request", data={**posted, "action": "check"})
    assert checked.status_code == 200, checked.get_data(as_text=True)
    parent = parent_of(checked.get_data(as_text=True))
    done = root.post(
        "/designer/forms/seal_admin/seal_request",
        data={**posted, "action": "publish", "confirm-remove": "on", "parent": parent},
    )
    assert done.status_code == 302, done.get_data(as_text=True)
    sections = layer(live)["apps/seal_admin/forms/seal_request.yaml"]["sections"]
    assert sections[1]["fields"] == ["counterparty", "files", "attachments", "phone"]
