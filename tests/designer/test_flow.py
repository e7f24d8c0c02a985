"""The flow designer builds 用印申请's approval flow through its page (manager, then legal for
more than 20 copies), publishes it, and submissions reach the right approvers (SQLite and
PostgreSQL); the condition builder reads back what it writes."""

from __future__ import annotations

import html
import json
import re

import yaml

from loom.designer import conditions
from loom.designer import flow as flows
from loom.platform.revisions import store

from ..revisions.conftest import LiveSite
from .test_designer import SEAL
from .test_designer import parent_of
from .test_designer import zh

PAGE = "/designer/flows/admin_affairs/seal_request"


def carried(page: str) -> dict[str, str]:
    """What a page carries to its next post: the draft chain, the selection, the revision."""
    draft = html.unescape(re.search(r'name="draft" value="([^"]*)"', page).group(1))
    selected = re.search(r'name="selected" value="([^"]*)"', page).group(1)
    return {"draft": draft, "selected": selected, "parent": parent_of(page)}


def press(client, page: str, action: str, **inputs: str) -> str:
    answer = client.post(PAGE, data={**carried(page), **inputs, "action": action})
    assert answer.status_code in (200, 422), answer.status_code
    return answer.get_data(as_text=True)


def seal_form(live: LiveSite) -> None:
    root = zh(live, "root")
    assert root.post("/designer/new", data={**SEAL, "action": "publish", "parent": "0"}).status_code == 302


def build_seal_flow(live: LiveSite) -> str:
    """The admin's clicks: + 审批人 (直属上级), + 条件分支 after it, the condition 份数 > 20,
    + 审批人 in that lane (角色 法务); answers the checked page."""
    root = zh(live, "root")
    page = root.get(PAGE).get_data(as_text=True)
    assert "审批流程" in page and "发起人" in page and "结束" in page
    page = press(root, page, "add::0:approve")
    assert carried(page)["selected"] == "0" and "直属上级" in page
    manager = {"p-label": "主管审批", "p-kind": "manager", "p-level": "1", "p-mode": "any"}
    page = press(root, page, "add::1:branch", **manager)
    assert carried(page)["selected"] == "1" and "其他情况" in page
    page = press(root, page, "select:1.0", **{"p-label": "条件分支"})
    condition = {"p-label": "超过20份", "c-0-field": "copies", "c-0-op": "gt", "c-0-value": "20"}
    page = press(root, page, "add:1.0:0:approve", **condition, **{"c-join": "and"})
    assert carried(page)["selected"] == "1.0.0" and "份数 大于 20" in page
    legal = {"p-label": "法务审批", "p-kind": "role", "p-role": "legal", "p-comment": "on"}
    settings = {
        "p-editable": "copies",
        "p-hidden": "date",
        "p-remind": "24",
        "p-after": "48",
        "p-then": "reject",
    }
    return press(root, page, "check", **legal, **settings)


def test_a_step_may_ask_for_a_handwritten_signature(live: LiveSite) -> None:
    """同意时需手写签名 ticked writes ``signature: required``; unticked takes it away."""
    seal_form(live)
    root = zh(live, "root")
    page = press(root, root.get(PAGE).get_data(as_text=True), "add::0:approve")
    step = {"p-label": "总经理审批", "p-kind": "manager", "p-level": "1"}
    signed = press(root, page, "check", **step, **{"p-signature": "on"})
    assert json.loads(carried(signed)["draft"])[0]["signature"] == "required"
    assert 'id="d-p-signature" name="p-signature" checked' in signed
    unsigned = press(root, signed, "check", **step)
    assert "signature" not in json.loads(carried(unsigned)["draft"])[0]


def test_an_admin_builds_publishes_and_the_flow_picks_the_right_approvers(live: LiveSite) -> None:
    seal_form(live)
    page = build_seal_flow(live)
    assert "发布后" in page or "发布将" in page, page
    assert "发起人 → 主管审批 → 条件分支（超过20份：法务审批；其他情况） → 结束" in page
    assert "所有人都可以提交自己的用印申请审批" in page
    for jargon in ("CEL", "entity", "flow", "node", "实体"):
        assert jargon not in re.sub(r"<[^>]*>|\"[^\"]*\"", "", page)
    root = zh(live, "root")
    landed = root.post(PAGE, data={**carried(page), "action": "publish", "message": "用印审批"})
    assert landed.status_code == 302 and landed.location.endswith(f"{PAGE}?published=1")
    done = root.get(landed.location).get_data(as_text=True)
    assert "审批流程已发布" in done and 'id="designer-try"' in done

    services = live.app.extensions["loom"]
    with services.runtime.engine.connect() as conn:
        revision = store.get(conn, store.head(services.runtime.engine))
    written = yaml.safe_load(revision.documents["apps/admin_affairs/flows/seal_request_approval.yaml"])
    assert written["entity"] == "seal_request" and written["nodes"][0] == {
        "name": "step_1", "label": "主管审批", "approve": {"manager": 1}, "mode": "any",
    }  # fmt: skip
    lane = written["nodes"][1]["branch"][0]
    assert lane["when"] == "copies > 20" and lane["nodes"][0]["approve"] == {"role": "legal"}
    assert lane["nodes"][0]["comment_required"] == ["reject"]
    assert lane["nodes"][0]["editable"] == ["copies"] and lane["nodes"][0]["hidden"] == ["date"]
    assert lane["nodes"][0]["timeout"] == {"remind_after": "24h", "after": "48h", "then": "reject"}

    def approvers(copies: int) -> list[list[str]]:
        """Who gets the tasks, step after step, when 王小明 submits ``copies`` copies."""
        records, flow = services.records, services.flows
        with services.runtime.engine.begin() as conn:
            wang = services.identity.actor(conn, live.users["wang"])
            values = {"purpose": "合同盖章", "seal_type": "合同章", "copies": copies}
            record = records.create("admin_affairs.seal_request", values, wang, conn=conn)
            summary = flow.submit("admin_affairs.seal_request", record["id"], wang, conn=conn)
            seen = []
            while summary["status"] == "running":
                pending = [t for t in summary["tasks"] if t["status"] == "pending"]
                seen.append(sorted(services.identity.user(conn, t["assignee_id"])["login"] for t in pending))
                who = services.identity.actor(conn, pending[0]["assignee_id"])
                payload = {"task": pending[0]["id"], "comment": "同意"}
                summary = flow.act(
                    "admin_affairs.seal_request", record["id"], who, "approve", payload, conn=conn
                )
            assert summary["status"] == "approved"
        return seen

    assert approvers(30) == [["zhao"], ["fa"]]
    assert approvers(5) == [["zhao"]]

    tried = root.post(
        PAGE,
        data={**carried(done), "action": "simulate", "s-initiator": str(live.users["wang"]),
              "s-purpose": "合同盖章", "s-seal_type": "合同章", "s-copies": "25"},
    ).get_data(as_text=True)  # fmt: skip
    path = tried[tried.index('id="designer-try-path"') :]
    assert "主管审批</span>：赵主任" in path and "法务审批</span>：法务李律师" in path and "超过20份" in path
    # 试算 follows the steps on the page, before they are published: 25 copies no longer go to legal.
    sample = {"s-initiator": str(live.users["wang"]), "s-purpose": "合同盖章", "s-copies": "25"}
    page = press(root, tried, "select:1.0")
    raised = {
        "p-label": "超过40份",
        "c-0-field": "copies",
        "c-0-op": "gt",
        "c-0-value": "40",
        "c-join": "and",
    }
    page = press(root, page, "simulate", **raised, **sample, **{"s-seal_type": "合同章"})
    path = page[page.index('id="designer-try-path"') :]
    assert "超过40份" not in path and "法务审批" not in path and "主管审批</span>：赵主任" in path
    assert 'id="designer-try-published"' not in page
    assert store.head(services.runtime.engine) == revision.id


def test_steps_move_and_go_and_a_lane_keeps_a_condition_it_cannot_read(live: LiveSite) -> None:
    seal_form(live)
    root = zh(live, "root")
    page = root.get(PAGE).get_data(as_text=True)
    page = press(root, page, "add::0:approve")
    page = press(root, page, "add::1:cc", **{"p-label": "主管审批"})
    page = press(root, page, "up:1", **{"p-label": "抄送行政"})
    assert [n["label"] for n in flows.loads(carried(page)["draft"])] == ["抄送行政", "主管审批"]
    page = press(root, page, "remove:0")
    assert [n["label"] for n in flows.loads(carried(page)["draft"])] == ["主管审批"]
    nodes = flows.loads(carried(page)["draft"])
    nodes.append({"name": "b", "label": "分支", "branch": [
        {"name": "big", "label": "自定义", "when": "size(purpose) > 3 && copies > 1", "nodes": []},
        {"name": "rest", "label": "其他情况", "else": []},
    ]})  # fmt: skip
    page = root.post(
        PAGE, data={"draft": flows.dumps(nodes), "selected": "", "parent": "1", "action": "select:1.0"}
    ).get_data(as_text=True)
    assert "size(purpose) &gt; 3 &amp;&amp; copies &gt; 1" in page and 'name="c-raw"' in page
    page = press(root, page, "refresh", **{"p-label": "长事由", "c-raw": "1"})
    lane = flows.loads(carried(page)["draft"])[1]["branch"][0]
    assert lane == {"name": "big", "label": "长事由", "when": "size(purpose) > 3 && copies > 1", "nodes": []}
    # An empty chain, or a lane without a condition, is not checked by the validator.
    page = press(root, page, "add:1.1:0:approve")
    page = press(root, page, "lane:1")
    answer = root.post(PAGE, data={**carried(page), "action": "check"})
    assert answer.status_code == 422 and "请设置这个分支的条件" in answer.get_data(as_text=True)


def test_the_condition_builder_reads_back_what_it_writes(live: LiveSite) -> None:
    seal_form(live)
    catalog = live.app.extensions["loom"].at_current_revision().runtime.catalog
    entity = catalog.entities["admin_affairs.seal_request"]
    rows = [
        conditions.Row("copies", "ge", "20"),
        conditions.Row("seal_type", "in", "公章，合同章"),
        conditions.Row("purpose", "contains", '合同"A"'),
        conditions.Row("seal_type", "ne", "公章"),
    ]
    for join in ("and", "or"):
        cel = conditions.to_cel(rows, join, entity)
        assert conditions.read(cel, entity) == (rows, join)
    assert conditions.to_cel(rows[:1], "and", entity) == "copies >= 20"
    assert conditions.to_cel([conditions.Row("copies", "gt", "2.5")], "and", entity) == ""
    assert conditions.read("copies > 20.5", entity) is None
    assert conditions.read("copies > 1 && seal_type == 'x' || true", entity) is None


def test_flows_of_installed_forms_are_not_designed_here_and_only_admins_design(live: LiveSite) -> None:
    root = zh(live, "root")
    page = root.get("/designer/flows/shop/customer").get_data(as_text=True)
    assert 'id="designer-flow-installed"' in page and 'name="draft"' not in page
    refused = root.post("/designer/flows/shop/customer", data={"draft": "[]", "action": "publish"})
    assert refused.status_code == 200 and store.head(live.app.extensions["loom"].runtime.engine) == 0
    assert 'data-flow-of="shop.customer"' in root.get("/designer").get_data(as_text=True)
    assert zh(live, "wang").get("/designer/flows/shop/customer").status_code == 403
    assert root.get("/designer/flows/shop/nothing").status_code == 404


def test_the_validators_problems_are_shown_on_their_step(live: LiveSite) -> None:
    seal_form(live)
    root = zh(live, "root")
    nodes = [
        {"name": "step_1", "label": "主管审批", "approve": {"manager": 1}},
        {"name": "step_2", "label": "不存在的角色", "approve": {"role": "nobody"}},
    ]
    answer = root.post(
        PAGE, data={"draft": flows.dumps(nodes), "selected": "", "parent": "1", "action": "check"}
    )
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    step = page[page.index('data-step="1"') :]
    assert re.findall(r"card-footer[^>]*>([^<]*)<", step) == ["角色“nobody”不存在"]
    assert "card-footer" not in page[page.index('data-step="0"') : page.index('data-step="1"')]
    assert 'id="designer-problem"' in page
    deep: list = []
    for _ in range(50):
        deep = [{"name": "b", "branch": [{"name": "l", "when": "true", "nodes": deep}]}]
    assert flows.loads(flows.dumps(deep)) == []
