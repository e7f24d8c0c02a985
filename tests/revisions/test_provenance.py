"""``explain-metadata``: each property names the layer that set it (package and version, site
overlay file, or revision with author), in the CLI and the API."""

from __future__ import annotations

import json
import re

from click.testing import CliRunner

from loom.platform.cli import cli

from .conftest import LiveSite

RELABEL = """\
kind: overlay
name: city_label
target: shop.customer
patch:
  fields:
    - {name: city, label: {zh: 所在城市}}
"""
REQUIRED_CITY = """\
kind: overlay
name: city_required
target: shop.customer
patch:
  fields:
    - {name: city, required: true}
"""


def test_each_property_names_its_layer(live: LiveSite) -> None:
    (live.site.overlays_dir).mkdir()
    (live.site.overlays_dir / "required.yaml").write_text(REQUIRED_CITY, encoding="utf-8")
    root = live.client("root")
    body = {"changes": {"overlays/label.yaml": RELABEL}, "parent": 0, "message": "城市改名"}
    assert root.post("/api/v1/metadata/publish", json=body).status_code == 201
    found = root.get("/api/v1/metadata/explain?target=shop.customer.city").get_json()["items"]
    by_property = {row["property"]: row for row in found}
    assert by_property["/label/zh"]["value"] == "所在城市"
    assert by_property["/label/zh"]["layer"] == "revision" and by_property["/label/zh"]["revision"] == 1
    assert by_property["/label/zh"]["author_id"] == live.users["root"]
    assert by_property["/label/zh"]["source"] == "revision 1: overlays/label.yaml:6:32"
    assert (by_property["/label/en"]["layer"], by_property["/label/en"]["version"]) == ("package", "1.0.0")
    assert by_property["/required"]["layer"] == "site overlay"
    assert by_property["/required"]["source"].endswith("overlays/required.yaml:6:30")
    missing = root.get("/api/v1/metadata/explain?target=shop.customer.colour")
    assert missing.status_code == 404 and "no field 'colour'" in missing.get_json()["detail"]
    shown = CliRunner().invoke(
        cli, ["explain-metadata", "shop.customer.city", "--site", str(live.site.folder)]
    )
    assert shown.exit_code == 0, shown.output
    line = next(x for x in shown.stdout.splitlines() if x.startswith("/label/zh"))
    assert "所在城市" in line and "revision 1 (管理员," in line
    rows = json.loads(
        CliRunner()
        .invoke(
            cli, ["explain-metadata", "shop.customer", "--format", "json", "--site", str(live.site.folder)]
        )
        .stdout
    )
    assert {r["property"] for r in rows} >= {"/fields/title", "/fields/city", "/label/zh"}


def test_the_console_shows_the_layer_of_each_field_property(live: LiveSite) -> None:
    (live.site.overlays_dir).mkdir()
    (live.site.overlays_dir / "required.yaml").write_text(REQUIRED_CITY, encoding="utf-8")
    root = live.client("root")
    body = {"changes": {"overlays/label.yaml": RELABEL}, "parent": 0, "message": "城市改名"}
    assert root.post("/api/v1/metadata/publish", json=body).status_code == 201
    page = root.get("/admin/provenance/?entity=shop.customer")
    assert page.status_code == 200, page.text
    city = page.text[page.text.index("<code>city</code>") :]
    rows = [re.sub(r"\s+", " ", r) for r in re.findall(r"<tr>(.*?)</tr>", city, re.S)]
    label = next(r for r in rows if "<code>/label/zh</code>" in r)
    assert "所在城市" in label and re.search(r"Revision #1 · 管理员 · \d{4}-\d\d-\d\dT\d\d:\d\d", label)
    assert "revision 1: overlays/label.yaml:6:32" in label
    assert "Package shop 1.0.0" in next(r for r in rows if "<code>/label/en</code>" in r)
    assert "Site overlay" in next(r for r in rows if "<code>/required</code>" in r)
    title = page.text[page.text.index("<code>title</code>") : page.text.index("<code>city</code>")]
    assert "Revision" not in title  # the overlays changed the city only
    chinese = root.get("/admin/provenance/?entity=shop.customer&lang=zh")
    assert "发布版本 #1 · 管理员" in chinese.text and "站点覆盖文件" in chinese.text
    assert root.get("/admin/provenance/", headers={"Accept-Language": "en"}).status_code == 200
    assert live.client("clerk").get("/admin/provenance/").status_code in (302, 403)
