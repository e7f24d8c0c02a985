"""The flow of an installed app's form is designed like a site-made one and published as the
designer's overlay on it (``replace: [nodes]``): parallel lanes and an action step included, the
package untouched; an upgrade of the package keeps the chain, the package's new options, and
the field the designer added with its data (SQLite and PostgreSQL)."""

from __future__ import annotations

import html
import json
import re
import textwrap
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from loom.designer import design as designs
from loom.designer import flow as flows
from loom.metadata.catalog import thaw
from loom.platform.app import create_app
from loom.platform.cli import cli
from loom.platform.revisions import store

from ..acceptance.crm.conftest import company  # noqa: F401  (a fixture)
from ..revisions.conftest import SHOP
from ..revisions.conftest import LiveSite
from ..revisions.conftest import make_site
from .conftest import PASSWORDS
from .test_change import WECHAT_ROW
from .test_change import publish
from .test_designer import parent_of
from .test_designer import zh
from .test_history import changed

PAGE = "/designer/flows/shop/customer"
OVERLAY = "overlays/designer/flows/shop.customer_approval.yaml"
FLOW = """\
kind: flow
name: customer_approval
label: {zh: 客户审批, en: Customer approval}
entity: customer
nodes:
  - {name: manager, label: {zh: 主管, en: Manager}, approve: {manager: 1}, mode: any}
"""


@pytest.fixture
def shop(tmp_path: Path, database_url: str, site_clock) -> LiveSite:
    folder = tmp_path / "site"
    flow = folder / "apps" / "shop" / "flows" / "customer_approval.yaml"
    flow.parent.mkdir(parents=True)
    flow.write_text(FLOW, encoding="utf-8")
    site = make_site(folder, database_url)
    app = create_app(site, config={"TESTING": True}, clock=site_clock)
    with app.extensions["loom"].runtime.engine.begin() as conn:
        root = app.extensions["loom"].identity.create_user(
            conn, "root", "管理员", password=PASSWORDS["root"], roles=["admin"]
        )
    return LiveSite(site, app, {"root": root})


def carried(page: str) -> dict[str, str]:
    draft = html.unescape(re.search(r'name="draft" value="([^"]*)"', page).group(1))
    selected = re.search(r'name="selected" value="([^"]*)"', page).group(1)
    return {"draft": draft, "selected": selected, "parent": parent_of(page)}


def press(client, page: str, action: str, **inputs: str) -> str:
    answer = client.post(PAGE, data={**carried(page), **inputs, "action": action})
    assert answer.status_code in (200, 302, 422), answer.status_code
    return answer.get_data(as_text=True)


def catalog_nodes(live: LiveSite) -> list:
    flow = live.app.extensions["loom"].runtime.catalog.definition("flow", "shop.customer_approval")
    return thaw(flow.spec["nodes"])


def test_an_installed_flow_is_designed_as_an_overlay_an_upgrade_keeps(shop: LiveSite, tmp_path: Path) -> None:
    root = zh(shop, "root")
    publish(root, "/designer/forms/shop/customer", WECHAT_ROW)  # 微信号, added by the designer
    made = root.post("/api/v1/shop/customer", json={"title": "甲", "wechat": "wx-1"}).get_json()

    page = root.get(PAGE).get_data(as_text=True)
    assert 'id="designer-flow-overlay"' in page and "主管" in page
    assert json.loads(carried(page)["draft"])[0]["name"] == "manager"
    page = press(root, page, "select:0")
    manager = {"p-label": "主管审批", "p-kind": "manager", "p-level": "1", "p-mode": "all"}
    page = press(root, page, "add::1:parallel", **manager)
    assert carried(page)["selected"] == "1" and "并行分支" in page and "分支1" in page
    page = press(root, page, "add:1.0:0:approve", **{"p-label": "并行审批"})
    clerks = {"p-label": "店员复核", "p-kind": "role", "p-role": "clerk"}
    page = press(root, page, "add:1.1:0:action", **clerks)
    assert carried(page)["selected"] == "1.1.0" and 'id="designer-action"' in page
    page = press(root, page, "check", **{"p-label": "写入城市", "a-0-field": "city", "a-0-value": "已审核"})
    assert "写入城市" in page and "设置 城市 为 已审核" in page
    assert "应用升级后" in page  # the plan says the package's flow stays and upgrades keep this
    landed = root.post(PAGE, data={**carried(page), "action": "publish", "message": "审批流程"})
    assert landed.status_code == 302, landed.get_data(as_text=True)
    assert 'id="designer-flow-published"' in root.get(landed.location).get_data(as_text=True)
    said = changed(root.get("/designer/history").get_data(as_text=True))
    assert said[2] == [
        "审批流程「客户审批」：新增步骤「并行审批」；新增步骤「店员复核」；新增步骤「写入城市」；"
        "修改步骤「主管审批」。现在为："
        "发起人 → 主管审批 → 并行审批（分支1：店员复核；分支2：写入城市） → 结束。"
    ]

    expected = [
        {"name": "manager", "label": {"zh": "主管审批", "en": "Manager"}, "approve": {"manager": 1}},
        {
            "name": "step_1",
            "label": "并行审批",
            "parallel": [
                {"name": "lane_1", "label": "分支1", "nodes": [
                    {"name": "step_2", "label": "店员复核", "approve": {"role": "clerk"}},
                ]},
                {"name": "lane_1_b", "label": "分支2", "nodes": [
                    {"name": "step_3", "label": "写入城市", "action": {"set": {"city": '"已审核"'}}},
                ]},
            ],
        },
    ]  # fmt: skip
    assert catalog_nodes(shop) == expected
    with shop.app.extensions["loom"].runtime.engine.connect() as conn:
        documents = store.get(conn, store.head(shop.app.extensions["loom"].runtime.engine)).documents
    overlay = yaml.safe_load(documents[OVERLAY])
    assert overlay["target"] == "shop.customer_approval" and overlay["target_kind"] == "flow"
    assert overlay["replace"] == ["nodes"] and overlay["patch"] == {"nodes": expected}
    assert "mode: any" in (shop.site.folder / "apps/shop/flows/customer_approval.yaml").read_text()

    # 1.1.0 renames the manager step and lets initiators always withdraw: the chain stays.
    new = tmp_path / "v11"
    for path, text in {**SHOP, "flows/customer_approval.yaml": FLOW}.items():
        (new / path).parent.mkdir(parents=True, exist_ok=True)
        (new / path).write_text(textwrap.dedent(text), encoding="utf-8")
    manifest = new / "app.yaml"
    manifest.write_text(manifest.read_text().replace("1.0.0", "1.1.0"), encoding="utf-8")
    flow = new / "flows/customer_approval.yaml"
    flow.write_text(flow.read_text().replace("主管", "直属主管") + "withdraw: always\n", encoding="utf-8")
    upgraded = CliRunner().invoke(cli, ["apps", "upgrade", str(new), "--site", str(shop.site.folder)])
    assert upgraded.exit_code == 0, upgraded.output
    again = root.get(f"/api/v1/shop/customer/{made['id']}").get_json()  # a request on the upgrade
    assert again["wechat"] == "wx-1"  # the designer's field and its value survive the upgrade
    assert catalog_nodes(shop) == expected
    definition = shop.app.extensions["loom"].runtime.catalog.definition("flow", "shop.customer_approval")
    assert definition.spec["withdraw"] == "always"


def test_parallel_lanes_and_actions_move_and_keep_their_lanes(shop: LiveSite) -> None:
    """A parallel step keeps two lanes (× on one of two does nothing), gets a third with 添加分支,
    and a step dragged into a lane leaves its old place; a step is never dragged into itself."""
    nodes = [flows.new_step([], "approve")]
    nodes.append(flows.new_step(nodes, "parallel"))
    assert flows.edit(nodes, "remove:1.0")[1] is None and len(nodes[1]["parallel"]) == 2
    _, selected = flows.edit(nodes, "lane:1")
    assert selected == "1.2"
    assert [lane["label"] for lane in nodes[1]["parallel"]] == ["Lane 1", "Lane 2", "Lane 3"]
    assert flows.edit(nodes, "remove:1.2")[1] == "" and len(nodes[1]["parallel"]) == 2
    flows.edit(nodes, "move:0:1.1:0")
    assert [n["name"] for n in nodes] == ["step_2"]
    assert nodes[0]["parallel"][1]["nodes"][0]["name"] == "step_1"
    assert flows.edit(nodes, "move:0:0.0:0")[1] is None  # into itself
    found = flows.mistakes(nodes, shop.app.extensions["loom"].runtime.catalog.entities["shop.customer"])
    assert list(found) == ["0.0"]  # the lane left empty


def test_a_new_field_dragged_elsewhere_takes_its_new_place() -> None:
    design = designs.FormDesign(fields=[designs.FieldDesign(type=t) for t in ("string", "money", "date")])
    moved = designs.edit(design, "move:0:2")
    assert [f.type for f in moved.fields] == ["money", "date", "string"]
    assert designs.edit(design, "move:5:0") == design and designs.edit(design, "move:x:0") == design


def test_the_builtin_oa_and_crm_flows_open_with_their_lanes(company) -> None:  # noqa: F811
    """CRM's 合同审批 (a parallel countersign inside a condition lane) and OA's 用印审批 (conditions
    the builder reads and one it does not) open in the designer, in Chinese, and a lane opens."""
    with company.services.runtime.engine.begin() as conn:
        company.services.identity.create_user(conn, "root", "管理员", password="root-pw", roles=["admin"])
    root = company.client("root")
    root.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    contract = root.get("/designer/flows/crm/contract")
    page = contract.get_data(as_text=True)
    assert contract.status_code == 200, page
    assert 'id="designer-flow-overlay"' in page
    for shown in ("销售经理审批", "按整单折扣", "财务与法务会签", "并行分支", "财务审核", "法务审核"):
        assert shown in page, shown
    lane = root.post("/designer/flows/crm/contract", data={**carried(page), "action": "select:1.0.0.1"})
    assert lane.status_code == 200 and 'id="d-p-label" name="p-label" value="法务"' in lane.get_data(
        as_text=True
    )
    seal = root.get("/designer/flows/oa/seal_request").get_data(as_text=True)
    assert "按印章和用途" in seal and "部门负责人" in seal
