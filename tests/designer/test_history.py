"""修改记录 says what each publish changed in plain words: forms and apps made, fields added,
removed, renamed or made required (in a form made on the site and in the designer's overlay on an
installed one), the steps of an approval flow, what a rollback brought back, and how many other
settings changed (SQLite and PostgreSQL)."""

from __future__ import annotations

import html
import re

from ..revisions.conftest import LiveSite
from .test_change import RENAMED
from .test_change import WECHAT_ROW
from .test_change import publish
from .test_designer import zh
from .test_flow import PAGE
from .test_flow import build_seal_flow
from .test_flow import carried
from .test_flow import press
from .test_flow import seal_form

CUSTOMER = "/designer/forms/shop/customer"


def changed(page: str) -> dict[int, list[str]]:
    """The sentences the history shows under each revision, by its number."""
    lists = re.findall(r'<ul[^>]*data-changed="(\d+)"[^>]*>(.*?)</ul>', page, re.S)
    return {
        int(number): [html.unescape(item) for item in re.findall(r"<li>(.*?)</li>", items, re.S)]
        for number, items in lists
    }


def test_the_history_says_what_each_publish_changed_in_plain_words(live: LiveSite) -> None:
    root = zh(live, "root")
    seal_form(live)  # 1
    checked = build_seal_flow(live)
    assert root.post(PAGE, data={**carried(checked), "action": "publish"}).status_code == 302  # 2
    page = press(root, root.get(PAGE).get_data(as_text=True), "select:0")
    manager = {"p-label": "直属主管审批", "p-kind": "manager", "p-level": "1", "p-mode": "any"}
    page = press(root, page, "check", **manager)
    assert root.post(PAGE, data={**carried(page), "action": "publish"}).status_code == 302  # 3
    publish(root, CUSTOMER, {**RENAMED, **WECHAT_ROW})  # 4
    wechat = {"existing-2-name": "wechat", "existing-2-label_zh": "微信号", "existing-2-label_en": "WeChat"}
    removed = {**RENAMED, **wechat, "existing-1-remove": "on", "confirm-remove": "on"}
    publish(root, CUSTOMER, removed)  # 5
    assert root.post("/designer/history/4/rollback", data={"parent": "5"}).status_code == 302  # 6
    role = "kind: role\nname: seal_keeper\nlabel: {zh: 印章管理员, en: Seal keeper}\n"
    written = {"changes": {"apps/admin_affairs/roles/seal_keeper.yaml": role}, "parent": 6, "message": "角色"}
    assert live.client("root").post("/api/v1/metadata/publish", json=written).status_code == 201  # 7

    page = root.get("/designer/history").get_data(as_text=True)
    said = changed(page)
    assert said[1] == ["新建应用「行政事务」。", "新建表单「用印申请」，含 6 个字段。"]
    assert said[2] == [
        "新建审批流程「用印申请审批」：发起人 → 主管审批 → 条件分支（超过20份：法务审批；其他情况） → 结束。",
        "另有 1 项其他设置有修改。",  # everyone may now submit their own: the form's permissions
    ]
    assert said[3] == [
        "审批流程「用印申请审批」：修改步骤「直属主管审批」。"
        "现在为：发起人 → 直属主管审批 → 条件分支（超过20份：法务审批；其他情况） → 结束。"
    ]
    assert said[4] == [
        "表单「客户」：字段「名称」改名为「客户名称」；字段「城市」设为必填；新增字段「微信号」。"
    ]
    assert said[5] == ["表单「客户」：移除字段「城市」。"]
    assert said[6] == ["表单「客户」：恢复字段「城市」。"]
    assert said[7] == ["另有 1 项其他设置有修改。"]  # written in YAML: counted, not described
    shown = " ".join(sentence for sentences in said.values() for sentence in sentences)
    for raw in ("seal_request", "wechat", "city", "step_1", "overlay", "yaml", "实体"):
        assert raw not in shown  # no identifiers, no jargon

    english = live.client("root").get("/designer/history").get_data(as_text=True)
    assert changed(english)[5] == ["Form Customer: field City removed."]
