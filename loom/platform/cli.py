"""The ``loom`` command line.

Commands are thin: they call plain functions and print. User mistakes exit 1 (problems)
or 2 (usage) with a message on stderr, never a traceback.
"""

from __future__ import annotations

import json
import sys

import click

from loom import __version__
from loom.metadata import validate_paths
from loom.metadata.loader import BUILTIN_APPS
from loom.metadata.problems import default_lang

LANG = click.Choice(["zh", "en"])
FORMAT = click.Choice(["text", "json"])


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="loom")
def cli() -> None:
    """Loom: business records, forms and approvals declared as metadata."""


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--overlays", "overlays", multiple=True, type=click.Path(path_type=str),
              help="A folder or file of site overlays; may be repeated.")  # fmt: skip
@click.option("--lang", type=LANG, default=None, help="Message language (default: LOOM_LANG, else en).")
@click.option("--format", "output", type=FORMAT, default="text", show_default=True)
def validate(paths: tuple[str, ...], overlays: tuple[str, ...], lang: str | None, output: str) -> None:
    """Check app packages (folders or zips) and overlays; without PATH, the builtin apps.

    Exits 0 when everything is valid and 1 with every problem found otherwise.
    """
    lang = lang or default_lang()
    result = validate_paths(paths or [BUILTIN_APPS], overlays)
    if output == "json":
        report = {
            "ok": result.ok,
            "revision": result.catalog.revision if result.catalog else None,
            "problems": [p.as_dict(lang) for p in result.problems],
        }
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        _print_text(result, lang)
    sys.exit(0 if result.ok else 1)


def _print_text(result, lang: str) -> None:
    for problem in result.problems:
        where = click.style(f"{problem.location}:", bold=True)
        pointer = click.style(problem.pointer or "/", fg="cyan")
        click.echo(f"{where} {pointer}: {problem.message(lang)}", err=True)
    if result.ok:
        catalog = result.catalog
        summary = {
            "en": f"valid: {len(catalog.apps)} app(s), {len(catalog.entities)} entities, "
            f"{len(catalog.definitions)} other documents (revision {catalog.revision})",
            "zh": f"校验通过：{len(catalog.apps)} 个应用，{len(catalog.entities)} 个实体，"
            f"{len(catalog.definitions)} 个其他文档（版本 {catalog.revision}）",
        }
        click.echo(click.style("✓ ", fg="green") + summary[lang])
    else:
        count = len(result.problems)
        summary = {"en": f"{count} problem(s) found", "zh": f"发现 {count} 个问题"}
        click.echo(click.style("✗ ", fg="red") + summary[lang], err=True)


@cli.command()
@click.option(
    "--site",
    "site_dir",
    default=".",
    show_default=True,
    type=click.Path(file_okay=False),
    help="The site folder; a default site.yaml is created if it has none.",
)
@click.option("--plan", "show_plan", is_flag=True, help="Print the plan and change nothing (the default).")
@click.option("--apply", "apply_plan", is_flag=True, help="Apply the plan in one transaction.")
@click.option(
    "--purge-retired",
    is_flag=True,
    help="Drop retired columns and tables after copying them to archive tables.",
)
@click.option(
    "--allow-destructive",
    is_flag=True,
    help="Allow narrowing and unsafe type changes after archiving the values they change.",
)
@click.option("--lang", type=LANG, default=None, help="Message language (default: LOOM_LANG, else en).")
@click.option("--format", "output", type=FORMAT, default="text", show_default=True)
def migrate(
    site_dir: str,
    show_plan: bool,
    apply_plan: bool,
    purge_retired: bool,
    allow_destructive: bool,
    lang: str | None,
    output: str,
) -> None:
    """Bring the site's database in line with its metadata: print the plan, or --apply it.

    Fields and entities removed from the metadata are retired (kept with their data) unless
    --purge-retired. Exits 0 on success, 1 when the metadata is invalid, a step is refused
    or a step fails (the database is then unchanged), 2 on usage errors.
    """
    # Imported here so that `loom validate` starts without database drivers.
    from sqlalchemy.exc import SQLAlchemyError

    from loom.errors import LoomError
    from loom.errors import MetadataError
    from loom.platform import migrations
    from loom.platform.runtime import Runtime
    from loom.platform.site import open_site

    if show_plan and apply_plan:
        raise click.UsageError("use either --plan or --apply, not both")
    lang = lang or default_lang()
    try:
        runtime = Runtime.for_site(open_site(site_dir))
        plan = migrations.plan(runtime, purge_retired=purge_retired, allow_destructive=allow_destructive)
    except MetadataError as exc:
        for problem in exc.problems:
            click.echo(f"{problem.location}: {problem.pointer or '/'}: {problem.message(lang)}", err=True)
        sys.exit(1)
    except (LoomError, SQLAlchemyError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    if output == "text":
        click.echo(migrations.render_plan(plan, lang))
    error = str(migrations.MigrationRefused(plan)) if plan.refused else None
    applying = apply_plan and not plan.refused and bool(plan.pending)
    if applying:
        label = {"en": "applying", "zh": "执行中"}[lang]
        try:
            with click.progressbar(length=len(plan.pending), label=label, file=sys.stderr) as bar:
                migrations.apply(plan, runtime.engine, on_step=lambda _step: bar.update(1))
        except migrations.MigrationError as exc:
            error = str(exc)
    if output == "json":
        report = {
            "ok": error is None,
            "applied": applying and error is None,
            "error": error,
            **plan.as_dict(),
        }
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    elif applying and error is None:
        done = {"en": f"applied {len(plan.pending)} step(s)", "zh": f"已执行 {len(plan.pending)} 步"}
        click.echo(click.style("✓ ", fg="green") + done[lang])
    if error is not None:
        click.echo(click.style("✗ ", fg="red") + error, err=True)
        sys.exit(1)


def main() -> None:
    """Entry point of the ``loom`` console script."""
    cli(prog_name="loom")
