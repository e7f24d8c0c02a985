"""A consultant's customizations move from one site to another: exported as one zip that
``loom validate`` accepts, imported as one revision, refused on a site whose apps differ."""

from __future__ import annotations

import io
import json
import zipfile
from contextlib import ExitStack
from pathlib import Path

from click.testing import CliRunner

from loom.platform.app import create_app
from loom.platform.cli import cli

from .conftest import WECHAT
from .conftest import LiveSite
from .conftest import make_site

CITY_REQUIRED = """\
kind: overlay
name: city_required
target: shop.customer
patch:
  fields:
    - {name: city, required: true, label: {zh: 所在城市}}
"""


def loom(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_export_then_import_on_another_site(
    live: LiveSite, tmp_path: Path, database_url, postgres_schema
) -> None:
    live.site.overlays_dir.mkdir()
    (live.site.overlays_dir / "city.yaml").write_text(CITY_REQUIRED, encoding="utf-8")
    root = live.client("root")
    body = {"changes": {"overlays/acme.yaml": WECHAT}, "parent": 0, "message": "微信号"}
    assert root.post("/api/v1/metadata/publish", json=body).status_code == 201
    archive = tmp_path / "acme.zip"
    exported = loom("customizations", "export", str(archive), "--site", str(live.site.folder))
    assert exported.exit_code == 0, exported.output
    validated = loom("validate", str(live.site.apps_dir / "shop"), str(archive))
    assert validated.exit_code == 0, validated.output
    downloaded = root.get("/api/v1/metadata/export")
    assert downloaded.status_code == 200 and downloaded.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(downloaded.data)) as zipped, zipfile.ZipFile(archive) as written:
        assert sorted(zipped.namelist()) == sorted(written.namelist())
        assert sorted(written.namelist()) == [
            "_base.json",
            "app.yaml",
            "overlays/acme.yaml",
            "overlays/city.yaml",
        ]
    with ExitStack() as stack:
        if database_url.startswith("sqlite"):
            other_url = f"sqlite:///{tmp_path / 'other.db'}"
        else:
            other_url = stack.enter_context(postgres_schema("other"))
        other = make_site(tmp_path / "other", other_url)
        where = ["--site", str(other.folder)]
        planned = loom("customizations", "import", str(archive), "--plan", *where)
        assert planned.exit_code == 0 and "wechat" in planned.stdout
        imported = loom("customizations", "import", str(archive), *where)
        assert imported.exit_code == 0, imported.output
        assert "imported as revision 1" in imported.stdout
        status = json.loads(loom("metadata", "status", "--format", "json", *where).stdout)
        assert status["documents"] == ["overlays/acme.yaml", "overlays/city.yaml"]
        app = create_app(other, config={"TESTING": True})
        customer = app.extensions["loom"].runtime.catalog.entity("shop.customer")
        assert customer.field("wechat").type == "string" and customer.field("city").required
        assert customer.field("city").label.zh == "所在城市"
        # A site on another version of shop refuses the import until forced.
        newer = make_site(tmp_path / "newer", f"sqlite:///{tmp_path / 'newer.db'}")
        manifest = newer.apps_dir / "shop" / "app.yaml"
        manifest.write_text(manifest.read_text().replace("version: 1.0.0", "version: 1.1.0"))
        refused = loom("customizations", "import", str(archive), "--site", str(newer.folder))
        assert refused.exit_code == 1 and "shop is 1.1.0 here, 1.0.0 there" in refused.stderr
        forced = loom("customizations", "import", str(archive), "--force", "--site", str(newer.folder))
        assert forced.exit_code == 0, forced.output
        # Through the API: a stale parent is a conflict; on the current one it lands.
        with app.extensions["loom"].runtime.engine.begin() as conn:
            app.extensions["loom"].identity.create_user(
                conn, "root", "管理员", password="root-pw-2026", roles=["admin"]
            )
        admin = LiveSite(other, app, {}).client("root")
        zipped = {"data": archive.read_bytes(), "content_type": "application/zip"}
        stale = admin.post("/api/v1/metadata/import?parent=0", **zipped)
        assert stale.status_code == 409 and stale.get_json()["type"].endswith("/revision-conflict")
        landed = admin.post("/api/v1/metadata/import?parent=1", **zipped)
        assert landed.status_code == 201 and landed.get_json()["parent"] == 1
        app.extensions["loom"].runtime.engine.dispose()
