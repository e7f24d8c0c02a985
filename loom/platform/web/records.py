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
from loom.metadata.catalog import Field
from loom.metadata.catalog import Label
from loom.metadata.catalog import thaw

from ..actor import Actor
from ..flows.inbox import Inbox
from ..flows.nodes import walk
from ..flows.notes import NOTED
from ..flows.revocation import DECISIONS
from ..records.errors import RecordError
from ..records.errors import ValidationFailed
from .auth import actor
from .forms import SUBMITTABLE
from .forms import column_totals
from .forms import form_layout
from .forms import posted_fields
from .history import history
from .i18n import current_lang
from .i18n import label
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
from .timeline import files_of
from .timeline import people_timeline
from .timeline import users_of
from .widgets import is_computed

bp = Blueprint("records", __name__)
TASK_OPERATIONS = ("approve", "reject", "return", "transfer")
OPERATIONS = frozenset(
    {"submit", *TASK_OPERATIONS, "withdraw", "urge", "comment", "revoke", "add_approver", "cc"}
)


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
        refs.want("file", files_of(summary))
    shown = {k: v for k, v in record.items() if k not in state.fields or state.fields[k].visible}
    actions = flow_actions(found, record, summary, actor())
    filling = step_fields(found, summary, actor()) if "approve" in actions else []
    return render_template(
        "record.html",
        entity=found,
        record=record,
        layout=layout,
        state=state,
        refs=refs,
        history=entries,
        summary=summary,
        line=summary_text(found, shown, refs, reader, summary["flow"] if summary else None),
        asked=headline(found, refs.name("user", summary["initiator"]), reader) if summary else "",
        steps=people_timeline(summary, nodes, refs, reader) if summary else [],
        actions=actions,
        step_fields=filling,
        needs_comment=comment_required(summary, actor()),
        signing=signature_required(summary, actor()),
        chain=chain_people(summary, refs, actor()),
        return_targets=return_targets(summary, actor()),
        revoking=summary is not None and summary["status"] == "revoking",
        buttons=_buttons(found, record_id),
        related=related_tabs(found, record_id),
        children={
            f.name: services().runtime.catalog.entity(f.entity or "")
            for f in [*(item.field for item in layout.items()), *filling]
            if f.type == "table"
        },
        totals=column_totals(found, state.record),
        may_edit=bool(lock.editable) if lock is not None else may(found, "write"),
        may_delete=lock is None and may(found, "delete"),
    )


def flow_actions(
    entity: Entity, record: dict[str, Any], summary: dict[str, Any] | None, who: Actor
) -> list[str]:
    """The flow operations this user may use on the record now: on a running approval, those of
    its tasks and its initiator; on an approved one, revoke for its initiator where the flow allows
    it; on a revocation, agree or refuse for its approver."""
    if not entity.has_flow:
        return []
    if summary is not None and summary["status"] == "revoking":
        deciding = any(t["assignee_id"] == who.id and t["status"] == "pending" for t in summary["tasks"])
        return sorted(DECISIONS) if deciding else []
    if summary is None or summary["status"] != "running":
        submittable = record.get("flow_status") in SUBMITTABLE and may(entity, "submit")
        if summary is not None and summary["status"] == "approved" and summary["initiator"] == who.id:
            revocations, now = services().flows.revocations, services().records.clock()
            return ["revoke"] if revocations.allows(summary["flow"], summary["finished_at"], now) else []
        return ["submit"] if submittable else []
    tasks = summary["tasks"]
    actions: list[str] = []
    if any(t["assignee_id"] == who.id and t["status"] == "pending" for t in tasks):
        actions += (*TASK_OPERATIONS, "add_approver")
    if summary["initiator"] == who.id:
        actions += ("withdraw", "urge")
    if summary["initiator"] == who.id or any(t["assignee_id"] == who.id for t in tasks):
        actions += ("cc", "comment")
    return actions


def return_targets(summary: dict[str, Any] | None, who: Actor) -> list[tuple[str, str]]:
    """Where the user's open step may send the approval back (退回): the initiator, and the
    earlier steps its ``return_to`` names that have been approved."""
    mine = _my_nodes(summary, who)
    if not mine or summary is None:
        return []
    flow = services().runtime.catalog.definition("flow", summary["flow"])
    nodes = {n["name"]: n for n in walk(thaw(flow.spec)["nodes"])}
    approved = {t["node"] for t in summary["tasks"] if t["status"] == "approved"}
    allowed = [name for node in mine for name in node.get("return_to", ["initiator"])]
    return [
        (name, _("Initiator") if name == "initiator" else label(Label.of(nodes[name].get("label"), name)))
        for name in dict.fromkeys(allowed)
        if name == "initiator" or name in approved
    ]


def comment_required(summary: dict[str, Any] | None, who: Actor) -> frozenset[str]:
    """The operations whose comment the user's open step requires (``comment_required``), so
    the page asks for it before posting rather than after."""
    return frozenset(op for n in _my_nodes(summary, who) for op in n.get("comment_required", []))


def step_fields(entity: Entity, summary: dict[str, Any] | None, who: Actor) -> list[Field]:
    """The fields the user's open step lets them fill as they approve (its ``editable``: the
    cashier's payment date, finance's approved amounts on the lines), offered in the approval
    panel; the flow service refuses any other."""
    hidden = services().records.access.hidden(who, entity)
    names = dict.fromkeys(name for n in _my_nodes(summary, who) for name in n.get("editable", []))
    return [
        entity.field(name)
        for name in names
        if entity.has_field(name) and name not in hidden and not is_computed(entity.field(name))
    ]


def _my_nodes(summary: dict[str, Any] | None, who: Actor) -> list[dict[str, Any]]:
    """The flow nodes of the user's open tasks in a running approval."""
    if summary is None or summary["status"] != "running":
        return []
    mine = {t["node"] for t in summary["tasks"] if t["assignee_id"] == who.id and t["status"] == "pending"}
    flow = services().runtime.catalog.definitions.get(("flow", summary["flow"]))
    if not mine or flow is None:
        return []
    return [n for n in walk(thaw(flow.spec)["nodes"]) if n["name"] in mine]


def signature_required(summary: dict[str, Any] | None, who: Actor) -> bool:
    """Whether the user's open step asks for a handwritten signature, so the page shows the pad."""
    if summary is None or summary["status"] != "running":
        return False
    mine = {t["node"] for t in summary["tasks"] if t["assignee_id"] == who.id and t["status"] == "pending"}
    flow = services().runtime.catalog.definitions.get(("flow", summary["flow"]))
    if not mine or flow is None:
        return False
    return any(n.get("signature") == "required" for n in walk(thaw(flow.spec)["nodes"]) if n["name"] in mine)


def chain_people(summary: dict[str, Any] | None, refs: References, who: Actor) -> list[tuple[int, str]]:
    """Whom a comment may @: the approval's initiator, approvers and copied people, not oneself."""
    if summary is None:
        return []
    people = [summary["initiator"], *(t["assignee_id"] for t in summary["tasks"])]
    return [(u, refs.name("user", u)) for u in dict.fromkeys(people) if u is not None and u != who.id]


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


def _said(field: str, code: str) -> str | None:
    """A refused operation's problem as the page's own hint says it: a step that wants a reason,
    posted without one (before the page's script ran, or with scripts off), reads as the hint
    beside the comment box, not as a bare "required"."""
    return _("Please give a reason in the comment.") if (field, code) == ("comment", "required") else None


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
            payload.update(_parameters(operation))
            if operation == "approve":
                payload.update(_step_values(found, record_id))
            payload.update(_notes(operation))
            flows.act(found.qualified_name, record_id, actor(), operation, payload)
    except RecordError as error:
        _flash_error(error)
        return redirect(url_for("web.records.show", app=app, entity=entity, record_id=record_id))
    following = _next_task() if operation in TASK_OPERATIONS else None
    if following is None:
        flash(_("Done."), "success")
        return redirect(url_for("web.records.show", app=app, entity=entity, record_id=record_id))
    flash(_("Done. Here is your next task."), "success")
    app_name, entity_name = following["entity"].split(".", 1)
    return redirect(
        url_for("web.records.show", app=app_name, entity=entity_name, record_id=following["record_id"])
    )


def _parameters(operation: str) -> dict[str, Any]:
    """What an operation takes besides the comment, from its panel on the page: whom to
    transfer to, which step to return to, whom to add (and where) or to copy."""
    form = request.form
    if operation == "transfer":
        target = form.get("to", "")
        return {"to": int(target) if target.isdigit() else target}
    if operation == "return" and form.get("return_to"):
        return {"to": form["return_to"]}
    if operation == "add_approver":
        users = [int(u) for u in form.getlist("add_users") if u.isdigit()]
        return {"users": users, "position": form.get("position", "after")}
    if operation == "cc":
        return {"users": [int(u) for u in form.getlist("cc_users") if u.isdigit()]}
    return {}


def _step_values(entity: Entity, record_id: int) -> dict[str, Any]:
    """What the approver filled in of their step's fields in the approval panel (which says so
    with ``_step``), as the approval's ``values``."""
    if request.form.get("_step") != "1":
        return {}
    summary = services().flows.latest_summary(entity.qualified_name, record_id)
    values, errors = posted_fields(step_fields(entity, summary, actor()), request.form)
    if errors:
        raise ValidationFailed(errors)
    return {"values": values} if values else {}


def _notes(operation: str) -> dict[str, Any]:
    """The comment's files and @mentions, and approving's signature (uploaded by the page)."""
    form = request.form
    if operation not in NOTED:
        return {}
    notes: dict[str, Any] = {
        "attachments": [int(f) for f in form.getlist("attachments") if f.isdigit()],
        "mentions": [int(u) for u in form.getlist("mentions") if u.isdigit()],
    }
    if operation == "approve" and form.get("signature", "").isdigit():
        notes["signature"] = int(form["signature"])
    return notes


def _next_task() -> dict[str, Any] | None:
    """The newest task still waiting for the user: after deciding one, the next opens (DingTalk)."""
    waiting = Inbox(services().runtime).items(actor(), "todo", page_size=1)["items"]
    return waiting[0] if waiting else None


@bp.post("/<app>/<entity>/<int:record_id>/buttons/<name>")
def press(app: str, entity: str, record_id: int, name: str) -> Response:
    found = entity_or_404(app, entity)
    automations = getattr(services(), "automations", None)
    if automations is None:
        raise NotFound()
    params = _button_params(name)
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


def _button_params(name: str) -> dict[str, Any]:
    """A button's posted parameters as its declared types read them: a check box is a boolean
    (its hidden "false" comes first, the box's "true" last), a person or a record is an id."""
    automation = services().automations.registry.named(name)
    specs = {p["name"]: p for p in (automation.options.get("params", ()) if automation else ())}
    params: dict[str, Any] = {}
    for key in (k for k in request.form if k.startswith("param-")):
        param, value = key.removeprefix("param-"), request.form.getlist(key)[-1]
        kind = specs.get(param, {}).get("type")
        if kind == "boolean":
            params[param] = value == "true"
        elif kind in ("user", "link") and value.isdigit():
            params[param] = int(value)
        else:
            params[param] = value
    return params


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
            flash(_said(item.field, item.code) or item.message(lang), "danger")
    else:
        flash(error.message(lang), "danger")
