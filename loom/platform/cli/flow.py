"""``loom flow simulate``: which path and approvers a record would get, writing nothing."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .base import FORMAT
from .base import SITE_OPTION
from .base import cli
from .base import fail
from .base import fail_record
from .base import open_services


@cli.group()
def flow() -> None:
    """Check approval flows."""


@flow.command("simulate")
@SITE_OPTION
@click.argument("entity")
@click.option(
    "--record",
    "record_file",
    required=True,
    type=click.Path(dir_okay=False, exists=True),
    help="A YAML or JSON file with the record's field values.",
)
@click.option("--as", "login", required=True, help="The login of the user who submits.")
@click.option("--choose", multiple=True, metavar="NODE=LOGIN[,LOGIN]", help="Approvers the initiator picks.")
@click.option("--format", "output", type=FORMAT, default="text", show_default=True)
def simulate_command(site_dir, entity, record_file, login, choose, output) -> None:
    """Show the path and approvers ENTITY's flow would give the record, approving every step."""
    import yaml

    from loom.platform.flows.simulate import SimulationError
    from loom.platform.flows.simulate import simulate
    from loom.platform.records.errors import RecordError

    try:
        values = yaml.safe_load(Path(record_file).read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        fail(f"{record_file}: invalid YAML: {exc}")
    if not isinstance(values, dict):
        fail(f"{record_file}: expected a mapping of field values")
    chosen = {}
    for item in choose:
        node, _, logins = item.partition("=")
        chosen[node] = [x for x in logins.split(",") if x]
    services = open_services(site_dir)
    try:
        report = simulate(services, entity, values, login, chosen)
    except SimulationError as exc:
        fail(str(exc))
    except RecordError as exc:
        fail_record(exc)
    if output == "json":
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    click.echo(f"{report['flow']} for {login}: {report['outcome']}")
    for number, step in enumerate(report["steps"], 1):
        who = ", ".join(step["users"]) or "-"
        click.echo(f"  {number:>2}. {step['node']:<20} {step['kind']:<8} {who}")
        for note in step["notes"]:
            click.echo(f"      {note}")


@flow.command("timeouts")
@SITE_OPTION
def timeouts_command(site_dir) -> None:
    """Send due reminders and apply due node timeouts once (`loom serve` does it every minute)."""
    from loom.platform.flows.timeouts import run_timeouts

    counts = run_timeouts(open_services(site_dir).flows)
    click.echo(", ".join(f"{count} {what}" for what, count in counts.items()))
