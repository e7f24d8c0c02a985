"""``loom user create|set-password|reset-password|deactivate|signout``, ``loom token
create|revoke`` and ``loom explain-access``.

These are the way back when the last admin's password is lost: whoever can run commands
on the server may set a password, so no e-mail round trip is needed.
"""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import NoReturn

import click

from .base import FORMAT
from .base import SITE_OPTION
from .base import aligned_table
from .base import cli
from .base import fail
from .base import fail_record
from .base import open_identity
from .base import open_services


@cli.group()
def user() -> None:
    """Manage users."""


@user.command("create")
@SITE_OPTION
@click.argument("login")
@click.option("--name", help="Display name (default: the login).")
@click.option("--password", help="Asked for when omitted.")
@click.option("--email")
@click.option("--phone")
@click.option("--department", help="Department name; created at the top level if missing.")
@click.option("--manager", help="Login of the user's manager.")
@click.option("--head", is_flag=True, help="Make the user the head of their department.")
@click.option("--role", "roles", multiple=True, help="A role to hold; may be repeated (e.g. --role admin).")
def create_user(site_dir, login, name, password, email, phone, department, manager, head, roles) -> None:
    """Create a user who can sign in with LOGIN and a password."""
    from loom.platform.identity import IdentityError

    identity = open_identity(site_dir)
    if password is None:
        password = click.prompt("password", hide_input=True, confirmation_prompt=True)
    try:
        identity.check_password(password, login)
        with identity.engine.begin() as conn:
            department_id = identity.department_named(conn, department) if department else None
            manager_id = None
            if manager:
                found = identity.user_by_login(conn, manager)
                if found is None:
                    fail(f"no user {manager!r}")
                manager_id = found["id"]
            user_id = identity.create_user(
                conn,
                login,
                name or login,
                password=password,
                email=email,
                phone=phone,
                department_id=department_id,
                manager_id=manager_id,
                roles=roles,
            )
            if head and department_id:
                identity.set_head(conn, department_id, user_id)
    except IdentityError as exc:
        fail(str(exc))
    click.echo(click.style("✓ ", fg="green") + f"user {login} created (id {user_id})")


@user.command("import")
@SITE_OPTION
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "output", type=FORMAT, default="text", show_default=True)
def import_users(site_dir, file, output) -> None:
    """Create the users of FILE (.csv in UTF-8, or .xlsx) in one transaction: any bad row creates none.

    Columns, headed in English or Chinese: login/登录名 (required), name/姓名, email/邮箱,
    phone/手机, department/部门 (created if missing), manager/上级 (a login, of the site or of
    an earlier row), roles/角色 (separated by ; or ,), password/密码 (when empty, one is generated
    and shown once). Every problem is listed with its row and column.
    """
    from loom.platform.identity import IdentityError
    from loom.platform.user_import import ImportRefused
    from loom.platform.user_import import import_users as create_all
    from loom.platform.user_import import read_table

    try:
        table = read_table(file)
        identity = open_identity(site_dir)
        with identity.engine.begin() as conn, _progress(len(table.rows)) as bar:
            created = create_all(identity, conn, table, on_row=lambda: bar.update(1))
    except ImportRefused as exc:
        _refused(exc, output)
    except IdentityError as exc:
        fail(str(exc))
    generated = [(c.login, c.password) for c in created if c.password]
    if output == "json":
        rows = [{"row": c.row, "login": c.login, "id": c.id, "password": c.password} for c in created]
        click.echo(json.dumps({"ok": True, "created": rows}, ensure_ascii=False, indent=2))
        return
    click.echo(click.style("✓ ", fg="green") + f"{len(created)} user(s) created from {file.name}")
    if generated:
        click.echo(aligned_table(("login", "password"), generated))
        click.echo(f"{len(generated)} generated password(s), shown once: hand them over safely", err=True)


# Files longer than this show a progress bar: each user costs a password hash.
PROGRESS_FROM = 20


def _progress(rows: int):
    if rows < PROGRESS_FROM:
        return contextlib.nullcontext(_NoBar())
    return click.progressbar(length=rows, label="users", file=sys.stderr)


class _NoBar:
    def update(self, steps: int) -> None:
        """Nothing to show for a short file."""


def _refused(exc, output: str) -> NoReturn:
    if output == "json":
        problems = [{"row": p.row, "column": p.column, "message": p.message} for p in exc.problems]
        click.echo(json.dumps({"ok": False, "problems": problems}, ensure_ascii=False, indent=2))
    else:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
    fail(str(exc))


def _user_id(identity, conn, login: str) -> int:
    found = identity.user_by_login(conn, login)
    if found is None:
        fail(f"no user {login!r}")
    return found["id"]


@user.command("set-password")
@SITE_OPTION
@click.argument("login")
@click.option("--password", help="Asked for (twice) when omitted, so it stays out of the shell history.")
def set_password(site_dir, login, password) -> None:
    """Set LOGIN's password; every session of LOGIN ends."""
    from loom.platform.identity import IdentityError

    identity = open_identity(site_dir)
    if password is None:
        password = click.prompt("new password", hide_input=True, confirmation_prompt=True)
    try:
        with identity.engine.begin() as conn:
            identity.set_password(conn, _user_id(identity, conn, login), password)
    except IdentityError as exc:
        fail(str(exc))
    click.echo(click.style("✓ ", fg="green") + f"password of {login} set; their sessions have ended")


@user.command("reset-password")
@SITE_OPTION
@click.argument("login")
def reset_password(site_dir, login) -> None:
    """Give LOGIN a new random password, printed once; every session of LOGIN ends."""
    from loom.platform.passwords import random_password

    identity = open_identity(site_dir)
    password = random_password()
    with identity.engine.begin() as conn:
        identity.set_password(conn, _user_id(identity, conn, login), password)
    click.echo(password)
    click.echo(f"new password of {login}, shown once; their sessions have ended", err=True)


@user.command("deactivate")
@SITE_OPTION
@click.argument("login")
def deactivate(site_dir, login) -> None:
    """Stop LOGIN from signing in or using tokens; their sessions end. Records keep their name."""
    identity = open_identity(site_dir)
    with identity.engine.begin() as conn:
        identity.set_active(conn, _user_id(identity, conn, login), False)
    click.echo(click.style("✓ ", fg="green") + f"user {login} deactivated; their sessions have ended")


@user.command("signout")
@SITE_OPTION
@click.argument("login")
def sign_out(site_dir, login) -> None:
    """End every session of LOGIN (in every browser); tokens are revoked with 'loom token revoke'."""
    identity = open_identity(site_dir)
    with identity.engine.begin() as conn:
        ended = identity.sessions.end_all(conn, _user_id(identity, conn, login))
    click.echo(click.style("✓ ", fg="green") + f"{ended} session(s) of {login} ended")


@user.command("handover")
@SITE_OPTION
@click.argument("login")
@click.option("--to", "successor", required=True, help="Login of the user who takes everything over.")
@click.option("--reason", required=True, help="Why, as the records' timelines and audit will show it.")
@click.option("--deactivate", "and_deactivate", is_flag=True, help="Also deactivate LOGIN afterwards.")
def handover(site_dir, login, successor, reason, and_deactivate) -> None:
    """离职交接: hand LOGIN's pending approval tasks and owned records to another user at once."""
    from loom.platform.actor import SYSTEM
    from loom.platform.handover import hand_over
    from loom.platform.records.errors import RecordError

    services = open_services(site_dir)
    identity = services.identity
    with services.runtime.engine.connect() as conn:
        source, target = _user_id(identity, conn, login), _user_id(identity, conn, successor)
    try:
        report = hand_over(services, source, target, SYSTEM, reason)
    except RecordError as exc:
        fail_record(exc)
    if and_deactivate:
        with services.runtime.engine.begin() as conn:
            services.identity.set_active(conn, source, False)
    records = ", ".join(f"{n} {entity}" for entity, n in sorted(report.records.items())) or "no records"
    click.echo(click.style("✓ ", fg="green") + f"{report.tasks} task(s) and {records} handed to {successor}")


@cli.group()
def token() -> None:
    """Manage API tokens."""


@token.command("create")
@SITE_OPTION
@click.argument("login")
@click.option("--name", default="cli", show_default=True, help="What the token is for.")
@click.option("--days", type=click.IntRange(min=0), default=90, show_default=True, help="0: never expires.")
@click.option("--format", "output", type=FORMAT, default="text", show_default=True)
def create_token(site_dir, login, name, days, output) -> None:
    """Create a bearer token for LOGIN; it is shown once and stored only as a hash."""
    identity = open_identity(site_dir)
    with identity.engine.begin() as conn:
        created = identity.create_token(conn, _user_id(identity, conn, login), name, days or None)
    expires = created.expires_at.isoformat() if created.expires_at else None
    if output == "json":
        click.echo(json.dumps({"id": created.id, "token": created.token, "expires_at": expires}))
        return
    click.echo(created.token)
    click.echo(f"token {created.id} for {login}, expires {expires or 'never'}; keep it secret", err=True)


@token.command("revoke")
@SITE_OPTION
@click.argument("token_id", type=int)
def revoke_token(site_dir, token_id) -> None:
    """Revoke a token by its id."""
    identity = open_identity(site_dir)
    with identity.engine.begin() as conn:
        if not identity.revoke_token(conn, token_id):
            fail(f"no active token {token_id}")
    click.echo(click.style("✓ ", fg="green") + f"token {token_id} revoked")


@cli.command("explain-access")
@SITE_OPTION
@click.argument("login")
@click.argument("entity")
@click.argument("record_id", type=int, required=False)
@click.option("--format", "output", type=FORMAT, default="text", show_default=True)
def explain_access(site_dir, login, entity, record_id, output) -> None:
    """Show which rule grants or denies LOGIN each operation on ENTITY (app.entity)."""
    from loom.platform.access_report import explain

    services = open_services(site_dir)
    try:
        report = explain(services, login, entity, record_id)
    except LookupError as exc:
        fail(str(exc))
    if output == "json":
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    click.echo(
        f"{report['user']} {sorted(report['roles'])} on {entity}" + (f" #{record_id}" if record_id else "")
    )
    for line in report["operations"]:
        mark = click.style("✓", fg="green") if line["allowed"] else click.style("✗", fg="red")
        reasons = "; ".join(f"{r['role']} → {r['scope']}" for r in line["reasons"]) or "no grant"
        click.echo(f"  {mark} {line['operation']:<8} {line['scope']:<11} {reasons}{line.get('note', '')}")
    for key in ("hidden", "readonly"):
        if report[key]:
            click.echo(f"  {key}: {', '.join(report[key])}")
