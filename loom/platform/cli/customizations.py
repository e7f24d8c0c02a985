"""``loom customizations export|import``: move a client's overlays and published revisions
between sites, refusing a site whose apps differ from those they were made on."""

from __future__ import annotations

from pathlib import Path

import click

from loom.metadata.problems import default_lang

from .base import LANG
from .base import SITE_OPTION
from .base import cli
from .base import fail
from .base import open_services


@cli.group()
def customizations() -> None:
    """Export the site's customizations, or import another site's."""


@customizations.command("export")
@SITE_OPTION
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def export_command(site_dir: str, file: Path) -> None:
    """Write the site's overlay files and published revision as one zip (FILE)."""
    from loom.platform.revisions import customizations as moving

    services = open_services(site_dir)
    runtime = services.runtime
    data = moving.export(runtime.site, runtime.engine, runtime.catalog)
    file.write_bytes(data)
    click.echo(click.style("✓ ", fg="green") + f"customizations written to {file} ({len(data)} bytes)")


@customizations.command("import")
@SITE_OPTION
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--plan", "plan_only", is_flag=True, help="Check and print the plan; publish nothing.")
@click.option("--force", is_flag=True, help="Import even though this site's app versions differ.")
@click.option(
    "--allow-destructive", is_flag=True, help="Allow steps that convert or drop data (archived first)."
)
@click.option("--lang", type=LANG, default=None, help="Message language (default: LOOM_LANG, else en).")
def import_command(
    site_dir: str, file: Path, plan_only: bool, force: bool, allow_destructive: bool, lang: str | None
) -> None:
    """Publish the customizations exported in FILE on this site, as one revision."""
    from loom.platform import migrations
    from loom.platform.revisions import customizations as moving
    from loom.platform.revisions import publish as pipeline

    lang = lang or default_lang()
    services = open_services(site_dir)
    runtime = services.runtime
    try:
        found = moving.read(file.read_bytes())
    except pipeline.BadChanges as exc:
        fail(str(exc))
    for difference in moving.base_differences(found, runtime.catalog):
        click.echo(f"  base differs: {difference}", err=True)
    checked = pipeline.draft(
        runtime.site, runtime.engine, found.documents, allow_destructive=allow_destructive
    )
    for problem in checked.problems:
        click.echo(problem.render(lang), err=True)
    if checked.plan is not None:
        click.echo(migrations.render_plan(checked.plan, lang))
    if plan_only:
        return
    try:
        landed = moving.import_(
            runtime.site, runtime.engine, runtime.catalog, found, author_id=None, force=force,
            allow_destructive=allow_destructive, message=f"import customizations from {file.name}",
        )  # fmt: skip
    except pipeline.PublishError as exc:
        fail(str(exc))
    click.echo(click.style("✓ ", fg="green") + f"imported as revision {landed.id}")
