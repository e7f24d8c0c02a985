"""The end-user portal at ``/``: server-rendered pages generated from the Catalog.

Jinja templates with htmx for the parts that change as the user works (form conditions,
computed values, reference pickers) and Bootstrap for layout, both served from
``static/vendor``: no Node build step. Every read and write goes through the site's
services as the signed-in user, so permissions hold exactly as in the REST API.
"""

from __future__ import annotations

from flask import Blueprint
from flask import Flask

from . import auth
from . import board
from . import calendar
from . import chain
from . import delegations
from . import errors
from . import forms
from . import inbox
from . import launcher
from . import lists
from . import me
from . import my_views
from . import notifications
from . import records
from . import reports
from . import search
from . import settings
from .i18n import init_babel
from .portal import install_template_helpers


def init_app(app: Flask) -> None:
    """Register the portal's pages, static files, translations and template helpers."""
    web = Blueprint(
        "web", __name__, template_folder="templates", static_folder="static", static_url_path="/assets"
    )
    parts = (auth.bp, launcher.bp, inbox.bp, delegations.bp, search.bp, reports.bp, forms.bp, chain.bp)
    mine = (me.bp, settings.bp, my_views.bp, notifications.bp)
    for part in (*parts, *mine, board.bp, calendar.bp, lists.bp, records.bp):
        web.register_blueprint(part)
    web.before_request(auth.guard)
    errors.install(web)
    app.register_blueprint(web)
    init_babel(app)
    install_template_helpers(app)
