"""The home page: each installed app with the entities the user may read and its reports."""

from __future__ import annotations

from flask import Blueprint
from flask import render_template

from .portal import readable
from .portal import services
from .reports import visible_by_app

bp = Blueprint("launcher", __name__)


@bp.get("/")
def home() -> str:
    catalog = services().runtime.catalog
    reports = visible_by_app()
    apps = []
    for app in catalog.apps.values():
        entities = [e for e in catalog.entities.values() if e.app == app.name and not e.child and readable(e)]
        if entities or reports.get(app.name):
            apps.append((app, entities, reports.get(app.name, [])))
    return render_template("launcher.html", apps=apps)
