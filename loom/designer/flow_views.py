"""The approval-flow page of the designer: ``/designer/flows/<app>/<entity>`` (审批流程).

Every post carries the draft chain (a hidden input, flow.py) and the properties panel of the
selected step; the page answers with the chain changed. 检查 and 发布 go through the same
helpers as the form pages (views.py). 试算 runs the flow engine on sample values in a
rolled-back transaction (loom/platform/flows/simulate.py) for the flow as published.

A flow of a form made on the site is written in its own document; the flow of an installed
app's form (OA, CRM) becomes the designer's overlay on it (flow.overlay), so that the package
itself is never edited and its upgrades keep the chain.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any

from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from loom.metadata import Problem
from loom.metadata.catalog import Definition
from loom.metadata.catalog import Entity
from loom.metadata.catalog import thaw
from loom.platform.flows.simulate import preview
from loom.platform.migrations import Plan
from loom.platform.records.errors import RecordError
from loom.platform.revisions import publish as pipeline
from loom.platform.revisions import store
from loom.platform.services import Services
from loom.platform.web.i18n import current_lang
from loom.platform.web.i18n import label
from loom.platform.web.portal import entity_or_404
from loom.platform.web.portal import services

from . import conditions
from . import design as designs
from . import flow as flows
from . import wording
from .change import layer_document
from .views import _check
from .views import _publish_documents
from .views import _site
from .views import bp

Found = tuple[str, dict[str, Any]]  # a document of the layer: its path and its content
SAMPLE_TYPES = ("integer", "money", "decimal", "percent", "string", "text", "select", "boolean", "date")


@bp.route("/flows/<app>/<entity>", methods=["GET", "POST"])
def flow(app: str, entity: str) -> Response | str | tuple[str, int]:
    """The entity's approval flow as a chain of steps; edit, check, publish and try it."""
    form = entity_or_404(app, entity)
    layer = store.current(services().runtime.engine).documents
    own = layer_document(layer, app, "entity", lambda d: d.get("name") == entity)
    earlier = layer_document(layer, app, "flow", lambda d: d.get("entity") in (entity, f"{app}.{entity}"))
    installed = None if own else _installed_flow(form)
    target = own or installed  # what a publish writes: the form's own document, or an overlay
    shown: dict[str, Any] = {
        "own": own is not None or installed is not None,
        "installed": installed,
        "published": _published(form),
    }
    if request.method == "GET":
        spec = earlier[1] if earlier else thaw(installed.spec) if installed else {}
        nodes = flows.loads(flows.dumps(spec.get("nodes", [])))
        parent = str(store.current(services().runtime.engine).id)
        return _page(form, nodes, "", parent=parent, just_published="published" in request.args, **shown)
    nodes = flows.loads(request.form.get("draft", ""))
    selected = request.form.get("selected", "")
    parent = request.form.get("parent", "")
    flows.apply_properties(nodes, selected, request.form, form, current_lang())
    rows = conditions.rows_of(request.form)
    action = request.form.get("action", "refresh")
    if action.startswith("select:"):
        selected, rows = action.removeprefix("select:"), []
    elif action == "cond-add":
        rows.append(conditions.Row())
    elif action.startswith("cond-remove:"):
        at = action.removeprefix("cond-remove:")
        rows = [r for i, r in enumerate(rows) if str(i) != at]
        lane = flows.at(nodes, selected)
        if lane is not None and "nodes" in lane:
            lane["when"] = conditions.to_cel(rows, request.form.get("c-join", "and"), form)
    elif action.startswith("set-remove:"):
        step = flows.at(nodes, selected)
        if step is not None and "action" in step:
            step["action"].get("set", {}).pop(action.removeprefix("set-remove:"), None)
    elif action == "simulate":
        tried = _try(form, _draft_services(form, nodes, target, earlier))
        return _page(form, nodes, selected, parent=parent, rows=rows, tried=tried, **shown)
    elif action in ("check", "publish") and target is not None:
        return _checked(form, nodes, selected, parent, target, earlier, action, shown)
    elif action not in ("refresh", "check", "publish"):
        nodes, moved = flows.edit(nodes, action)
        if moved is not None:
            selected, rows = moved, []
    return _page(form, nodes, selected, parent=parent, rows=rows, **shown)


def _checked(
    form: Entity,
    nodes: flows.Nodes,
    selected: str,
    parent: str,
    own: Found | Definition,
    earlier: tuple[str, dict[str, Any]] | None,
    action: str,
    shown: dict[str, Any],
) -> Response | str | tuple[str, int]:
    render = partial(_page, form, nodes, selected, **shown)
    found = flows.mistakes(nodes, form)
    if found:
        return render(parent=parent, mistakes=found), 422
    documents = _documents(form, nodes, own, earlier)
    located = partial(_located, lang=current_lang())
    if action == "check":
        return _check(documents, render, located, partial(_plan, form=form, nodes=nodes, own=own))
    message = _("Approval flow of %(name)s", name=label(form.label))
    done = url_for("designer.flow", app=form.app, entity=form.name, published=1)
    return _publish_documents(documents, parent, message, render, located, done)


def _installed_flow(form: Entity) -> Definition | None:
    """The flow of an installed app's form, as published (the designer's overlay included)."""
    return next(iter(services().runtime.catalog.flows_of(form.qualified_name)), None)


def _documents(
    form: Entity, nodes: flows.Nodes, own: Found | Definition, earlier: Found | None
) -> dict[str, str]:
    """The flow's document and, when its grants do not let users submit yet, the form's; for an
    installed app's flow (``own`` is its definition), the designer's overlay on it."""
    if isinstance(own, Definition):
        return {flows.overlay_path(own): designs.dump(flows.overlay(own, nodes))}
    path = earlier[0] if earlier else f"apps/{form.app}/flows/{form.name}_approval.yaml"
    documents = {path: designs.dump(flows.document(form, nodes, earlier[1] if earlier else None))}
    entity_path, entity_doc = own
    if _with_submit(entity_doc) != entity_doc:
        documents[entity_path] = designs.dump(_with_submit(entity_doc))
    return documents


def _with_submit(document: dict[str, Any]) -> dict[str, Any]:
    """The designer's grant to every user (create, read and write their own) also lets them
    submit their own records for approval."""
    grants = [
        {**g, "submit": "own"} if g.get("role") == "employee" and "submit" not in g else g
        for g in document.get("permissions", [])
    ]
    return {**document, "permissions": grants}


def _located(found: Iterable[Problem], lang: str) -> dict[str, str]:
    shown: dict[str, list[str]] = {}
    for problem in found:
        shown.setdefault(flows.path_of(problem), []).append(wording.plain(problem.message(lang), lang))
    return {key: "；".join(texts) for key, texts in shown.items()}


def _plan(planned: Plan, form: Entity, nodes: flows.Nodes, own: Found | Definition) -> list[str]:
    said = [
        _("The approval flow of %(name)s becomes:", name=label(form.label)),
        flows.chain_words(nodes, current_lang()),
    ]
    if isinstance(own, Definition):
        said.append(_("The app's own flow is kept unchanged beside it: updates of the app keep these steps."))
    elif _with_submit(own[1]) != own[1]:
        said.append(_("Everyone may submit their own %(name)s for approval.", name=label(form.label)))
    said.append(_("Approvals already under way go on with the flow they started with."))
    return said


def _published(form: Entity) -> bool:
    catalog = services().runtime.catalog
    return any(d.entity == form.qualified_name for d in catalog.of_kind("flow"))


def _draft_services(
    form: Entity, nodes: flows.Nodes, own: Found | Definition | None, earlier: Found | None
) -> Services | None:
    """Services on the catalog the page's chain would publish, when it changes no table (the
    form has had a flow before); None when the chain is not ready or needs publishing first."""
    if own is None or not nodes or flows.mistakes(nodes, form):
        return None
    checked = pipeline.draft(_site(), services().runtime.engine, _documents(form, nodes, own, earlier))
    if checked.problems or checked.runtime is None or checked.plan is None or checked.plan.pending:
        return None
    return Services.build(checked.runtime, services().files.folder, services().records.clock)


def _try(form: Entity, draft: Services | None) -> dict[str, Any]:
    """试算: the path and the approvers for the sample values and initiator the page posted, on
    the chain as the page shows it when it can be (``draft``), else on the published flow."""
    values: dict[str, Any] = {}
    for f in form.fields:
        raw = request.form.get(f"s-{f.name}", "").strip()
        if f.type == "boolean":
            values[f.name] = raw == "on"
        elif raw and f.type in SAMPLE_TYPES:
            values[f.name] = raw
    people = draft or services()
    initiator = request.form.get("s-initiator", "")
    with people.runtime.engine.connect() as conn:
        actor = people.identity.actor(conn, int(initiator)) if initiator.isdigit() else None
    if actor is None:
        return {"sample": values, "error": _("Choose who submits.")}
    try:
        result = preview(people, form.qualified_name, values, actor)
    except RecordError as exc:
        return {"sample": values, "initiator": initiator, "error": _error_words(exc)}
    return {"sample": values, "initiator": initiator, "result": result, "draft": draft is not None}


def _error_words(exc: RecordError) -> str:
    lang = current_lang()
    errors = getattr(exc, "errors", None)
    if errors:
        return "；".join(e.message(lang) for e in errors)
    return exc.message(lang)


def _users() -> list[tuple[int, str, str]]:
    users = services().identity.users
    with services().runtime.engine.connect() as conn:
        rows = conn.execute(
            select(users.c.id, users.c.login, users.c.name)
            .where(users.c.active.is_(True))
            .order_by(users.c.id)
        ).all()
    return [(row.id, row.login, row.name) for row in rows]


def _roles() -> dict[str, str]:
    builtin = {"admin": _("Administrators"), "employee": _("Everyone")}
    declared = {d.name: label(d.label) for d in services().runtime.catalog.of_kind("role")}
    return {**declared, **builtin}


def _page(form: Entity, nodes: flows.Nodes, selected: str, **shown: Any) -> str:
    chosen = flows.at(nodes, selected)
    rows = shown.pop("rows", [])
    lang = current_lang()
    readable = None
    if chosen is not None and "nodes" in chosen:
        readable = conditions.read(chosen.get("when", ""), form)
        if readable is not None and rows:
            readable = (rows, request.form.get("c-join", readable[1]))
        if readable is not None and not readable[0]:
            readable = ([conditions.Row()], readable[1])
    return render_template(
        "designer/flow.html",
        form=form,
        nodes=nodes,
        draft=flows.dumps(nodes),
        selected=selected if chosen is not None else "",
        chosen=chosen,
        readable=readable,
        describe=partial(_describe, form=form),
        condition_words=partial(_condition_words, form=form),
        condition_fields=conditions.fields_of(form),
        operators=conditions.OPERATORS,
        family=conditions.family,
        sample_fields=[f for f in form.fields if f.type in SAMPLE_TYPES and not f.hidden and not f.readonly],
        user_fields=[f for f in form.fields if f.type == "user"],
        step_fields=[f for f in form.fields if not f.hidden],
        hours=flows.hours,
        users=_users(),
        roles=_roles(),
        kind_of=flows.kind_of,
        flows_words=flows,
        lane_labels={n["name"]: flows.caption(n.get("label"), lang, n["name"]) for n in flows.walk(nodes)},
        caption=lambda value, fallback="": flows.caption(value, lang, fallback),
        settable=flows.settable(form),
        set_rows=_set_rows(chosen, form),
        branch_kind=partial(flows.branch_kind, nodes),
        approver_kind=flows.approver_kind,
        mistakes=shown.pop("mistakes", {}),
        tried=shown.pop("tried", None),
        default_message=_("Approval flow of %(name)s", name=label(form.label)),
        **shown,
    )


def _set_rows(chosen: dict[str, Any] | None, form: Entity) -> list[tuple[str, str]] | None:
    """The action panel's rows for the selected action step (one empty row to start with), or
    None when its values were written by hand (shown as they are and kept)."""
    if chosen is None or "action" not in chosen:
        return []
    rows = flows.read_assignments(chosen["action"].get("set", {}), form)
    if rows is not None and request.form.get("action") == "set-add":
        rows.append(("", ""))
    return rows if rows else ([("", "")] if rows is not None else None)


def _describe(node: dict[str, Any], form: Entity) -> str:
    """Who acts at a step, in words: 直属上级（第 1 级）, 角色：法务, 指定成员：王小明…; what an
    action step sets: 设置 状态 为 已盖章."""
    if "action" in node:
        return _action_words(node["action"], form)
    spec = node.get("approve", node.get("cc", {}))
    kind = flows.approver_kind(spec)
    if kind == "manager":
        said = _("Manager, level %(num)d", num=spec["manager"])
    elif kind == "role":
        said = _("Role: %(name)s", name=_roles().get(spec["role"], spec["role"]))
    elif kind == "users":
        names = {login: name for _, login, name in _users()}
        said = _("Members: %(names)s", names="、".join(names.get(u, u) for u in spec["users"] if u))
    elif kind == "field":
        fields = {f.name: label(f.label) for f in form.fields}
        said = _("The person in %(name)s", name=fields.get(spec["field"], spec["field"]))
    else:
        said = str(flows.APPROVER_WORDS[kind])
    if "approve" in node and kind != "manager":
        said += " · " + str(flows.MODE_WORDS[node.get("mode", "all")])
    return said


def _action_words(action: dict[str, Any], form: Entity) -> str:
    fields = {f.name: label(f.label) for f in form.fields}
    said = [
        _("Set %(field)s to %(value)s", field=fields.get(name, name), value=_value_words(name, cel, form))
        for name, cel in action.get("set", {}).items()
    ]
    if "create" in action:
        said.append(_("Create a record"))
    return "；".join(said) or _("Nothing set yet")


def _value_words(name: str, cel: str, form: Entity) -> str:
    rows = flows.read_assignments({name: cel}, form)
    if rows is None:
        return cel
    value = rows[0][1]
    f = form.field(name)
    if f.type == "boolean":
        return _("Yes") if value == "true" else _("No")
    if f.type == "select":
        return next((label(o.label) for o in f.options if o.key == value), value)
    return value or _("Empty")


def _condition_words(lane: dict[str, Any], form: Entity) -> str:
    """A lane's condition in words (份数 大于 20), or that it is a condition written by hand."""
    if "else" in lane:
        return _("When no other condition holds")
    read = conditions.read(lane.get("when", ""), form)
    if read is None:
        return _("A condition written by hand")
    rows, join = read
    if not rows:
        return _("No condition set yet")
    fields = {f.name: f for f in form.fields}
    parts = []
    for row in rows:
        f = fields[row.field]
        caption = conditions.OPERATORS[conditions.family(f) or "text"][row.op][1]
        parts.append(f"{label(f.label)} {caption} {row.value}".strip())
    return (" " + (_("and") if join == "and" else _("or")) + " ").join(parts)
