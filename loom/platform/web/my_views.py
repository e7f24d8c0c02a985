"""保存为我的视图: the list page's forms that save, rename and delete the user's own views.

A saved view's tab opens the list with the parameters it keeps (lists.py); these forms only
change the views, through the personal views service, and go back to the list.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint
from flask import flash
from flask import redirect
from flask import request
from flask import url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ..records.errors import RecordError
from ..records.errors import ValidationFailed
from .auth import actor
from .i18n import current_lang
from .portal import entity_or_404
from .portal import services

bp = Blueprint("my_views", __name__)


@bp.post("/<app>/<entity>/my-views")
def save(app: str, entity: str) -> Response:
    found = entity_or_404(app, entity)
    form = request.form
    data = {
        "entity": found.qualified_name,
        "label": form.get("label", ""),
        "params": _json(form.get("params"), {}),
        "columns": _json(form.get("columns"), []),
    }
    try:
        saved = services().personal_views.add(data, actor())
    except RecordError as refused:
        flash(_refusal(refused), "danger")
        return redirect(_back(app, entity, data["params"]))
    flash(_("Saved as your view “%(name)s”.", name=saved["label"]), "success")
    return redirect(_back(app, entity, {**saved["params"], "mine": saved["id"]}))


@bp.post("/<app>/<entity>/my-views/<int:view_id>/rename")
def rename(app: str, entity: str, view_id: int) -> Response:
    entity_or_404(app, entity)
    try:
        saved = services().personal_views.rename(view_id, {"label": request.form.get("label", "")}, actor())
    except RecordError as refused:
        flash(_refusal(refused), "danger")
        return redirect(url_for("web.lists.index", app=app, entity=entity))
    return redirect(_back(app, entity, {**saved["params"], "mine": saved["id"]}))


@bp.post("/<app>/<entity>/my-views/<int:view_id>/delete")
def delete(app: str, entity: str, view_id: int) -> Response:
    entity_or_404(app, entity)
    try:
        services().personal_views.delete(view_id, actor())
        flash(_("Your view was deleted."), "success")
    except RecordError as refused:
        flash(_refusal(refused), "danger")
    return redirect(url_for("web.lists.index", app=app, entity=entity))


def _json(text: str | None, default: Any) -> Any:
    """The form's JSON value; a malformed one is the service's type error, not a 400."""
    try:
        return json.loads(text) if text else default
    except ValueError:
        return None


def _back(app: str, entity: str, params: Any) -> str:
    args = params if isinstance(params, dict) else {}
    return url_for("web.lists.index", app=app, entity=entity, **args)


def _refusal(refused: RecordError) -> str:
    lang = current_lang()
    if isinstance(refused, ValidationFailed):
        return "; ".join(e.message(lang) for e in refused.errors)
    return refused.message(lang)
