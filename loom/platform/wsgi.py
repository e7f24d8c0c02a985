"""The WSGI entry point for production servers: ``gunicorn 'loom.platform.wsgi:app'``, or with
Loom's gunicorn settings, which build the app once in the master and fork ready workers from it:
``gunicorn -c python:loom.platform.gunicorn_conf 'loom.platform.wsgi:app'`` (docs/deploy.md §4).

The site is the folder named by ``LOOM_SITE`` (default: the working folder); migrate it
with ``loom migrate --apply`` before starting the workers. The web processes run no
scheduled work: ``loom worker`` does (docs/deploy.md §4). Each web process checks every few
minutes that some runner still claims runs and logs a warning when none does, and every second
whether a newer metadata revision was published (docs/lifecycle.md §4).
"""

from __future__ import annotations

import logging
import os

from flask import Flask

from .app import create_app
from .jobs.runner import watch_runners
from .revisions.follow import watch
from .site import open_site

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def build() -> Flask:
    """The app of the site in ``LOOM_SITE``, from its metadata as it is now."""
    return create_app(open_site(os.environ.get("LOOM_SITE", "."), create=False))


app = build()


def serve_here(forked: bool = False) -> None:
    """Start this serving process's watchers. A worker ``forked`` from a master that built the
    app first drops the pooled connections it inherited without closing them: they are the
    master's sockets, and two processes talking on one socket corrupt each other's answers."""
    services = app.extensions["loom"]
    if forked:
        services.runtime.engine.dispose(close=False)
    watch_runners(services)
    watch(app)  # a published revision is built before the next request needs it


if not os.environ.get("LOOM_PRELOAD"):  # a preloading master serves nothing: its workers watch
    serve_here()
