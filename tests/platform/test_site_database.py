"""Which database a site runs on is never a surprise: commands and the app say it (without the
password), a site may require PostgreSQL, invalid metadata is logged problem by problem, and a
web process warns when no job runner claims runs."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from loom.platform.app import create_app
from loom.platform.cli import cli
from loom.platform.jobs.runner import watch_runners
from loom.platform.site import SiteError
from loom.platform.site import open_site


def write_site(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "site.yaml").write_text(text, encoding="utf-8")
    return folder


def test_a_site_that_requires_postgresql_refuses_the_sqlite_fallback(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("LOOM_DATABASE_URL", raising=False)  # the environment file was not read
    site = write_site(tmp_path / "site", "apps: [oa]\nrequire_database: postgresql\nsecret_key: x\n")
    with pytest.raises(SiteError, match=r"requires a PostgreSQL database.*LOOM_DATABASE_URL"):
        open_site(site, create=False)
    result = CliRunner().invoke(cli, ["migrate", "--site", str(site)])
    assert result.exit_code == 1 and "requires a PostgreSQL database" in result.output
    assert not (site / "loom.db").exists()  # no stray SQLite file was made
    monkeypatch.setenv("LOOM_DATABASE_URL", "postgresql://loom:secret@db.internal/loom")
    settings = open_site(site, create=False).settings
    assert settings.require_database == "postgresql"
    assert (
        settings.database_description() == "postgresql://loom:***@db.internal/loom (from LOOM_DATABASE_URL)"
    )


def test_every_command_names_its_database(tmp_path: Path, database_url: str, monkeypatch) -> None:
    monkeypatch.delenv("LOOM_DATABASE_URL", raising=False)
    site = write_site(tmp_path / "site", f"database: '{database_url}'\napps: [oa]\nsecret_key: x\n")
    migrated = CliRunner().invoke(cli, ["migrate", "--apply", "--site", str(site)])
    assert migrated.exit_code == 0, migrated.output
    listed = CliRunner().invoke(cli, ["automation", "list", "--site", str(site)])
    for result in (migrated, listed):
        line = next(x for x in result.stderr.splitlines() if x.startswith("database: "))
        assert line.endswith("(from site.yaml)") and database_url.split("://")[0] in line
        assert "password" not in line
    fallback = write_site(tmp_path / "bare", "apps: [oa]\nsecret_key: x\n")
    told = CliRunner().invoke(cli, ["migrate", "--site", str(fallback)])
    assert "database: sqlite:///" in told.stderr and "neither LOOM_DATABASE_URL nor database:" in told.stderr


def test_invalid_metadata_at_start_logs_every_problem_with_its_place(tmp_path: Path, caplog) -> None:
    site = write_site(tmp_path / "site", "apps: [shop]\nsecret_key: x\n")
    entity = site / "apps" / "shop" / "entities" / "thing.yaml"
    entity.parent.mkdir(parents=True)
    (site / "apps" / "shop" / "app.yaml").write_text("kind: app\nname: shop\nlabel: Shop\nversion: 1.0.0\n")
    entity.write_text(
        "kind: entity\nname: thing\nlabel: Thing\nfields:\n"
        "  - {name: a, type: nonsense}\n  - {name: b, type: string, max_length: -1}\n",
        encoding="utf-8",
    )
    with caplog.at_level(logging.INFO, logger="loom"), pytest.raises(Exception, match="metadata problem"):
        create_app(open_site(site, create=False))
    logged = [r.getMessage() for r in caplog.records if r.getMessage().startswith("metadata problem: ")]
    assert len(logged) >= 2 and all("thing.yaml:" in line for line in logged)
    assert any("/fields/0" in line for line in logged) and any("/fields/1" in line for line in logged)
    assert any("database sqlite:///" in r.getMessage() for r in caplog.records)


def test_a_web_process_warns_when_no_job_runner_claims_runs(
    tmp_path: Path, database_url: str, caplog
) -> None:
    site = write_site(tmp_path / "site", f"database: '{database_url}'\napps: [oa]\nsecret_key: x\n")
    assert CliRunner().invoke(cli, ["migrate", "--apply", "--site", str(site)]).exit_code == 0
    app = create_app(open_site(site, create=False), config={"TESTING": True})
    stop = threading.Event()
    with caplog.at_level(logging.WARNING, logger="loom.jobs"):
        watcher = watch_runners(app.extensions["loom"], every=0.05, stop=stop)
        time.sleep(0.5)
        stop.set()
        watcher.join(timeout=5)
    assert not watcher.is_alive()
    assert any("no job runner has claimed a run since never" in r.getMessage() for r in caplog.records)
