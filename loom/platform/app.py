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
from flask.json.provider import DefaultJSONProvider
from flask.sessions import SecureCookieSessionInterface
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from loom.admin import init_admin
from loom.admin import inline_handlers
from loom.designer import init_app as init_designer
from loom.errors import MetadataError

from . import headers
from .api import blueprint as api_blueprint
from .api import problems
from .api.auth import CrossSite
from .api.auth import CsrfFailed
from .api.i18n import text
from .limits import JSON_DEPTH
from .limits import BadInput
from .limits import check_json
from .records.errors import FieldError
from .records.errors import RecordError
from .revisions.follow import Following
from .runtime import Runtime
from .services import Services
from .site import Site
from .site import open_site
from .site import readable_by_others
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
    for path in readable_by_others(site) if site else ():
        log.warning("%s is readable by other users of this machine; run: chmod o-rwx %s", path, path)
    app = _build(site, runtime, config, clock)
    if site is not None:  # a site's processes follow its metadata revisions (revisions/follow.py)
        settings = {**(config or {}), "SECRET_KEY": app.config["SECRET_KEY"]}
        app.wsgi_app = Following(  # type: ignore[method-assign]
            app, site, lambda newer: _build(site, newer, settings, clock)
        )
    return app


def _build(
    site: Site | None,
    runtime: Runtime,
    config: Mapping[str, Any] | None,
    clock: Callable[[], dt.datetime] | None,
) -> Flask:
    app = Flask("loom.platform")
    app.json = CheckedJSON(app)
    services = Services.build(runtime, clock=clock)
    app.extensions["loom"] = services
    secret = (config or {}).get("SECRET_KEY") or (site.settings.secret_key if site else "")
    if not secret:
        log.warning("no secret_key in site.yaml: sessions will not survive a restart")
        secret = secrets.token_urlsafe(32)
    settings = site.settings if site else None
    app.config.update(
        SECRET_KEY=secret,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.session_cookie_secure if settings else None,
        PERMANENT_SESSION_LIFETIME=services.identity.sessions.limits.lifetime,
        MAX_CONTENT_LENGTH=services.files.max_bytes + 1024 * 1024,
    )
    app.config.update(config or {})
    app.session_interface = SessionCookie()
    if settings and settings.trusted_proxies:
        hops = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    app.register_blueprint(api_blueprint())
    init_portal(app)
    init_designer(app)
    console = init_admin(app)
    _install_request_ids(app)
    headers.init_app(app, inline_handlers(console))
    _install_error_handlers(app)
    return app


class SessionCookie(SecureCookieSessionInterface):
    """Flask's signed cookie, marked ``Secure`` when the request came over https unless
    ``session_cookie_secure`` says otherwise (behind a proxy, set ``trusted_proxies`` so
    that its ``X-Forwarded-Proto`` is believed)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        chosen = app.config["SESSION_COOKIE_SECURE"]
        return request.is_secure if chosen is None else bool(chosen)


class CheckedJSON(DefaultJSONProvider):
    """Request bodies are parsed here: too deep a body or text no column can hold is a 400."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            data = super().loads(s, **kwargs)
        except RecursionError:
            raise BadInput([FieldError("body", "too_deep", {"max": JSON_DEPTH})]) from None
        check_json(data)
        return data


def _install_request_ids(app: Flask) -> None:
    @app.before_request
    def assign() -> None:
        sent = request.headers.get("X-Request-Id", "")
        g.request_id = sent if sent.isalnum() and len(sent) <= 64 else uuid.uuid4().hex[:16]

    @app.after_request
    def echo(response: Response) -> Response:
        response.headers["X-Request-Id"] = g.get("request_id", "")
        # Which metadata revision answered: clients (the designer) see when they are behind.
        response.headers["X-Loom-Revision"] = str(app.extensions["loom"].runtime.revision)
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
    app.register_error_handler(
        CrossSite,
        lambda _: problems.problem(
            403,
            text({"en": "Requests from another site are refused here.", "zh": "拒绝来自其他网站的请求。"}),
            kind="cross-site",
        ),
    )
    app.register_error_handler(Exception, problems.from_unexpected)
