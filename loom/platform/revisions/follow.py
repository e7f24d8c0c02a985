"""Every process on the current metadata revision, without a restart.

The web side: ``Following`` sits in front of the Flask app. Each request first reads the
current revision's id (one indexed read); when another process has published a newer one,
the whole app (API, portal, console and their generated routes) is built once for it on the
same database engine and swapped in. A request already running finishes on the app it
started with; the old app is dropped when none uses it. Approvals already started keep the
flow definition stored with them.

Building takes a second or two on OA and CRM. Serving processes (gunicorn workers, ``loom
serve``) also run ``watch``: a thread that looks every second, so the new app is usually built
before a request needs it; the per-request check still guarantees the next request's revision.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from collections.abc import Iterable
from typing import TYPE_CHECKING
from typing import Any

from loom.errors import MetadataError

from ..runtime import Runtime
from ..site import Site
from . import store

if TYPE_CHECKING:
    from flask import Flask

log = logging.getLogger("loom.revisions")
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class Following:
    """A WSGI app that serves each request with the Flask app of the current revision."""

    def __init__(self, outer: Flask, site: Site, build: Callable[[Runtime], Flask]) -> None:
        services = outer.extensions["loom"]
        self.outer = outer
        self.site = site
        self.build = build
        self.runtime: Runtime = services.runtime
        self.serving: tuple[int, WSGIApp] = (self.runtime.revision, outer.wsgi_app)
        self.failed: int | None = None  # a revision that could not be built: not retried per request
        self.lock = threading.Lock()
        self.head = store.HeadReader(self.runtime.engine)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        return self.current()(environ, start_response)

    def current(self) -> WSGIApp:
        revision, app = self.serving
        head = self.head()
        if head in (revision, self.failed):
            return app
        with self.lock:  # one build per process; requests arriving meanwhile wait for it
            if self.serving[0] != head and self.failed != head:
                self._switch(head)
        return self.serving[1]

    def _switch(self, head: int) -> None:
        try:
            runtime = Runtime.for_site(self.site, self.runtime.engine)
            app = self.build(runtime)
        except MetadataError as exc:  # a package on disk broke it: keep serving what works
            self.failed = head
            log.error(
                "revision %s cannot be served (%d problem(s)); still on %s",
                head,
                len(exc.problems),
                self.serving[0],
            )
            for problem in exc.problems:
                log.error("metadata problem: %s", problem.render())
            return
        log.info("now serving metadata revision %s (was %s)", runtime.revision, self.serving[0])
        self.outer.extensions["loom"] = app.extensions["loom"]
        self.serving = (runtime.revision, app.wsgi_app)


def watch(app: Flask, every: float = 1.0, stop: threading.Event | None = None) -> threading.Thread | None:
    """Build the app of a newly published revision in the background, every ``every`` seconds
    until ``stop`` is set; None for an app that does not follow a site's revisions."""
    following = app.wsgi_app
    if not isinstance(following, Following):
        return None
    stop = stop or threading.Event()

    def loop() -> None:
        while not stop.wait(every):
            try:
                following.current()
            except Exception:  # the database is away for a moment: the requests will say so
                log.exception("the current metadata revision could not be read")

    thread = threading.Thread(target=loop, name="loom-revision-watch", daemon=True)
    thread.start()
    return thread
