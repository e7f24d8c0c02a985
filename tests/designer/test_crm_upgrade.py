"""A field added to CRM's builtin customer in the designer is the designer's overlay, and an
upgrade of the CRM package (``loom apps upgrade``, the real command) keeps the field and the
values saved in it (SQLite and PostgreSQL)."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml
from click.testing import CliRunner

from loom.metadata.loader import BUILTIN_APPS
from loom.platform.app import create_app
from loom.platform.cli import cli
from loom.platform.revisions import store

from ..revisions.conftest import LiveSite
from ..revisions.test_consultant import crm_site
from .pages import shown_inputs
from .test_change import publish
from .test_designer import zh
from .test_history import changed

OVERLAY = "overlays/designer/crm.customer.yaml"
WECHAT_ROW = {"fields-0-type": "string", "fields-0-label_zh": "微信号", "fields-0-label_en": "WeChat"}


def crm_next_patch(folder: Path) -> Path:
    """CRM 0.2.1: the package as shipped, with one label reworded (网址 → 公司网址)."""
    shutil.copytree(BUILTIN_APPS / "crm", folder)
    manifest = folder / "app.yaml"
    manifest.write_text(manifest.read_text().replace("version: 0.2.0", "version: 0.2.1"))
    entity = folder / "entities" / "customer.yaml"
    text = entity.read_text()
    assert "{zh: 网址, en: Website}" in text
    entity.write_text(text.replace("{zh: 网址, en: Website}", "{zh: 公司网址, en: Company website}"))
    return folder


def test_a_field_added_to_the_crm_customer_survives_an_upgrade_of_crm(
    tmp_path: Path, database_url: str, site_clock
) -> None:
    site = crm_site(tmp_path / "site", database_url)
    app = create_app(site, config={"TESTING": True}, clock=site_clock)
    services = app.extensions["loom"]
    with services.runtime.engine.begin() as conn:
        root_id = services.identity.create_user(
            conn, "root", "管理员", password="root-pw-2026", roles=["admin"]
        )
    live = LiveSite(site, app, {"root": root_id})
    root, api = zh(live, "root"), live.client("root")

    path = "/designer/forms/crm/customer"
    shown = root.get(path).get_data(as_text=True)
    assert "修改表单「客户」" in shown
    page = publish(root, path, {**shown_inputs(shown), **WECHAT_ROW})  # the form as shown, plus 微信号
    assert "将新增 1 个字段：微信号" in page
    engine = services.runtime.engine
    with engine.connect() as conn:
        assert list(store.get(conn, 1).documents) == [OVERLAY]  # the package is not edited
    overlay = yaml.safe_load(store.current(engine).documents[OVERLAY])
    assert overlay["target"] == "crm.customer"
    assert overlay["patch"]["fields"] == [
        {"name": "wechat", "label": {"zh": "微信号", "en": "WeChat"}, "type": "string", "max_length": 200}
    ]
    made = api.post("/api/v1/crm/customer", json={"name": "杭州云栖科技", "wechat": "yunqi"})
    assert made.status_code == 201, made.get_json()
    record = made.get_json()

    package = crm_next_patch(tmp_path / "crm-0.2.1")
    where = ["--site", str(site.folder)]
    checked = CliRunner().invoke(cli, ["apps", "upgrade", str(package), "--check", *where])
    assert checked.exit_code == 0, checked.output
    upgraded = CliRunner().invoke(cli, ["apps", "upgrade", str(package), *where])
    assert upgraded.exit_code == 0, upgraded.output
    assert "upgraded crm to 0.2.1 (revision 2)" in upgraded.output

    answer = api.get(f"/api/v1/crm/customer/{record['id']}")  # the running app takes it up at once
    assert answer.headers["X-Loom-Revision"] == "2"
    assert answer.get_json()["wechat"] == "yunqi" and answer.get_json()["name"] == "杭州云栖科技"
    catalog = app.extensions["loom"].runtime.catalog  # the services of revision 2
    customer = catalog.entity("crm.customer")
    assert catalog.apps["crm"].version == "0.2.1"
    assert customer.field("website").label.zh == "公司网址"  # the new version is in use
    assert customer.field("wechat").label.zh == "微信号"  # with the designer's field
    assert yaml.safe_load(store.current(engine).documents[OVERLAY]) == overlay
    again = root.get(path).get_data(as_text=True)  # and the designer shows it, to change further
    assert 'value="微信号"' in again and 'value="公司网址"' in again
    saved = api.post("/api/v1/crm/customer", json={"name": "苏州工业园", "wechat": "sip"})
    assert saved.status_code == 201, saved.get_json()
    history = root.get("/designer/history").get_data(as_text=True)
    assert changed(history) == {1: ["表单「客户」：新增字段「微信号」。"]}  # the upgrade: its message only
    assert "upgrade crm 0.2.0 → 0.2.1" in history
    engine.dispose()
