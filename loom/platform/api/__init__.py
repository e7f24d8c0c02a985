"""The REST API at ``/api/v1``: records, files, metadata, sign-in and the OpenAPI document."""

from __future__ import annotations

from flask import Blueprint
from flask import request
from flask.blueprints import BlueprintSetupState
from werkzeug.routing import BaseConverter

from .. import limits
from . import auth
from . import automations
from . import delegations
from . import files
from . import flows
from . import handover
from . import meta
from . import metadata
from . import openapi
from . import records
from . import related
from . import reports
from . import search
from . import sharing
from . import views

PUBLIC_ENDPOINTS = frozenset({"api.auth.login", "api.auth.logout", "api.openapi.document"})


# First segments of fixed routes with more than one segment; record routes never start with them.
FIXED_SEGMENTS = (
    "auth", "files", "tasks", "notifications", "delegations", "reports", "metadata", "users", "views"
)  # fmt: skip


class AppSegment(BaseConverter):
    """The first segment of a record route (an app's name): anything but a fixed route's.

    So ``GET /auth/login`` or ``POST /files/7`` is not taken for an app ``auth`` or ``files``:
    a wrong method on a fixed route is 405, and its ``Allow`` (and ``OPTIONS``) lists only
    that route's methods.
    """

    regex = "(?!(?:" + "|".join(FIXED_SEGMENTS) + ")(?:/|$))[^/]+"
    part_isolating = True


def _register_converters(state: BlueprintSetupState) -> None:
    state.app.url_map.converters.setdefault("app_name", AppSegment)


def blueprint() -> Blueprint:
    api = Blueprint("api", __name__, url_prefix="/api/v1")
    api.record_once(_register_converters)
    parts = (auth.bp, meta.bp, files.bp, openapi.bp, flows.bp, delegations.bp, automations.bp, reports.bp)
    for part in (*parts, metadata.bp, handover.bp, search.bp, sharing.bp, views.bp, related.bp, records.bp):
        api.register_blueprint(part)

    @api.before_request
    def check_parameters() -> None:
        """Before anything reads them: a NUL in the login name must not reach the database."""
        limits.check_parameters(request.args)
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            limits.check_parameters(request.form)

    @api.before_request
    def authenticate() -> None:
        auth.load_actor()
        if request.endpoint not in PUBLIC_ENDPOINTS:
            # Who first, then whether the browser meant it: an anonymous write is a 401
            # ("sign in"), not a complaint about a CSRF token it could not have had.
            auth.require_actor()
            auth.check_csrf()

    return api
