"""Every process on the current metadata revision, without a restart.

The web side: ``Following`` sits in front of the Flask app. Each request first reads the
current revision's id (one indexed read); when another process has published a newer one,
the whole app (API, portal, console and their generated routes) is built once for it on the
same database engine and swapped in. A request already running finishes on the app it
started with; the old app is dropped when none uses it. Approvals already started keep the
flow definition stored with them.
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
