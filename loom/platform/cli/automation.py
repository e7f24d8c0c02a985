"""``loom automation``: list automations and run a scheduled one now; ``loom recompute``: rollups."""

from __future__ import annotations

import json
import sys

import click

from .base import FORMAT
from .base import SITE_OPTION
from .base import cli
from .base import fail
from .base import open_services


@cli.group()
def automation() -> None:
    """Inspect and run automations."""


@automation.command("list")
@SITE_OPTION
@click.option("--format", "output", type=FORMAT, default="text", show_default=True)
def list_command(site_dir: str, output: str) -> None:
    """Every enabled automation with its trigger and target."""
    registry = open_services(site_dir).automations.registry
    rows = [
        {"name": a.name, "trigger": a.trigger, "target": a.target, "schedule": a.options.get("cron")}
        for a in sorted(registry.all(), key=lambda a: a.name)
    ]
    if output == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    width = max((len(r["name"]) for r in rows), default=4)
    for row in rows:
        when = f"{row['trigger']} {row['target']}" + (f"  ({row['schedule']})" if row["schedule"] else "")
        click.echo(f"{click.style(row['name'].ljust(width), bold=True)}  {when}")


@automation.command("run")
@SITE_OPTION
@click.argument("name")
@click.option("--dry-run", is_flag=True, help="Show what would change, then undo it.")
@click.option("--format", "output", type=FORMAT, default="text", show_default=True)
def run_command(site_dir: str, name: str, dry_run: bool, output: str) -> None:
    """Run the scheduled automation NAME now over the records it matches."""
    from loom.platform.records.errors import NotFound

    services = open_services(site_dir)
    try:
        result = services.automations.run_schedule(name, dry_run=dry_run)
    except NotFound:
        known = ", ".join(a.name for a in services.automations.registry.of_kind("schedule")) or "none"
        fail(f"no scheduled automation named {name!r}; scheduled ones: {known}")
    if output == "json":
        report = {**result.counts(), "dry_run": dry_run, "errors": result.errors, "changes": result.changes}
        click.echo(json.dumps(report, ensure_ascii=False, indent=2, default=str))
        return
    verb = "would change" if dry_run else "changed"
    counts = f"{result.matched} matched, {result.changed} {verb}, {result.failed} failed"
    click.echo(f"{click.style(result.automation, bold=True)}: {counts}")
    for change in result.changes:
        fields = ", ".join(f"{k}: {v['before']} → {v['after']}" for k, v in change["changes"].items())
        click.echo(f"  #{change['id']:<8} {fields}")
    for error in result.errors:
        click.echo(click.style(f"  #{error['id']:<8} {error['error']}", fg="red"), err=True)
    if result.failed:
        sys.exit(1)


@cli.command()
@SITE_OPTION
@click.argument("field", required=False, metavar="[ENTITY.FIELD]")
def recompute(site_dir: str, field: str | None) -> None:
    """Rebuild rollup fields from their related records (all of them, or app.entity.field)."""
    from sqlalchemy import func
    from sqlalchemy import select

    services = open_services(site_dir)
    rollups = services.records.rollups
    found = list(rollups.fields_of(field or ""))
    if not found:
        fail(f"no rollup field {field!r}" if field else "the site has no rollup fields")
    for parent, rollup in found:
        table = services.runtime.schema.of(parent).table
        with services.runtime.engine.connect() as conn:
            total = conn.scalar(select(func.count()).select_from(table))
        label = f"{parent}.{rollup.name}"
        with click.progressbar(length=total or 0, label=label, file=sys.stderr) as bar:
            done = rollups.recompute(parent, rollup, progress=bar.update)
        click.echo(f"{label}: {done} record(s) recomputed")
