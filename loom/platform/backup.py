"""One archive holding a whole site: its database, ``site.yaml``, ``apps/``, ``overlays/`` and
``uploads/``, with a manifest of every member's size and SHA-256.

The database is copied while the site runs: SQLite through its online backup API (a plain file
copy could miss what is still in the WAL), PostgreSQL with ``pg_dump --format=custom``, restored
with ``pg_restore``. A restore checks every checksum before it writes anything, and refuses a
target that already holds a site (files or tables) unless told to replace it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.engine import URL
from sqlalchemy.engine import make_url

from loom import __version__
from loom.errors import LoomError

from .database import make_engine
from .site import SITE_FILE
from .site import Site
from .site import open_site

FORMAT = 1
MANIFEST = "manifest.json"
FOLDERS = ("apps", "overlays", "uploads")
SQLITE_MEMBER = "database/loom.sqlite3"
POSTGRES_MEMBER = "database/loom.pgdump"


class BackupError(LoomError):
    """A backup or restore that cannot be done; nothing was changed."""


def backup_steps(site: Site) -> int:
    """How many progress steps ``backup`` reports: the database, then one per file."""
    return 1 + sum(1 for _ in _site_files(site))


def backup(site: Site, output: Path, on_step: Callable[[], None] = lambda: None) -> dict[str, Any]:
    """Write the site into the archive ``output``; returns its manifest."""
    kind = _kind(site.settings.database_url)
    with tempfile.TemporaryDirectory(prefix="loom-backup-") as scratch:
        staged = Path(scratch)
        member = SQLITE_MEMBER if kind == "sqlite" else POSTGRES_MEMBER
        (staged / member).parent.mkdir(parents=True)
        if kind == "sqlite":
            _sqlite_backup(site.settings.database_url, staged / member)
        else:
            _pg_run("pg_dump", site, "--format=custom", "--no-owner", f"--file={staged / member}")
        on_step()
        files = [_describe(staged / member, member)]
        for path, name in _site_files(site):
            target = staged / "site" / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
            files.append(_describe(target, f"site/{name}"))
            on_step()
        manifest = {
            "format": FORMAT,
            "loom": __version__,
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "database": kind,
            "files": files,
        }
        (staged / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        output.parent.mkdir(parents=True, exist_ok=True)
        partial = output.with_name(output.name + ".partial")
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(staged / MANIFEST, MANIFEST)
            for entry in files:
                archive.add(staged / entry["name"], entry["name"])
        os.chmod(partial, 0o600)  # it holds site.yaml, with the secret key
        os.replace(partial, output)
    return manifest


def restore(
    archive: Path, folder: Path, *, force: bool = False, on_step: Callable[[], None] = lambda: None
) -> dict[str, Any]:
    """Put the site of ``archive`` into ``folder`` (and the database its settings name)."""
    with tempfile.TemporaryDirectory(prefix="loom-restore-") as scratch:
        staged = Path(scratch)
        manifest = _unpack(archive, staged)
        on_step()
        if not (staged / "site" / SITE_FILE).exists():
            raise BackupError(f"{archive}: the archive holds no {SITE_FILE}")
        _refuse_occupied_folder(folder, force)
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy2(staged / "site" / SITE_FILE, folder / SITE_FILE)
        site = open_site(folder, create=False)
        kind = _kind(site.settings.database_url)
        if kind != manifest["database"]:
            raise BackupError(
                f"the archive holds a {manifest['database']} database, the site's database is {kind}"
                f" ({site.settings.database_description()})"
            )
        _refuse_occupied_database(site, force)
        for name in FOLDERS:
            shutil.rmtree(folder / name, ignore_errors=True)
            if (staged / "site" / name).is_dir():
                shutil.copytree(staged / "site" / name, folder / name)
        on_step()
        if kind == "sqlite":
            _sqlite_restore(staged / SQLITE_MEMBER, site.settings.database_url)
        else:
            _pg_restore(site, staged / POSTGRES_MEMBER)
        on_step()
    return manifest


RESTORE_STEPS = 3


def _unpack(archive: Path, staged: Path) -> dict[str, Any]:
    """Extract the archive and check every member against the manifest (nothing else allowed)."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(staged, filter="data")
        manifest = json.loads((staged / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, tarfile.TarError, ValueError) as exc:
        raise BackupError(f"{archive}: not a Loom backup ({exc})") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{archive}: backup format {manifest.get('format')!r}, this Loom reads {FORMAT}")
    for entry in manifest["files"]:
        path = staged / entry["name"]
        if not path.is_file() or _digest(path) != entry["sha256"] or path.stat().st_size != entry["size"]:
            raise BackupError(f"{archive}: {entry['name']} is missing or does not match its checksum")
    return manifest


def _refuse_occupied_folder(folder: Path, force: bool) -> None:
    taken = [name for name in (SITE_FILE, *FOLDERS) if (folder / name).exists()]
    if taken and not force:
        raise BackupError(f"{folder} already holds a site ({', '.join(taken)}); use --force to replace it")


def _refuse_occupied_database(site: Site, force: bool) -> None:
    engine = make_engine(site.settings.database_url)
    try:
        tables = inspect(engine).get_table_names()
    finally:
        engine.dispose()
    if tables and not force:
        raise BackupError(
            f"the database {site.settings.database_description()} already has {len(tables)} tables;"
            " use --force to replace them"
        )


def _site_files(site: Site) -> Iterator[tuple[Path, str]]:
    yield site.folder / SITE_FILE, SITE_FILE
    for name in FOLDERS:
        root = site.folder / name
        if root.is_dir():
            for path in sorted(p for p in root.rglob("*") if p.is_file()):
                yield path, path.relative_to(site.folder).as_posix()


def _describe(path: Path, name: str) -> dict[str, Any]:
    return {"name": name, "size": path.stat().st_size, "sha256": _digest(path)}


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _kind(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def _sqlite_path(url: str) -> str:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return database


def _sqlite_backup(url: str, target: Path) -> None:
    source, copy = sqlite3.connect(_sqlite_path(url)), sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()


def _sqlite_restore(copy: Path, url: str) -> None:
    target = Path(_sqlite_path(url))
    target.parent.mkdir(parents=True, exist_ok=True)
    source, database = sqlite3.connect(copy), sqlite3.connect(target)
    try:
        source.backup(database)  # replaces every page of the target, WAL included
    finally:
        database.close()
        source.close()
    os.chmod(target, 0o600)


def _schema(url: URL) -> str | None:
    """The schema a URL's ``options=-csearch_path=…`` names (Loom's tests use one per test)."""
    options = url.query.get("options", "")
    options = options if isinstance(options, str) else " ".join(options)
    return next((o.split("=", 1)[1] for o in options.split() if o.startswith("-csearch_path=")), None)


def _pg_run(tool: str, site: Site, *args: str) -> None:
    """Run pg_dump or pg_restore on the site's database: a libpq URI without the password (that
    goes through PGPASSWORD, not the process list), limited to the schema its URL names."""
    if shutil.which(tool) is None:
        raise BackupError(f"{tool} is not installed (Debian: apt-get install postgresql-client)")
    url = make_url(site.settings.database_url)
    plain = url.set(drivername="postgresql", password=None).difference_update_query(["options"])
    command = [tool, f"--dbname={plain.render_as_string(hide_password=False)}", *args]
    schema = _schema(url)
    if schema:
        command.append(f"--schema={schema}")
    env = {**os.environ, **({"PGPASSWORD": str(url.password)} if url.password else {})}
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise BackupError(f"{tool} failed: {done.stderr.strip() or done.returncode}")


def _pg_restore(site: Site, dump: Path) -> None:
    schema = _schema(make_url(site.settings.database_url))
    if schema:  # pg_restore --schema restores what is in the schema, not the schema itself
        engine = make_engine(site.settings.database_url)
        try:
            with engine.begin() as conn:
                conn.exec_driver_sql(
                    f"CREATE SCHEMA IF NOT EXISTS {conn.dialect.identifier_preparer.quote(schema)}"
                )
        finally:
            engine.dispose()
    _pg_run("pg_restore", site, "--no-owner", "--clean", "--if-exists", str(dump))
