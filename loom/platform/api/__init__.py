"""The REST API at ``/api/v1``: records, files, metadata, sign-in and the OpenAPI document."""

from __future__ import annotations

from flask import Blueprint
from flask import request

from . import auth
from . import automations
from . import files
from . import flows
from . import meta
from . import openapi
from . import records
from . import reports
from . import sharing

PUBLIC_ENDPOINTS = frozenset({"api.auth.login", "api.auth.logout", "api.openapi.document"})


def blueprint() -> Blueprint:
    api = Blueprint("api", __name__, url_prefix="/api/v1")
    parts = (
        auth.bp,
        meta.bp,
        files.bp,
        openapi.bp,
        flows.bp,
        automations.bp,
        sharing.bp,
        reports.bp,
        records.bp,
    )
    for part in parts:
        api.register_blueprint(part)

    @api.before_request
    def authenticate() -> None:
        auth.load_actor()
        if request.endpoint not in PUBLIC_ENDPOINTS:
            auth.check_csrf()

    return api
