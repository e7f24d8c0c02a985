"""``loom apps list|install|upgrade|uninstall``: the site's apps, each change published as a
metadata revision that every running process takes up."""

from __future__ import annotations

import json
from pathlib import Path

import click

from loom.metadata.problems import default_lang

from .base import FORMAT
from .base import LANG
from .base import SITE_OPTION
from .base import aligned_table
from .base import cli
from .base import fail
from .base import open_services


@cli.group()
def apps() -> None:
    """List the site's apps and upgrade them."""


@apps.command("list")
@SITE_OPTION
@click.option("--format", "output", type=FORMAT, default="text", show_default=True)
def list_apps(site_dir: str, output: str) -> None:
    """Every app of the site: its version, what it depends on and where it is read from."""
    from loom.metadata.loader import BUILTIN_APPS
    from loom.metadata.loader import builtin_app_names

    services = open_services(site_dir)
    site, catalog = services.runtime.site, services.runtime.catalog
    paths = {path.name: path for path in site.app_paths()}
    rows = []
    for app in catalog.apps.values():
        path = paths.get(app.name)
        if path is None:
            builtin = app.name in builtin_app_names()
            source = "builtin (dependency)" if builtin else f"revision {services.runtime.revision}"
        elif path.is_relative_to(BUILTIN_APPS):
            source = "builtin"
        else:
            source = str(path)
        rows.append(
            {
                "name": app.name,
                "label": app.label.zh,
                "version": app.version,
                "depends": list(app.depends),
                "source": source,
            }
        )
    if output == "json":
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    table = [(r["name"], r["label"], r["version"], ", ".join(r["depends"]) or "-", r["source"]) for r in rows]
    click.echo(aligned_table(("app", "label", "version", "depends", "read from"), table))


@apps.command("install")
@SITE_OPTION
@click.argument("package", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--allow-destructive", is_flag=True, help="Allow steps that convert or drop data (archived first)."
)
def install(site_dir: str, package: Path, allow_destructive: bool) -> None:
    """Install the app package (folder or zip) PACKAGE: stored with the site's metadata and
    published, so every process of the site serves it from its next request."""
    from loom.platform.revisions import apps as lifecycle
    from loom.platform.revisions import publish as pipeline

    services = open_services(site_dir)
    try:
        landed = lifecycle.install(
            services.runtime.site, services.runtime.engine, package, author_id=None,
            allow_destructive=allow_destructive,
        )  # fmt: skip
    except pipeline.Invalid as exc:
        for problem in exc.problems:
            click.echo(problem.render(default_lang()), err=True)
        fail(str(exc))
    except pipeline.PublishError as exc:
        fail(str(exc))
    click.echo(click.style("✓ ", fg="green") + f"{landed.message} (revision {landed.id})")


@apps.command("uninstall")
@SITE_OPTION
@click.argument("name")
def uninstall(site_dir: str, name: str) -> None:
    """Uninstall an app installed with `loom apps install`; its tables and data are kept, retired
    (`loom migrate --purge-retired` drops them after archiving). Refused while another app
    depends on it."""
    from loom.platform.revisions import apps as lifecycle
    from loom.platform.revisions import publish as pipeline

    services = open_services(site_dir)
    try:
        landed = lifecycle.uninstall(services.runtime.site, services.runtime.engine, name, author_id=None)
    except pipeline.PublishError as exc:
        fail(str(exc))
    click.echo(click.style("✓ ", fg="green") + f"{landed.message} (revision {landed.id}); its data is kept")


@apps.command("upgrade")
@SITE_OPTION
@click.argument("package", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--check", "check_only", is_flag=True, help="Check the site's customizations against it; change nothing."
)
@click.option(
    "--with",
    "fixes",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="A folder of apps/ and overlays/ documents to publish with the upgrade (the fixes it needs).",
)
@click.option(
    "--allow-destructive", is_flag=True, help="Allow steps that convert or drop data (archived first)."
)
@click.option("--lang", type=LANG, default=None, help="Message language (default: LOOM_LANG, else en).")
def upgrade(
    site_dir: str,
    package: Path,
    check_only: bool,
    fixes: Path | None,
    allow_destructive: bool,
    lang: str | None,
) -> None:
    """Replace an installed app with the package folder or zip PACKAGE, and publish it.

    First every overlay and published revision is checked against the new version: a target
    that no longer exists, a field an overlay changes that was renamed or removed. Each problem
    is printed at its place (file and line); with any, nothing is changed and the exit is 1.
    An overlay that the new version breaks is fixed in the same revision with --with FOLDER.
    """
    from loom.platform.revisions import apps as lifecycle
    from loom.platform.revisions import publish as pipeline

    from .metadata import layer_documents

    lang = lang or default_lang()
    services = open_services(site_dir)
    site, engine = services.runtime.site, services.runtime.engine
    try:
        changes = layer_documents(fixes) if fixes else {}
        checked = lifecycle.check_upgrade(site, engine, package, changes)
    except pipeline.PublishError as exc:
        fail(str(exc))
    click.echo(f"{checked.app}: {checked.old or '-'} → {checked.new}")
    for problem in checked.problems:
        mark = "customization" if problem in checked.customizations else "package"
        click.echo(f"  [{mark}] {problem.render(lang)}", err=True)
    if not checked.ok:
        fail(
            f"{len(checked.problems)} problem(s), {len(checked.customizations)} in the site's overlays and "
            "revisions: fix them (or the package) first; nothing was changed"
        )
    if check_only:
        click.echo(click.style("✓ ", fg="green") + "every overlay and revision applies to the new version")
        return
    try:
        landed = lifecycle.upgrade(
            site, engine, package, author_id=None, changes=changes, allow_destructive=allow_destructive
        )
    except pipeline.PublishError as exc:
        fail(str(exc))
    click.echo(
        click.style("✓ ", fg="green") + f"upgraded {checked.app} to {checked.new} (revision {landed.id})"
    )
