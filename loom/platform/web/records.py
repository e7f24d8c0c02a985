"""The record page (fields, child rows, attachments, history, approval) and what can be
done from it: flow operations, automation buttons and deleting.

Which flow buttons appear follows the flow service's rules (an open task of mine,
my own running approval, a record that may be submitted); the service checks them
again, so a stale page can at worst show a button whose use is refused politely.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from loom.metadata.catalog import Entity
from loom.metadata.catalog import Label
from loom.metadata.catalog import thaw

from ..actor import Actor
from ..flows.engine import walk
from ..records.errors import RecordError
from ..records.errors import ValidationFailed
from .auth import actor
from .forms import form_layout
from .history import history
from .i18n import current_lang
from .layout import evaluate_state
from .portal import entity_or_404
from .portal import may
from .portal import record_id_or_404
from .portal import services
from .references import References
from .related import related_tabs
from .summary import Reader
from .summary import headline
from .summary import summary_text
from .timeline import people_timeline
from .timeline import users_of

bp = Blueprint("records", __name__)
SUBMITTABLE = frozenset({None, "draft", "rejected", "withdrawn", "returned"})
TASK_OPERATIONS = ("approve", "reject", "return", "transfer")
OPERATIONS = frozenset({"submit", *TASK_OPERATIONS, "withdraw", "urge", "comment"})


@bp.get("/<app>/<entity>/<int:record_id>")
def show(app: str, entity: str, record_id: int) -> str:
    found = entity_or_404(app, entity)
    record = services().records.get(found.qualified_name, record_id_or_404(record_id), actor())
    layout = form_layout(found)
    locked = services().records.access.locked(actor(), found)
    state = evaluate_state(layout, found, dict(record), actor(), services().records.clock(), locked)
    summary = services().flows.latest_summary(found.qualified_name, record_id) if found.has_flow else None
    lock = services().records.lock(found.qualified_name, record, actor())
    entries = history(services(), found, record_id, actor())
    refs = References(services(), actor()).load(found, [record])
    refs.want("user", [e.user_id for e in entries])
    reader = Reader.of(services(), current_lang())
    nodes = node_labels(summary["flow"] if summary else None)
    if summary:
        refs.want("user", [summary["initiator"], *users_of(summary)])
    shown = {k: v for k, v in record.items() if k not in state.fields or state.fields[k].visible}
    return render_template(
        "record.html",
        entity=found,
        record=record,
        layout=layout,
        state=state,
        refs=refs,
        history=entries,
        summary=summary,
        line=summary_text(found, shown, refs, reader),
        asked=headline(found, refs.name("user", summary["initiator"]), reader) if summary else "",
        steps=people_timeline(summary, nodes, refs, reader) if summary else [],
        actions=flow_actions(found, record, summary, actor()),
        buttons=_buttons(found, record_id),
        related=related_tabs(found, record_id),
        children={
            item.field.name: services().runtime.catalog.entity(item.field.entity or "")
            for item in layout.items()
            if item.field.type == "table"
        },
        may_edit=bool(lock.editable) if lock is not None else may(found, "write"),
        may_delete=lock is None and may(found, "delete"),
    )


def flow_actions(
    entity: Entity, record: dict[str, Any], summary: dict[str, Any] | None, who: Actor
) -> list[str]:
    """The flow operations this user may use on the record now."""
    if not entity.has_flow:
        return []
    if summary is None or summary["status"] != "running":
        submittable = record.get("flow_status") in SUBMITTABLE and may(entity, "submit")
        return ["submit"] if submittable else []
    tasks = summary["tasks"]
    actions: list[str] = []
    if any(t["assignee_id"] == who.id and t["status"] == "pending" for t in tasks):
        actions += TASK_OPERATIONS
    if summary["initiator"] == who.id:
        actions += ("withdraw", "urge")
    if summary["initiator"] == who.id or any(t["assignee_id"] == who.id for t in tasks):
        actions.append("comment")
    return actions


def node_labels(flow_name: str | None) -> dict[str, Label]:
    """Each node's label from the flow definition, for the timeline and the inbox."""
    if flow_name is None:
        return {}
    flow = services().runtime.catalog.definitions.get(("flow", flow_name))
    if flow is None:
        return {}
    return {
        node["name"]: Label.of(node.get("label"), node["name"]) for node in walk(thaw(flow.spec)["nodes"])
    }


@bp.post("/<app>/<entity>/<int:record_id>/flow/<operation>")
def operate(app: str, entity: str, record_id: int, operation: str) -> Response:
    found = entity_or_404(app, entity)
    record_id = record_id_or_404(record_id)
    if operation not in OPERATIONS:
        raise NotFound()
    comment = request.form.get("comment", "").strip() or None
    flows = services().flows
    try:
        if operation == "submit":
            flows.submit(found.qualified_name, record_id, actor(), comment=comment)
        else:
            payload: dict[str, Any] = {"comment": comment}
            if operation == "transfer":
                target = request.form.get("to", "")
                payload["to"] = int(target) if target.isdigit() else target
            flows.act(found.qualified_name, record_id, actor(), operation, payload)
        flash(_("Done."), "success")
    except RecordError as error:
        _flash_error(error)
    return redirect(url_for("web.records.show", app=app, entity=entity, record_id=record_id))


@bp.post("/<app>/<entity>/<int:record_id>/buttons/<name>")
def press(app: str, entity: str, record_id: int, name: str) -> Response:
    found = entity_or_404(app, entity)
    automations = getattr(services(), "automations", None)
    if automations is None:
        raise NotFound()
    params = {k.removeprefix("param-"): v for k, v in request.form.items() if k.startswith("param-")}
    try:
        after = automations.press(found.qualified_name, record_id_or_404(record_id), name, params, actor())
        flash(_("Done."), "success")
        if after is None:  # handed to someone else: the record is no longer the user's to see
            return redirect(url_for("web.lists.index", app=app, entity=entity))
    except RecordError as error:
        _flash_error(error)
    return redirect(url_for("web.records.show", app=app, entity=entity, record_id=record_id))


@bp.post("/<app>/<entity>/<int:record_id>/delete")
def delete(app: str, entity: str, record_id: int) -> Response:
    found = entity_or_404(app, entity)
    version = request.form.get("version", "")
    try:
        services().records.delete(
            found.qualified_name,
            record_id_or_404(record_id),
            actor(),
            version=int(version) if version.isdigit() else None,
        )
    except RecordError as error:
        _flash_error(error)
        return redirect(url_for("web.records.show", app=app, entity=entity, record_id=record_id))
    flash(_("Deleted."), "success")
    return redirect(url_for("web.lists.index", app=app, entity=entity))


def _buttons(entity: Entity, record_id: int) -> list[dict[str, Any]]:
    """The record's automation buttons this user may press now (when automations are installed)."""
    automations = getattr(services(), "automations", None)
    if automations is None:
        return []
    return list(automations.buttons(entity.qualified_name, record_id, actor()))


def _flash_error(error: RecordError) -> None:
    lang = current_lang()
    if isinstance(error, ValidationFailed):
        for item in error.errors:
            flash(item.message(lang), "danger")
    else:
        flash(error.message(lang), "danger")
