"""The Flask application factory: one site's runtime, services, API and web pages.

Everything per-process lives in ``app.extensions["loom"]``; nothing that matters is kept
between requests, so any number of processes can serve one site behind a load balancer.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import uuid
from collections.abc import Callable
from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask import Response
from flask import g
from flask import request
from werkzeug.exceptions import HTTPException

from loom.admin import init_admin
from loom.errors import MetadataError

from .api import blueprint as api_blueprint
from .api import problems
from .api.auth import CsrfFailed
from .api.i18n import text
from .records.errors import RecordError
from .runtime import Runtime
from .services import Services
from .site import Site
from .site import open_site
from .web import init_app as init_portal

log = logging.getLogger("loom")


def create_app(
    site: Site | None = None,
    *,
    runtime: Runtime | None = None,
    config: Mapping[str, Any] | None = None,
    clock: Callable[[], dt.datetime] | None = None,
) -> Flask:
    """Build the app for ``site`` (the current folder's by default), or for a given runtime.

    ``clock`` replaces the site's local time (tests run on a fixed day, whatever the machine's).
    """
    if runtime is None:
        site = site or open_site()
        log.info("site %s, database %s", site.folder, site.settings.database_description())
        try:
            runtime = Runtime.for_site(site)
        except MetadataError as exc:
            # Every problem with its place, as `loom validate` prints them, not just a count.
            for problem in exc.problems:
                log.error("metadata problem: %s", problem.render())
            raise
    site = site or runtime.site
    app = Flask("loom.platform")
    services = Services.build(runtime, clock=clock)
    app.extensions["loom"] = services
    secret = (config or {}).get("SECRET_KEY") or (site.settings.secret_key if site else "")
    if not secret:
        log.warning("no secret_key in site.yaml: sessions will not survive a restart")
        secret = secrets.token_urlsafe(32)
    app.config.update(
        SECRET_KEY=secret,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=services.files.max_bytes + 1024 * 1024,
    )
    app.config.update(config or {})
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.register_blueprint(api_blueprint())
    init_portal(app)
    init_admin(app)
    _install_request_ids(app)
    _install_error_handlers(app)
    return app


def _install_request_ids(app: Flask) -> None:
    @app.before_request
    def assign() -> None:
        sent = request.headers.get("X-Request-Id", "")
        g.request_id = sent if sent.isalnum() and len(sent) <= 64 else uuid.uuid4().hex[:16]

    @app.after_request
    def echo(response: Response) -> Response:
        response.headers["X-Request-Id"] = g.get("request_id", "")
        return response


def _install_error_handlers(app: Flask) -> None:
    app.register_error_handler(RecordError, problems.from_record_error)
    app.register_error_handler(HTTPException, problems.from_http_error)
    app.register_error_handler(
        CsrfFailed,
        lambda _: problems.problem(
            403,
            text(
                {"en": "Missing or wrong CSRF token (send X-CSRF-Token).", "zh": "缺少或错误的 CSRF 令牌。"}
            ),
            kind="csrf",
        ),
    )
    app.register_error_handler(Exception, problems.from_unexpected)
