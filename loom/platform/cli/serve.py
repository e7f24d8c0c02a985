"""``loom serve``: migrate the site's database (safe steps only), install seed data, then serve it."""

from __future__ import annotations

import sys

import click

from loom.metadata.problems import default_lang

from .base import SITE_OPTION
from .base import cli
from .base import fail
from .base import install_seed_data
from .base import open_services
from .demo import ensure_demo


@cli.command()
@SITE_OPTION
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--demo", "with_demo", is_flag=True, help="Fill the site with the demo company first (once).")
def serve(site_dir: str, host: str, port: int, with_demo: bool) -> None:
    """Serve the site (OA and CRM by default) at http://HOST:PORT.

    With --demo, a site without the demo company gets it first (`loom demo`), and the demo
    logins are printed.

    Safe schema changes are applied first; a destructive one stops the server from
    starting until `loom migrate --apply` is run with the flag it needs. For production,
    run `gunicorn 'loom.platform.wsgi:app'` instead (see docs/deploy.md).
    """
    from werkzeug.serving import run_simple

    from loom.platform import migrations
    from loom.platform.app import create_app
    from loom.platform.jobs.queue import queue_name
    from loom.platform.jobs.queue import redis_url
    from loom.platform.jobs.queue import rq_dispatch
    from loom.platform.jobs.runner import Scheduler
    from loom.platform.jobs.runner import start_background
    from loom.platform.revisions.follow import watch

    services = open_services(site_dir, create=True, migrated=False)
    plan = migrations.plan(services.runtime)
    if plan.refused:
        fail(str(migrations.MigrationRefused(plan)))
    if plan.pending:
        with click.progressbar(length=len(plan.pending), label="migrating", file=sys.stderr) as bar:
            migrations.apply(plan, services.runtime.engine, on_step=lambda _step: bar.update(1))
    install_seed_data(services.records, default_lang())
    _first_admin(services)
    if with_demo:
        ensure_demo(services, default_lang())
    app = create_app(services.runtime.site, runtime=services.runtime)
    # Scheduled automations, reminders and node timeouts: run here, or by `loom worker` via Redis.
    url = redis_url()
    site = services.runtime.site
    dispatch = rq_dispatch(url, str(site.folder), queue_name(site.settings.database_url)) if url else None
    start_background(Scheduler(app.extensions["loom"], dispatch))
    watch(app)  # a published metadata revision is built before a request needs it
    click.echo(f"Loom is serving {services.runtime.site.folder} at http://{host}:{port}/ (Ctrl+C stops it)")
    run_simple(host, port, app, threaded=True, use_reloader=False)


def _first_admin(services) -> None:
    """On a site without users, create ``admin`` with a random password, shown once."""
    import secrets

    from sqlalchemy import func
    from sqlalchemy import select

    identity = services.identity
    with services.runtime.engine.begin() as conn:
        if conn.execute(select(func.count()).select_from(identity.users)).scalar_one():
            return
        password = secrets.token_urlsafe(12)
        identity.create_user(conn, "admin", "Administrator", password=password, roles=["admin"])
    click.echo(click.style(f"First start: sign in as admin / {password} (shown only now)", fg="yellow"))
