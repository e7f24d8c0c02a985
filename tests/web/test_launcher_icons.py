"""Launcher icons: the validator accepts exactly the icons of the vendored Lucide sprite, and the
launcher draws each app's and entity's icon (a letter where an entity declares none)."""

from __future__ import annotations

import re
from pathlib import Path

from loom.metadata.checks import icons
from loom.platform import web

from .conftest import catalog
from .test_pages import sign_in

SPRITE = Path(web.__file__).parent / "static" / "vendor" / "lucide" / "sprite.svg"


def test_the_validator_knows_the_icons_the_portal_serves() -> None:
    """The validator refuses icons outside the set (corpus case 200); here: it reads the very
    sprite the launcher draws from, and the builtin apps declare many of its icons."""
    symbols = set(re.findall(r'<symbol id="([a-z0-9-]+)"', SPRITE.read_text()))
    assert SPRITE.resolve() == icons.SPRITE and icons.icon_names() == symbols and len(symbols) > 1000
    builtin = catalog()
    declared = {e.icon for e in builtin.entities.values() if e.icon} | {
        a.icon for a in builtin.apps.values() if a.icon
    }
    assert len(declared) > 30 and declared <= symbols


def test_the_launcher_shows_the_declared_icons(app) -> None:
    page = sign_in(app, "root", lang="zh").get("/apps").text
    use = '<use href="/assets/vendor/lucide/sprite.svg#{}"></use>'
    crm = page.split('id="app-crm"')[1].split("</h2>")[0]
    assert use.format("users") in crm  # the app's icon beside its name
    tiles = dict(re.findall(r'<span class="loom-tile-icon" data-icon="([a-z-]*)">(.*?)</span>', page, re.S))
    assert use.format("building") in tiles["building"]  # 客户
    assert "<svg" not in tiles[""] and len(tiles[""]) == 1  # no icon declared: the label's first letter


def test_setup_tables_fold_under_setup_after_the_everyday_forms(app) -> None:
    page = sign_in(app, "root", lang="zh").get("/apps").text
    crm = page.split('id="app-crm"')[1].split("</section>")[0]
    everyday, _, setup = crm.partition('id="app-crm-setup"')
    titles = re.compile(r'<span class="card-title d-block fw-semibold">([^<]+)</span>')
    assert {"客户", "商机", "合同"} <= set(titles.findall(everyday))
    assert {"商机阶段", "产品单位", "工单类型", "负责人变更记录"} <= set(titles.findall(setup))
    assert not set(titles.findall(everyday)) & set(titles.findall(setup))
    assert "<summary" in setup and "设置" in setup.split("</summary>")[0]
    declared = {e.qualified_name for e in catalog().entities.values() if e.category == "setup"}
    assert "oa.leave_type" in declared and "oa.leave_request" not in declared
