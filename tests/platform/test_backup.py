"""`loom backup` and `loom restore`: the demo company goes into one archive and comes back
identical (every table's rows, every uploaded file, every approval), on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import create_engine
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.engine import make_url

from loom.platform.app import create_app
from loom.platform.cli import cli
from loom.platform.database import normalize_url
from loom.platform.site import open_site


def loom(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, list(args), env=env)


@contextmanager
def other_database(source_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database for the restore: a new SQLite file, or a new PostgreSQL database whose
    search_path names the source's schema (a dump restores into the schema it came from)."""
    if source_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    name = f"loom_restore_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalize_url(os.environ["LOOM_TEST_DATABASE_URL"]), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(source_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.dispose()


def snapshot(site: Path, env_url: str | None = None) -> dict:
    """Every row of every table, in key order, and every uploaded file's bytes."""
    app = create_app(open_site(site, create=False), config={"TESTING": True})
    runtime = app.extensions["loom"].runtime
    rows = {}
    with runtime.engine.connect() as conn:
        for table in sorted(runtime.schema.metadata.tables.values(), key=lambda t: t.name):
            order = list(table.primary_key.columns) or list(table.columns)
            rows[table.name] = [tuple(r) for r in conn.execute(select(table).order_by(*order))]
        approvals = conn.execute(
            select(func.count()).select_from(runtime.schema.metadata.tables["loom_flow_tasks"])
        )
        rows["_approval_tasks"] = approvals.scalar_one()
    runtime.engine.dispose()
    uploads = site / "uploads"
    files = {p.relative_to(uploads).as_posix(): p.read_bytes() for p in uploads.rglob("*") if p.is_file()}
    return {"rows": rows, "files": files}


def test_backup_and_restore_give_back_the_same_site(tmp_path: Path, database_url: str, monkeypatch) -> None:
    monkeypatch.delenv("LOOM_DATABASE_URL", raising=False)
    source = tmp_path / "site"
    source.mkdir()
    (source / "site.yaml").write_text(f"database: '{database_url}'\napps: [oa, crm]\nsecret_key: k\n")
    (source / "overlays").mkdir()
    assert loom("migrate", "--apply", "--site", str(source)).exit_code == 0
    filled = loom("demo", "--site", str(source))
    assert filled.exit_code == 0, filled.output
    before = snapshot(source)
    assert before["files"] and before["rows"]["_approval_tasks"] > 50  # something to lose

    archive = tmp_path / "out" / "site.tar.gz"
    made = loom("backup", "--site", str(source), "--output", str(archive))
    assert made.exit_code == 0, made.output
    assert archive.stat().st_mode & 0o077 == 0  # it holds the secret key

    target = tmp_path / "restored"
    with other_database(database_url, tmp_path) as empty:
        env = {"LOOM_DATABASE_URL": empty}
        back = loom("restore", str(archive), "--site", str(target), env=env)
        assert back.exit_code == 0, back.output
        monkeypatch.setenv("LOOM_DATABASE_URL", empty)
        after = snapshot(target)
        assert after["files"] == before["files"]
        assert after["rows"] == before["rows"]
        assert (target / "site.yaml").read_bytes() == (source / "site.yaml").read_bytes()

        again = loom("restore", str(archive), "--site", str(target), env=env)
        assert again.exit_code == 1 and "already holds a site" in again.output and "--force" in again.output
        forced = loom("restore", str(archive), "--site", str(target), "--force", env=env)
        assert forced.exit_code == 0, forced.output
        assert snapshot(target)["rows"] == before["rows"]


def test_a_damaged_archive_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(b"not an archive")
    result = loom("restore", str(broken), "--site", str(tmp_path / "target"))
    assert result.exit_code == 1 and "not a Loom backup" in result.output
    assert not (tmp_path / "target").exists()
