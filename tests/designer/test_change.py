"""The designer changes forms that exist: a form of an installed app through the designer's
overlay (kept across changes, never an edit of the package), a form made on the site in its own
document; records are kept and the change is live at once (SQLite and PostgreSQL)."""

from __future__ import annotations

import sqlalchemy as sql
import yaml

from loom.platform.revisions import store

from ..revisions.conftest import LiveSite
from .test_designer import SEAL
from .test_designer import parent_of
from .test_designer import zh

# The shop's customer as the page shows it: 名称 and 城市, renamed and one made required.
RENAMED = {
    "existing-0-name": "title",
    "existing-0-label_zh": "客户名称",
    "existing-0-label_en": "Name",
    "existing-0-required": "on",
    "existing-1-name": "city",
    "existing-1-label_zh": "城市",
    "existing-1-label_en": "City",
    "existing-1-required": "on",
}
WECHAT_ROW = {"fields-0-type": "string", "fields-0-label_zh": "微信号", "fields-0-label_en": "WeChat"}


def publish(client, path: str, inputs: dict[str, str]) -> str:
    """Check, then publish what the check answered on: the page after the publish."""
    checked = client.post(path, data={**inputs, "action": "check", "parent": "0"})
    page = checked.get_data(as_text=True)
    assert checked.status_code == 200, page
    landed = client.post(path, data={**inputs, "action": "publish", "parent": parent_of(page)})
    assert landed.status_code == 302, landed.get_data(as_text=True)
    assert "已发布" in client.get(landed.location).get_data(as_text=True)  # a request on the new revision
    return page


def test_a_form_of_an_installed_app_is_changed_by_an_overlay_that_later_changes_extend(
    live: LiveSite,
) -> None:
    root, api = zh(live, "root"), live.client("root")
    assert api.post("/api/v1/shop/customer", json={"title": "甲", "city": "杭州"}).status_code == 201
    shown = root.get("/designer/forms/shop/customer").get_data(as_text=True)
    assert "修改表单「客户」" in shown and 'value="名称"' in shown and 'value="城市"' in shown

    page = publish(root, "/designer/forms/shop/customer", {**RENAMED, **WECHAT_ROW})
    assert "将新增 1 个字段：微信号" in page and "表单中已有的记录保留" in page

    catalog = live.app.extensions["loom"].runtime.catalog
    customer = catalog.entities["shop.customer"]
    assert customer.field("title").label.zh == "客户名称" and customer.field("city").required
    assert customer.field("wechat").type == "string"
    with live.app.extensions["loom"].runtime.engine.connect() as conn:
        revision = store.get(conn, 1)
    assert list(revision.documents) == ["overlays/designer/shop.customer.yaml"]
    overlay = yaml.safe_load(revision.documents["overlays/designer/shop.customer.yaml"])
    assert overlay["target"] == "shop.customer"
    assert overlay["patch"]["fields"] == [
        {"name": "title", "label": {"zh": "客户名称", "en": "Name"}},
        {"name": "city", "required": True},
        {"name": "wechat", "label": {"zh": "微信号", "en": "WeChat"}, "type": "string", "max_length": 200},
    ]
    assert (live.site.folder / "apps/shop/entities/customer.yaml").read_text().count("名称") == 1

    # A second change adds to the designer's overlay: the first change stays.
    wechat = {"existing-2-name": "wechat", "existing-2-label_zh": "微信", "existing-2-label_en": "WeChat"}
    again = {**RENAMED, **wechat}
    row = {"fields-0-type": "date", "fields-0-label_zh": "首次到店", "fields-0-label_en": "First visit"}
    publish(root, "/designer/forms/shop/customer", {**again, **row})
    customer = live.app.extensions["loom"].runtime.catalog.entities["shop.customer"]
    assert customer.field("title").label.zh == "客户名称" and customer.field("wechat").label.zh == "微信"
    assert customer.field("first_visit").type == "date"

    record = api.get("/api/v1/shop/customer", query_string={"title": "甲"}).get_json()["items"][0]
    assert record["city"] == "杭州" and record["wechat"] is None  # the record is kept
    missing_city = api.post("/api/v1/shop/customer", json={"title": "乙"})
    assert missing_city.status_code == 422 and "city" in str(missing_city.get_json())
    saved = api.post("/api/v1/shop/customer", json={"title": "乙", "city": "苏州", "wechat": "yi"})
    assert saved.status_code == 201, saved.get_json()


def test_a_form_made_on_the_site_is_changed_in_its_own_document(live: LiveSite) -> None:
    root = zh(live, "root")
    publish(root, "/designer/new", SEAL)
    inputs = {
        "existing-0-name": "purpose",
        "existing-0-label_zh": "用印事由",
        "existing-0-label_en": "Purpose",
        "existing-0-required": "on",
        "existing-1-name": "seal_type",
        "existing-1-label_zh": "印章",
        "existing-1-label_en": "Seal type",
        "fields-0-type": "money",
        "fields-0-label_zh": "押金",
        "fields-0-label_en": "Purpose",  # the English name of a field the form has: named apart
    }
    publish(root, "/designer/forms/admin_affairs/seal_request", inputs)
    documents = store.current(live.app.extensions["loom"].runtime.engine).documents
    assert not any(path.startswith("overlays/") for path in documents)
    entity = yaml.safe_load(documents["apps/admin_affairs/entities/seal_request.yaml"])
    fields = {f["name"]: f for f in entity["fields"]}
    assert fields["seal_type"]["label"] == {"zh": "印章", "en": "Seal type"}
    assert "required" not in fields["seal_type"]  # unticked: no longer required
    assert fields["purpose_1"]["type"] == "money" and list(fields)[-1] == "purpose_1"


def test_nothing_changed_or_a_nameless_field_is_refused_with_what_to_do(live: LiveSite) -> None:
    root = zh(live, "root")
    same = {**RENAMED, "existing-0-label_zh": "名称", "existing-1-required": ""}
    refused = root.post("/designer/forms/shop/customer", data={**same, "action": "check", "parent": "0"})
    assert refused.status_code == 422 and "还没有任何修改" in refused.get_data(as_text=True)
    nameless = {**RENAMED, "existing-0-label_zh": "", "fields-0-type": "string"}
    refused = root.post("/designer/forms/shop/customer", data={**nameless, "action": "check", "parent": "0"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and page.count("请填写字段的中文名") == 2
    assert live.client("wang").get("/designer/forms/shop/customer").status_code == 403
    assert root.get("/designer/forms/shop/nothing").status_code == 404


def test_removing_a_field_with_data_warns_needs_confirming_archives_and_a_rollback_restores(
    live: LiveSite,
) -> None:
    """城市 of the shop's customer holds a value: the check says how many records hold one, the
    publish needs the confirmation, the values are archived, and rolling back restores them."""
    root, api = zh(live, "root"), live.client("root")
    made = api.post("/api/v1/shop/customer", json={"title": "甲", "city": "杭州"}).get_json()
    api.post("/api/v1/shop/customer", json={"title": "乙"})
    path = "/designer/forms/shop/customer"
    shown = root.get(path).get_data(as_text=True)
    assert 'name="existing-1-remove"' in shown
    assert 'name="existing-0-remove"' not in shown  # 名称 names the records: it stays
    inputs = {**RENAMED, "existing-1-required": "", "existing-1-remove": "on"}
    checked = root.post(path, data={**inputs, "action": "check", "parent": "0"})
    page = checked.get_data(as_text=True)
    assert checked.status_code == 200, page
    assert "将移除字段「城市」：有 1 条记录填写了它" in page and "回滚这次发布即可恢复字段和数据" in page
    assert 'id="designer-remove-warning"' in page
    unconfirmed = root.post(path, data={**inputs, "action": "publish", "parent": parent_of(page)})
    assert unconfirmed.status_code == 422 and "请先勾选确认" in unconfirmed.get_data(as_text=True)
    engine = live.app.extensions["loom"].runtime.engine
    assert store.head(engine) == 0
    landed = root.post(
        path, data={**inputs, "action": "publish", "parent": parent_of(page), "confirm-remove": "on"}
    )
    assert landed.status_code == 302, landed.get_data(as_text=True)
    root.get(landed.location)
    with engine.connect() as conn:
        overlay = yaml.safe_load(store.get(conn, 1).documents["overlays/designer/shop.customer.yaml"])
    assert {"name": "city", "remove": True} in overlay["patch"]["fields"]
    assert "city" not in api.get(f"/api/v1/shop/customer/{made['id']}").get_json()
    table = live.app.extensions["loom"].runtime.schema.of("shop.customer").table
    with engine.connect() as conn:  # archived: the retired column keeps the value
        kept = conn.execute(
            sql.select(sql.column("city"))
            .select_from(sql.table(table.name))
            .where(sql.column("id") == made["id"])
        )
        assert kept.scalar_one() == "杭州"

    history = root.get("/designer/history").get_data(as_text=True)  # 修改记录, then 回滚到此
    assert "修改记录" in history and 'data-rollback="0"' in history and 'data-rollback="1"' not in history
    assert root.post("/designer/history/0/rollback", data={"parent": "0"}).status_code == 409
    back = root.post("/designer/history/0/rollback", data={"parent": "1"})
    assert back.status_code == 302, back.get_data(as_text=True)
    assert "已回滚" in root.get(back.location).get_data(as_text=True)
    assert api.get(f"/api/v1/shop/customer/{made['id']}").get_json()["city"] == "杭州"
    assert live.app.extensions["loom"].runtime.catalog.entities["shop.customer"].has_field("city")
    assert 'value="城市"' in root.get(path).get_data(as_text=True)  # back on the designer's page


def test_removing_a_field_the_designer_added_takes_it_out_of_its_overlay(live: LiveSite) -> None:
    root = zh(live, "root")
    publish(root, "/designer/forms/shop/customer", {**RENAMED, **WECHAT_ROW})
    wechat = {"existing-2-name": "wechat", "existing-2-label_zh": "微信号", "existing-2-label_en": "WeChat"}
    publish(
        root,
        "/designer/forms/shop/customer",
        {**RENAMED, **wechat, "existing-2-remove": "on", "confirm-remove": "on"},
    )
    with live.app.extensions["loom"].runtime.engine.connect() as conn:
        overlay = yaml.safe_load(store.get(conn, 2).documents["overlays/designer/shop.customer.yaml"])
    assert [item["name"] for item in overlay["patch"]["fields"]] == ["title", "city"]
    assert not live.app.extensions["loom"].runtime.catalog.entities["shop.customer"].has_field("wechat")
