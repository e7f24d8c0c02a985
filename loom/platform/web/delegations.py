"""The delegations page (委托审批): who approves for me while I am away, and for whom I approve."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from ..records.errors import RecordError
from ..records.errors import ValidationFailed
from .auth import actor
from .i18n import current_lang
from .portal import services

bp = Blueprint("delegations", __name__)


@bp.get("/delegations")
def index() -> str:
    return _page(MultiDict(), {})


@bp.post("/delegations")
def add() -> Response | tuple[str, int]:
    form = request.form
    data: dict[str, Any] = {
        "delegate_id": int(form["delegate_id"]) if form.get("delegate_id", "").isdigit() else None,
        "starts_on": form.get("starts_on", ""),
        "ends_on": form.get("ends_on", ""),
        "flows": form.getlist("flows") or None,
        "reason": form.get("reason", "").strip() or None,
    }
    try:
        services().delegations.add(data, actor())
    except ValidationFailed as refused:
        lang = current_lang()
        return _page(form, {e.field.split(".")[0]: e.message(lang) for e in refused.errors}), 422
    flash(_("Delegation saved: new approvals will go to the person you chose."), "success")
    return redirect(url_for("web.delegations.index"))


@bp.post("/delegations/<int:delegation_id>/end")
def end(delegation_id: int) -> Response:
    try:
        services().delegations.end(delegation_id, actor())
        flash(_("Delegation ended: new approvals come to you again."), "success")
    except RecordError as refused:
        flash(refused.message(current_lang()), "danger")
    return redirect(url_for("web.delegations.index"))


def _page(form: Any, errors: dict[str, str]) -> str:
    flows = sorted((f"{d.app}.{d.name}", d.label) for d in services().runtime.catalog.of_kind("flow"))
    return render_template(
        "delegations.html",
        items=services().delegations.list_for(actor()),
        flows=flows,
        flow_labels={name: flow_label for name, flow_label in flows},
        form=form,
        errors=errors,
        today=services().records.clock().date().isoformat(),
    )
