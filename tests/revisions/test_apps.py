"""``loom apps upgrade``: the site's customizations are checked against the new version first,
each breakage at its line; a clean upgrade is published, and running processes take it up with
every value intact."""

from __future__ import annotations

import json
import textwrap
import zipfile
from pathlib import Path

from click.testing import CliRunner

from loom.platform.cli import cli

from .conftest import SHOP
from .conftest import WECHAT
from .conftest import LiveSite

CITY_REQUIRED = """\
kind: overlay
name: city_required
target: shop.customer
patch:
  fields:
    - {name: city, required: true}
"""


def package(folder: Path, version: str, customer: str) -> Path:
    for path, text in {**SHOP, "entities/customer.yaml": customer}.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text(textwrap.dedent(text), encoding="utf-8")
    manifest = folder / "app.yaml"
    manifest.write_text(manifest.read_text().replace("version: 1.0.0", f"version: {version}"))
    return folder


def loom(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_upgrade_check_points_at_the_overlay_it_breaks_then_upgrades(live: LiveSite, tmp_path: Path) -> None:
    where = ["--site", str(live.site.folder)]
    live.site.overlays_dir.mkdir()
    (live.site.overlays_dir / "city.yaml").write_text(CITY_REQUIRED, encoding="utf-8")
    root, clerk = live.client("root"), live.client("clerk")
    body = {"changes": {"overlays/acme.yaml": WECHAT}, "parent": 0, "message": "微信号"}
    assert root.post("/api/v1/metadata/publish", json=body).status_code == 201
    made = clerk.post(
        "/api/v1/shop/customer", json={"title": "甲", "city": "杭州", "wechat": "wx"}
    ).get_json()
    # 1.1.0 drops the city, which the site overlay still patches.
    customer = textwrap.dedent(SHOP["entities/customer.yaml"])
    city = "  - {name: city, label: {zh: 城市, en: City}, type: string, max_length: 40}\n"
    breaking = package(tmp_path / "v11", "1.1.0", customer.replace(city, ""))
    checked = loom("apps", "upgrade", str(breaking), "--check", *where)
    assert checked.exit_code == 1
    assert "shop: 1.0.0 → 1.1.0" in checked.stdout
    [problem] = [line for line in checked.stderr.splitlines() if line.startswith("  [")]
    assert (
        problem.startswith("  [customization] ")
        and "/site/overlays/city.yaml:6:7: /patch/fields/0: " in problem
    )
    assert "1 in the site's overlays and revisions" in checked.stderr
    assert json.loads(loom("apps", "list", "--format", "json", *where).stdout)[0]["version"] == "1.0.0"
    # 1.2.0 keeps the city and adds a phone, shipped as a zip: everything applies.
    phone = "  - {name: phone, label: {zh: 电话, en: Phone}, type: phone}\n"
    fine = package(tmp_path / "v12", "1.2.0", customer.replace(city, city + phone))
    archive = tmp_path / "shop-1.2.0.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for file in fine.rglob("*.yaml"):
            zf.write(file, f"shop/{file.relative_to(fine)}")
    assert loom("apps", "upgrade", str(archive), "--check", *where).exit_code == 0
    upgraded = loom("apps", "upgrade", str(archive), *where)
    assert upgraded.exit_code == 0, upgraded.output
    assert "upgraded shop to 1.2.0 (revision 2)" in upgraded.stdout
    again = clerk.get(f"/api/v1/shop/customer/{made['id']}").get_json()
    assert (again["city"], again["wechat"], again["phone"]) == ("杭州", "wx", None)
    changed = clerk.patch(
        f"/api/v1/shop/customer/{made['id']}",
        json={"phone": "13800000000"},
        headers={"If-Match": str(again["version"])},
    )
    assert changed.status_code == 200, changed.get_json()
    assert not list(live.site.apps_dir.glob(".shop-*"))


NOTES = {
    "app.yaml": "kind: app\nname: notes\nlabel: {zh: 便签, en: Notes}\nversion: 1.0.0\ndepends: [shop]\n",
    "entities/note.yaml": """\
        kind: entity
        name: note
        label: {zh: 便签, en: Note}
        title_field: title
        fields:
          - {name: title, label: {zh: 标题, en: Title}, type: string, required: true, max_length: 60}
          - {name: customer, label: {zh: 客户, en: Customer}, type: link, entity: shop.customer}
        permissions:
          - {role: clerk, create: true, read: all, write: all}
        """,
}


def write(folder: Path, files: dict[str, str]) -> Path:
    for path, text in files.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


def test_install_upgrade_and_uninstall_an_app_as_revisions(live: LiveSite, tmp_path: Path) -> None:
    where = ["--site", str(live.site.folder)]
    clerk = live.client("clerk")
    assert clerk.get("/api/v1/notes/note").status_code == 404
    installed = loom("apps", "install", str(write(tmp_path / "notes", NOTES)), *where)
    assert installed.exit_code == 0, installed.output
    assert "install notes 1.0.0 (revision 1)" in installed.stdout
    made = clerk.post("/api/v1/notes/note", json={"title": "回访杭州客户"})
    assert made.status_code == 201, made.get_json()
    listed = {row["name"]: row for row in json.loads(loom("apps", "list", "--format", "json", *where).stdout)}
    assert (listed["notes"]["version"], listed["notes"]["source"]) == ("1.0.0", "revision 1")
    again = loom("apps", "install", str(tmp_path / "notes"), *where)
    assert again.exit_code == 1 and "installed already" in again.stderr

    newer = dict(NOTES)
    newer["app.yaml"] = NOTES["app.yaml"].replace("1.0.0", "1.1.0")
    newer["entities/note.yaml"] = NOTES["entities/note.yaml"].replace(
        "        permissions:",
        "          - {name: done, label: {zh: 已完成, en: Done}, type: boolean}\n        permissions:",
    )
    upgraded = loom("apps", "upgrade", str(write(tmp_path / "notes-1.1", newer)), *where)
    assert upgraded.exit_code == 0, upgraded.output
    assert "upgraded notes to 1.1.0 (revision 2)" in upgraded.stdout
    note = clerk.get(f"/api/v1/notes/note/{made.get_json()['id']}").get_json()
    assert (note["title"], note["done"]) == ("回访杭州客户", None)

    refused = loom("apps", "uninstall", "shop", *where)
    assert refused.exit_code == 1 and "site.yaml" in refused.stderr
    removed = loom("apps", "uninstall", "notes", *where)
    assert removed.exit_code == 0, removed.output
    assert clerk.get("/api/v1/notes/note").status_code == 404
    back = loom("apps", "install", str(tmp_path / "notes-1.1"), *where)
    assert back.exit_code == 0, back.output
    kept = clerk.get(f"/api/v1/notes/note/{made.get_json()['id']}").get_json()
    assert kept["title"] == "回访杭州客户"  # uninstalling retired the table with its rows


def test_a_depends_range_refuses_an_install_and_an_upgrade_outside_it(live: LiveSite, tmp_path: Path) -> None:
    where = ["--site", str(live.site.folder)]
    ranged = {**NOTES, "app.yaml": NOTES["app.yaml"].replace("depends: [shop]", 'depends: {shop: ">=1.5"}')}
    refused = loom("apps", "install", str(write(tmp_path / "notes-new", ranged)), *where)
    assert refused.exit_code == 1
    assert "apps/notes/app.yaml:5" in refused.stderr and "/depends/shop" in refused.stderr
    assert "installed at version 1.0.0, outside the range '>=1.5'" in refused.stderr
    fitting = {**NOTES, "app.yaml": NOTES["app.yaml"].replace("depends: [shop]", 'depends: {shop: "^1.0"}')}
    installed = loom("apps", "install", str(write(tmp_path / "notes", fitting)), *where)
    assert installed.exit_code == 0, installed.output
    customer = textwrap.dedent(SHOP["entities/customer.yaml"])
    checked = loom("apps", "upgrade", str(package(tmp_path / "shop-2", "2.0.0", customer)), *where)
    assert checked.exit_code == 1
    assert "installed at version 2.0.0, outside the range '^1.0'" in checked.stderr
    assert json.loads(loom("apps", "list", "--format", "json", *where).stdout)[0]["version"] == "1.0.0"
    minor = loom("apps", "upgrade", str(package(tmp_path / "shop-1.3", "1.3.0", customer)), *where)
    assert minor.exit_code == 0, minor.output
