"""``loom migrate``: plan and apply the database changes the metadata asks for."""

from __future__ import annotations

import json
import sys

import click

from loom.metadata.problems import default_lang

from .base import FORMAT
from .base import LANG
from .base import cli
from .base import install_seed_data


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
        site = open_site(site_dir)
        click.echo(f"database: {site.settings.database_description()}", err=True)
        runtime = Runtime.for_site(site)
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
    seeds = None
    if apply_plan and error is None:
        from loom.platform.records.service import RecordService

        seeds = install_seed_data(RecordService(runtime), lang, summary=False)
    if output == "json":
        report = {
            "ok": error is None,
            "applied": applying and error is None,
            "error": error,
            "seeds": seeds.as_dict() if seeds else None,
            **plan.as_dict(),
        }
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    elif applying and error is None:
        done = {"en": f"applied {len(plan.pending)} step(s)", "zh": f"已执行 {len(plan.pending)} 步"}
        click.echo(click.style("✓ ", fg="green") + done[lang])
    if seeds is not None and output == "text":
        click.echo(click.style("✓ ", fg="green") + seeds.summary(lang))
    if error is not None:
        click.echo(click.style("✗ ", fg="red") + error, err=True)
        sys.exit(1)
