"""``loom metadata``: publish a folder, list, export and roll back, and ``loom migrate`` that keeps
what was published (it plans against the current revision, not the files alone)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from loom.platform.cli import cli

from .conftest import WECHAT
from .conftest import make_site


def loom(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_publish_history_export_and_rollback(tmp_path: Path, database_url: str) -> None:
    site = make_site(tmp_path / "site", database_url)
    where = ["--site", str(site.folder)]
    changes = tmp_path / "changes"
    (changes / "overlays").mkdir(parents=True)
    (changes / "overlays" / "acme.yaml").write_text(WECHAT.replace("type: string", "type: strin"))
    refused = loom("metadata", "publish", str(changes), "-m", "微信号", *where)
    assert refused.exit_code == 1
    assert "revision 1: overlays/acme.yaml:6:" in refused.stderr and "nothing was published" in refused.stderr
    (changes / "overlays" / "acme.yaml").write_text(WECHAT)
    planned = loom("metadata", "publish", str(changes), "-m", "微信号", "--plan", *where)
    assert planned.exit_code == 0 and "wechat" in planned.output
    assert json.loads(loom("metadata", "status", "--format", "json", *where).stdout)["id"] == 0
    published = loom("metadata", "publish", str(changes), "-m", "客户加微信号", *where)
    assert published.exit_code == 0, published.output
    assert "published revision 1" in published.output
    listed = loom("metadata", "history", *where).stdout.splitlines()
    assert listed[0].split() == ["revision", "published", "by", "changes", "message"]
    assert "added overlays/acme.yaml" in listed[2] and listed[2].endswith("客户加微信号")
    migrate = loom("migrate", *where)
    assert migrate.exit_code == 0 and "wechat" not in migrate.output  # nothing to retire
    exported = tmp_path / "exported"
    assert loom("metadata", "export", str(exported), *where).exit_code == 0
    assert (exported / "overlays" / "acme.yaml").read_text() == WECHAT
    back = loom("metadata", "rollback", "0", *where)
    assert back.exit_code == 0 and "published revision 2 (back to revision 0)" in back.output
    status = json.loads(loom("metadata", "status", "--format", "json", *where).stdout)
    assert status["id"] == 2 and status["documents"] == [] and status["rollback_of"] == 0
