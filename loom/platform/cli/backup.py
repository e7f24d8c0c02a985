"""``loom backup`` and ``loom restore``: a whole site in one checked archive."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from .base import SITE_OPTION
from .base import cli
from .base import fail


@cli.command()
@SITE_OPTION
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The archive to write (default: loom-backup-YYYYMMDD-HHMMSS.tar.gz in the current folder).",
)
def backup(site_dir: str, output: Path | None) -> None:
    """Write the database, site.yaml, apps/, overlays/ and uploads/ into one archive, with a
    manifest of checksums; the site may keep running."""
    from loom.errors import LoomError
    from loom.platform.backup import backup as write_backup
    from loom.platform.backup import backup_steps
    from loom.platform.site import open_site

    try:
        site = open_site(site_dir, create=False)
        click.echo(f"database: {site.settings.database_description()}", err=True)
        output = output or Path(f"loom-backup-{dt.datetime.now():%Y%m%d-%H%M%S}.tar.gz")
        with click.progressbar(length=backup_steps(site), label="backup", file=sys.stderr) as bar:
            manifest = write_backup(site, output, on_step=lambda: bar.update(1))
    except LoomError as exc:
        fail(str(exc))
    size, files = sum(f["size"] for f in manifest["files"]), len(manifest["files"]) - 1
    click.echo(f"✓ {output}: {manifest['database']} database and {files} file(s), {size:,} bytes")


@cli.command()
@SITE_OPTION
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a site (files or database tables) already there.")
def restore(site_dir: str, archive: Path, force: bool) -> None:
    """Restore a `loom backup` archive into the site folder and the database its site.yaml (or
    LOOM_DATABASE_URL) names, after checking every checksum; an occupied target is refused."""
    from loom.errors import LoomError
    from loom.platform.backup import RESTORE_STEPS
    from loom.platform.backup import restore as read_backup

    try:
        with click.progressbar(length=RESTORE_STEPS, label="restore", file=sys.stderr) as bar:
            manifest = read_backup(
                archive, Path(site_dir).resolve(), force=force, on_step=lambda: bar.update(1)
            )
    except LoomError as exc:
        fail(str(exc))
    click.echo(f"✓ restored {archive} (taken {manifest['created_at']}) into {Path(site_dir).resolve()}")
