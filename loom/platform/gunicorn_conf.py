"""gunicorn's settings for a Loom site: ``gunicorn -c python:loom.platform.gunicorn_conf
'loom.platform.wsgi:app' --workers 4``.

The master builds the app once (``preload_app``) and forks every worker from it. Building reads
and checks the metadata of every app, about two seconds of CPU for OA and CRM; a forked worker
starts serving in milliseconds instead, whether gunicorn starts it, replaces one that died or
recycles one after ``max_requests``, and the workers share the master's memory pages until they
write to them. What a worker must not take over from the master is set up again after the fork
(``loom.platform.wsgi.serve_here``): its own database connections and its watching threads.
On ``kill -HUP`` the master builds the app again from the site's metadata as it is then (a
migration applied by hand, section 8 of docs/deploy.md) and forks the new workers from that; it
does not load new Python code: upgrading Loom itself takes a restart. Other settings (workers,
bind, timeouts) stay on the command line or in a config of your own.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from loom.errors import MetadataError

os.environ["LOOM_PRELOAD"] = "1"  # read by loom.platform.wsgi as the master imports it
preload_app = True


def post_fork(server: Any, worker: Any) -> None:
    from .wsgi import serve_here

    serve_here(forked=True)


def on_reload(server: Any) -> None:
    """HUP: the new workers get an app built from the metadata as it is now. Metadata that no
    longer loads keeps the running app, as a worker keeps serving a revision it cannot build."""
    from . import wsgi

    try:
        fresh = wsgi.build()
    except MetadataError as exc:
        log = logging.getLogger("loom.revisions")
        log.error(
            "the site's metadata cannot be loaded (%d problem(s)): still serving it as it was",
            len(exc.problems),
        )
        for problem in exc.problems:
            log.error("metadata problem: %s", problem.render())
        return
    wsgi.app.extensions["loom"].runtime.engine.dispose()  # the master's own connections
    wsgi.app = server.app.callable = fresh
