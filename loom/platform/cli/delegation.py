"""``loom delegation add|list|end``: who approves for whom while someone is away (委托)."""

from __future__ import annotations

import json

import click

from .base import FORMAT
from .base import SITE_OPTION
from .base import aligned_table
from .base import cli
from .base import fail
from .base import fail_record
from .base import open_services

COLUMNS = ("id", "user", "delegate", "from", "until", "flows", "state")


@cli.group()
def delegation() -> None:
    """Manage approval delegations."""


@delegation.command("add")
@SITE_OPTION
@click.argument("login")
@click.option("--to", "delegate", required=True, help="Login of the user who approves instead.")
@click.option("--from", "starts_on", required=True, metavar="YYYY-MM-DD", help="First day (site's zone).")
@click.option("--until", "ends_on", required=True, metavar="YYYY-MM-DD", help="Last day, inclusive.")
@click.option("--flow", "flows", multiple=True, help="Only this flow (app.flow); may be repeated.")
@click.option("--reason", help="Why, as the delegate and the audit log will see it.")
@click.option("--format", "output", type=FORMAT, default="text", show_default=True)
def add(site_dir, login, delegate, starts_on, ends_on, flows, reason, output) -> None:
    """Send LOGIN's new approval tasks to another user from one day to another."""
    from loom.platform.actor import SYSTEM
    from loom.platform.records.errors import RecordError

    services = open_services(site_dir)
    data = {
        "user_id": _user_id(services, login),
        "delegate_id": _user_id(services, delegate),
        "starts_on": starts_on,
        "ends_on": ends_on,
        "flows": list(flows) or None,
        "reason": reason,
    }
    try:
        created = services.delegations.add(data, SYSTEM)
    except RecordError as exc:
        fail_record(exc)
    _show([created], output)


@delegation.command("list")
@SITE_OPTION
@click.argument("login", required=False)
@click.option("--current", is_flag=True, help="Only those running today or later.")
@click.option("--format", "output", type=FORMAT, default="text", show_default=True)
def list_command(site_dir, login, current, output) -> None:
    """List delegations, of LOGIN or of everyone."""
    from loom.platform.actor import SYSTEM

    services = open_services(site_dir)
    user_id = _user_id(services, login) if login else None
    _show(services.delegations.list_for(SYSTEM, user_id=user_id, current=current), output)


@delegation.command("end")
@SITE_OPTION
@click.argument("delegation_id", type=click.IntRange(min=1))
def end(site_dir, delegation_id) -> None:
    """End a delegation now: new tasks go to its user again."""
    from loom.platform.actor import SYSTEM
    from loom.platform.records.errors import RecordError

    services = open_services(site_dir)
    try:
        ended = services.delegations.end(delegation_id, SYSTEM)
    except RecordError:
        fail(f"no delegation {delegation_id}")
    click.echo(click.style("✓ ", fg="green") + f"delegation {ended['id']} ended")


def _user_id(services, login: str) -> int:
    with services.runtime.engine.connect() as conn:
        found = services.identity.user_by_login(conn, login)
    if found is None:
        fail(f"no user {login!r}")
    return found["id"]


def _show(items: list[dict], output: str) -> None:
    """One aligned line per delegation for people, or JSON for scripts."""
    from loom.platform.records.audit import jsonable

    if output == "json":
        click.echo(json.dumps(jsonable(items), ensure_ascii=False, default=str))
        return
    rows = [
        (
            str(item["id"]),
            item["user_name"],
            item["delegate_name"],
            item["starts_on"].isoformat(),
            item["ends_on"].isoformat(),
            ", ".join(item["flows"] or ["*"]),
            item["state"],
        )
        for item in items
    ]
    click.echo(aligned_table(COLUMNS, rows))
