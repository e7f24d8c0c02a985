"""``loom metadata status|history|publish|rollback|export`` and ``loom explain-metadata``: the
site's metadata revisions, and which layer set what.

The same pipeline as the API's ``/metadata`` routes and the designer: what the command line
publishes is validated, planned and applied in one transaction, and every running process of
the site serves it from its next request.
"""

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

LAYER_FOLDERS = ("apps", "overlays")


@cli.group()
def metadata() -> None:
    """Publish, list and roll back the site's metadata revisions."""


@metadata.command("status")
@SITE_OPTION
@click.option("--format", "output", type=FORMAT, default="text", show_default=True)
def status(site_dir: str, output: str) -> None:
    """The current revision: who published it, when and why."""
    from loom.platform.revisions import store

    services = open_services(site_dir)
    current = store.current(services.runtime.engine)
    if output == "json":
        click.echo(json.dumps({**current.summary(), "documents": sorted(current.documents)}, default=str))
        return
    if current.id == 0:
        click.echo("revision 0: the site's files, nothing published yet")
        return
    click.echo(f"revision {current.id}: {current.message}")
    click.echo(f"  by {_author(services, current.author_id)} at {_local(services, current.created_at)}")
    for path in sorted(current.documents):
        click.echo(f"  {path}")


@metadata.command("history")
@SITE_OPTION
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 500))
@click.option("--format", "output", type=FORMAT, default="text", show_default=True)
def history(site_dir: str, limit: int, output: str) -> None:
    """The latest revisions, newest first."""
    from loom.platform.revisions import store

    services = open_services(site_dir)
    with services.runtime.engine.connect() as conn:
        found = store.history(conn, limit)
    if output == "json":
        click.echo(json.dumps([r.summary() for r in found], default=str, ensure_ascii=False))
        return
    rows = [
        (
            str(r.id),
            _local(services, r.created_at),
            _author(services, r.author_id),
            ", ".join(f"{c['action']} {c['path']}" for c in r.changes) or "-",
            r.message,
        )
        for r in found
    ]
    click.echo(aligned_table(("revision", "published", "by", "changes", "message"), rows))


@metadata.command("publish")
@SITE_OPTION
@click.argument("folder", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("-m", "--message", required=True, help="What the change is for, as the history shows it.")
@click.option("--remove", "removed", multiple=True, metavar="PATH", help="Remove this document; may repeat.")
@click.option("--plan", "plan_only", is_flag=True, help="Check and print the plan; publish nothing.")
@click.option(
    "--allow-destructive", is_flag=True, help="Allow steps that convert or drop data (archived first)."
)
@click.option("--lang", type=LANG, default=None, help="Message language (default: LOOM_LANG, else en).")
def publish(
    site_dir: str,
    folder: Path | None,
    message: str,
    removed: tuple[str, ...],
    plan_only: bool,
    allow_destructive: bool,
    lang: str | None,
) -> None:
    """Publish the documents under FOLDER's apps/ and overlays/ as the next revision.

    Each file replaces the document of the same path (apps/<app>/… for apps made on the site,
    overlays/… for changes to installed apps); --remove takes one away. Exits 1, publishing
    nothing, when the metadata is invalid, a step needs --allow-destructive, or another
    revision was published meanwhile.
    """
    from loom.platform import migrations
    from loom.platform.revisions import publish as pipeline
    from loom.platform.revisions import store

    lang = lang or default_lang()
    services = open_services(site_dir)
    site, engine = services.runtime.site, services.runtime.engine
    changes: dict[str, str | None] = {path: None for path in removed}
    changes.update(layer_documents(folder) if folder else {})
    if not changes:
        fail("nothing to publish: give a folder with apps/ or overlays/, or --remove PATH")
    base = store.current(engine)
    try:
        checked = pipeline.draft(site, engine, changes, base=base, allow_destructive=allow_destructive)
    except pipeline.BadChanges as exc:
        fail(str(exc))
    if checked.problems:
        for problem in checked.problems:
            click.echo(problem.render(lang), err=True)
        fail(f"{len(checked.problems)} problem(s); nothing was published")
    assert checked.plan is not None
    click.echo(migrations.render_plan(checked.plan, lang))
    if plan_only:
        return
    try:
        landed = pipeline.publish(
            site, engine, changes, parent=base.id, author_id=None, message=message,
            allow_destructive=allow_destructive,
        )  # fmt: skip
    except pipeline.PublishError as exc:
        fail(str(exc))
    click.echo(click.style("✓ ", fg="green") + f"published revision {landed.id}")


@metadata.command("rollback")
@SITE_OPTION
@click.argument("revision", type=click.IntRange(0))
@click.option(
    "--allow-destructive", is_flag=True, help="Allow steps that convert or drop data (archived first)."
)
def rollback(site_dir: str, revision: int, allow_destructive: bool) -> None:
    """Publish again the documents of REVISION (0: the files alone) as a new revision.

    Fields added since are retired with their data, not dropped; a field removed since comes
    back with its values."""
    from loom.platform.revisions import publish as pipeline
    from loom.platform.revisions import store

    services = open_services(site_dir)
    site, engine = services.runtime.site, services.runtime.engine
    try:
        landed = pipeline.rollback(
            site, engine, revision, parent=store.head(engine), author_id=None,
            allow_destructive=allow_destructive,
        )  # fmt: skip
    except pipeline.PublishError as exc:
        fail(str(exc))
    click.echo(
        click.style("✓ ", fg="green") + f"published revision {landed.id} (back to revision {revision})"
    )


@metadata.command("export")
@SITE_OPTION
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--revision", type=click.IntRange(0), help="Which revision (default: the current one).")
def export(site_dir: str, folder: Path, revision: int | None) -> None:
    """Write a revision's documents into FOLDER (apps/ and overlays/), to edit and publish again."""
    from loom.platform.revisions import store

    services = open_services(site_dir)
    engine = services.runtime.engine
    with engine.connect() as conn:
        found = store.get(conn, revision if revision is not None else store.head(engine))
    if found is None:
        fail(f"there is no revision {revision}")
    for path, text in sorted(found.documents.items()):
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    click.echo(f"{len(found.documents)} document(s) of revision {found.id} written to {folder}")


def layer_documents(folder: Path) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for top in LAYER_FOLDERS:
        for file in sorted((folder / top).rglob("*")) if (folder / top).is_dir() else ():
            if file.is_file() and file.suffix in (".yaml", ".yml", ".json"):
                try:
                    found[file.relative_to(folder).as_posix()] = file.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError) as exc:
                    fail(f"{file}: cannot be read ({exc})")
    if not found:
        click.echo(f"{folder} has no apps/ or overlays/ documents", err=True)
    return found


def _author(services, author_id: int | None) -> str:
    if author_id is None:
        return "command line"
    with services.runtime.engine.connect() as conn:
        user = services.identity.user(conn, author_id)
    return user["name"] if user else f"user {author_id}"


def _local(services, moment) -> str:
    if moment is None:
        return "-"
    return moment.astimezone(services.records.schemas.tz).strftime("%Y-%m-%d %H:%M")


@cli.command("explain-metadata")
@SITE_OPTION
@click.argument("target")
@click.option("--format", "output", type=FORMAT, default="text", show_default=True)
def explain_metadata(site_dir: str, target: str, output: str) -> None:
    """Which layer set each property of TARGET (app.name, or a field: app.entity.field):
    a package and its version, a site overlay file, or a published revision."""
    from loom.errors import MetadataError
    from loom.metadata.provenance import UnknownTarget
    from loom.platform.revisions.provenance import explain_on_site

    services = open_services(site_dir)
    try:
        rows = explain_on_site(services.runtime.site, services.runtime.engine, target)
    except UnknownTarget as exc:
        fail(str(exc))
    except MetadataError as exc:
        fail(f"the site's metadata has {len(exc.problems)} problem(s): run loom validate")
    if output == "json":
        click.echo(json.dumps(rows, default=str, ensure_ascii=False))
        return
    table = [(row["property"], _shown(row["value"]), _layer(services, row), row["source"]) for row in rows]
    click.echo(aligned_table(("property", "value", "set by", "at"), table))


def _shown(value) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    return text if len(text) <= 40 else text[:39] + "…"


def _layer(services, row: dict) -> str:
    if row["layer"] == "revision":
        when = _local(services, row["at"])
        return f"revision {row['revision']} ({_author(services, row['author_id'])}, {when})"
    if row["layer"] == "package":
        return f"package {row['app']} {row['version'] or ''}".rstrip()
    return "site overlay"
