"""The home page (the user's dashboard, or the app launcher when no dashboard is theirs) and
the app launcher: each installed app with the entities the user may read and its reports."""

from __future__ import annotations

from flask import Blueprint
from flask import render_template

from .auth import actor
from .dashboards import cards_of
from .dashboards import dashboard_of
from .i18n import label
from .portal import readable
from .portal import services
from .reports import visible_by_app

bp = Blueprint("launcher", __name__)


@bp.get("/")
def home() -> str:
    dashboard = dashboard_of(actor())
    if dashboard is None:
        return apps()
    return render_template(
        "dashboard.html",
        title=label(dashboard.label),
        dashboard=dashboard,
        cards=cards_of(dashboard, actor()),
    )


@bp.get("/apps")
def apps() -> str:
    catalog = services().runtime.catalog
    reports = visible_by_app()
    found = []
    for app in catalog.apps.values():
        entities = [e for e in catalog.entities.values() if e.app == app.name and not e.child and readable(e)]
        if entities or reports.get(app.name):
            everyday = [e for e in entities if e.category != "setup"]
            setup = [e for e in entities if e.category == "setup"]
            found.append((app, everyday, setup, reports.get(app.name, [])))
    return render_template("launcher.html", apps=found)
