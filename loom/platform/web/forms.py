"""Form pages: create and edit a record, the live form state, and the reference pickers.

A post is parsed by the field widgets and saved through the records service, which checks
the form's conditions (a field ``required_when`` the record says so) for every path. When
anything is wrong the same page comes back with every posted value in place and each
error under its input, so nothing typed is lost.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from typing import Any

from flask import Blueprint
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import NotFound

from loom.metadata.catalog import Entity
from loom.metadata.catalog import Field

from ..database import reading
from ..records import logic
from ..records.errors import FieldError
from ..records.errors import RecordError
from ..records.errors import ValidationFailed
from ..records.locks import lock_refusal
from ..records.schemas import input_fields
from .auth import actor
from .chosen import chosen_steps
from .chosen import posted_chosen
from .i18n import current_lang
from .layout import FormState
from .layout import Layout
from .layout import evaluate_state
from .layout import layout_of
from .portal import entity_or_404
from .portal import error_messages
from .portal import may
from .portal import record_id_or_404
from .portal import services
from .portal import site_zone
from .references import References
from .references import search_people
from .references import search_records
from .references import target_of
from .widgets import BadJson
from .widgets import as_text
from .widgets import bare_title
from .widgets import is_computed
from .widgets import parse_field

bp = Blueprint("forms", __name__)
PICKABLE = frozenset({"link", "many", "user", "department"})
SUBMITTABLE = frozenset({None, "draft", "rejected", "withdrawn", "returned", "revoked"})  # 提交 from
ROW = re.compile(r"^([a-z][a-z0-9_]*)-(\d{1,4})-")


# -- pages ------------------------------------------------------------------------------------


@bp.route("/<app>/<entity>/new", methods=["GET", "POST"])
def create(app: str, entity: str) -> ResponseReturnValue:
    found = entity_or_404(app, entity)
    services().records.access.require(actor(), found, "create")
    if request.method == "GET":
        return _page(found, {**_defaults(found), **_prefilled(found)}, None, [])
    return _save(found, None)


@bp.route("/<app>/<entity>/<int:record_id>/edit", methods=["GET", "POST"])
def edit(app: str, entity: str, record_id: int) -> ResponseReturnValue:
    found = entity_or_404(app, entity)
    existing = services().records.get(found.qualified_name, record_id_or_404(record_id), actor())
    lock = services().records.lock(found.qualified_name, existing, actor())
    if request.method == "GET" and lock is not None and not lock.editable:
        # Nothing here may change (an approved record): say so on the record page, as a save would.
        flash(lock_refusal(lock).message(current_lang()), "danger")
        return redirect(url_for("web.records.show", app=app, entity=entity, record_id=record_id))
    if request.method == "GET":
        return _page(found, existing, existing, [])
    return _save(found, existing)


@bp.post("/<app>/<entity>/form-state")
def state(app: str, entity: str) -> str:
    """The form's conditions and computed values for what is typed so far (htmx, as the user types)."""
    found = entity_or_404(app, entity)
    existing = existing_for_state(found)
    layout = form_layout(found)
    values, _errors = posted_values(found, layout, request.form)
    current = _state(found, layout, values, existing)
    data = state_json(found, current, computed_cells(found, request.form))
    return render_template("partials/form_state.html", state_data=data)


@bp.get("/pick/<app>/<entity>/<field>")
def pick(app: str, entity: str, field: str) -> str:
    """Choices for a reference field: records of the linked entity the user may read, or people."""
    found = services().runtime.catalog.entities.get(f"{app}.{entity}")
    if found is None or not found.has_field(field) or found.field(field).type not in PICKABLE:
        raise NotFound()
    reference = found.field(field)
    target = target_of(reference)
    text = request.args.get("q", "")
    if target in ("user", "department"):
        return _choices(search_people(services(), target, text))
    offered = _link_filter(found, reference) if reference.filter is not None else None
    try:
        return _choices(search_records(services(), target, text, actor(), offered))
    except RecordError:  # the user may not read the linked entity: nothing to offer
        return _choices([])


@bp.get("/pick/records/<app>/<entity>")
def records(app: str, entity: str) -> str:
    """Records of an entity the user may read, by its search: a button's link parameter."""
    found = entity_or_404(app, entity)
    try:
        return _choices(search_records(services(), found.qualified_name, request.args.get("q", ""), actor()))
    except RecordError:
        return _choices([])


@bp.get("/pick/<any(user, department):target>")
def people(target: str) -> str:
    """Choices of users or departments (the transfer of an approval task picks a user; a step
    whose approvers the initiator chooses among a role offers only its holders)."""
    role = request.args.get("role") or None
    return _choices(search_people(services(), target, request.args.get("q", ""), role))


def _link_filter(entity: Entity, reference: Field) -> Callable[[Mapping[str, Any]], bool]:
    """The link's ``filter`` over the form as typed so far (the picker sends the whole form),
    so the picker offers only what saving will accept."""
    if entity.child:  # a child row's filter sees the row, which the picker does not send
        return lambda _row: True
    values, _errors = posted_values(entity, form_layout(entity), request.args)
    record = {k: logic.cel_value(v) for k, v in typed_record(entity, values).items()}
    linked = services().runtime.catalog.entity(reference.entity or "")
    now = services().records.clock()
    rule = reference.filter
    if rule is None:
        return lambda _row: True

    def offered(row: Mapping[str, Any]) -> bool:
        names = logic.variables(linked, row, actor(), now)
        names["record"] = record
        return logic.evaluate(rule, names) is not False

    return offered


def _choices(choices: list[tuple[int, str]]) -> str:
    return render_template("partials/pick_results.html", choices=choices, owner=request.args.get("for", ""))


# -- reading a post ---------------------------------------------------------------------------


def posted_values(
    entity: Entity, layout: Layout, form: MultiDict[str, str]
) -> tuple[dict[str, Any], list[FieldError]]:
    """The layout's input values as posted (child rows renumbered from 0), and parse errors."""
    return posted_fields([item.field for item in layout.items()], form)


def posted_fields(
    fields: Iterable[Field], form: MultiDict[str, str]
) -> tuple[dict[str, Any], list[FieldError]]:
    """The posted values of these fields (a grid's rows renumbered from 0), and parse errors."""
    values: dict[str, Any] = {}
    errors: list[FieldError] = []
    for field in fields:
        if is_computed(field):
            continue
        if field.type == "table":
            values[field.name] = _rows(field, form, errors)
        else:
            values[field.name] = _parsed(field, form, field.name, field.name, errors)
    return values, errors


def _rows(field: Field, form: MultiDict[str, str], errors: list[FieldError]) -> list[dict[str, Any]]:
    child = services().runtime.catalog.entity(field.entity or "")
    rows: list[dict[str, Any]] = []
    for index in _row_indexes(field, form):
        prefix = f"{field.name}-{index}-"
        path = f"{field.name}.{len(rows)}."
        parsed = {f.name: _parsed(f, form, prefix + f.name, path + f.name, errors) for f in _inputs(child)}
        if all(v in (None, "", [], False) for v in parsed.values()):
            continue  # an untouched row (a new form starts with one)
        row: dict[str, Any] = _blank_as_none(parsed)
        row_id = form.get(prefix + "id", "")
        if row_id.isdigit():
            row["id"] = int(row_id)
        rows.append(row)
    return rows


def _inputs(child: Entity) -> list[Field]:
    return [f for f in input_fields(child) if not is_computed(f)]


def _row_indexes(field: Field, form: MultiDict[str, str]) -> list[int]:
    """The numbers of a grid's rows as the page numbered its inputs (gaps where rows were removed)."""
    return sorted({int(m.group(2)) for key in form if (m := ROW.match(key)) and m.group(1) == field.name})


def computed_cells(entity: Entity, form: MultiDict[str, str]) -> dict[str, str]:
    """Computed columns of each posted child row, keyed by the row's inputs (``lines-3-tax``)."""
    cells: dict[str, str] = {}
    now, zone = services().records.clock(), site_zone()
    for field in entity.fields:
        child = services().runtime.catalog.entity(field.entity or "") if field.type == "table" else None
        computed = [f for f in child.fields if is_computed(f)] if child else []
        if not child or not computed:
            continue
        for index in _row_indexes(field, form):
            prefix = f"{field.name}-{index}-"
            raw = {f.name: _parsed(f, form, prefix + f.name, "", []) for f in _inputs(child)}
            row = typed_record(child, raw)
            logic.apply_computed(child, row, actor(), now)
            cells.update({prefix + f.name: as_text(f, row.get(f.name), bare_title, zone) for f in computed})
    return cells


def _parsed(field: Field, form: MultiDict[str, str], key: str, path: str, errors: list[FieldError]) -> Any:
    try:
        return parse_field(field, form, key)
    except BadJson as bad:
        errors.append(FieldError(path, "invalid", {"kind": "object"}))
        return str(bad)


def typed_record(entity: Entity, values: Mapping[str, Any]) -> dict[str, Any]:
    """The values as the service would type them; what cannot be typed yet is left out."""
    given = {k: _blank_as_none(v) for k, v in values.items()}
    try:
        return dict(services().records.schemas.of(entity.qualified_name).load(given, partial=True))
    except ValidationError as exc:
        return dict(exc.valid_data) if isinstance(exc.valid_data, dict) else {}


def _blank_as_none(value: Any) -> Any:
    """Empty inputs are missing values (the service does this for top-level fields only)."""
    if value == "":
        return None
    if isinstance(value, dict):
        return {k: _blank_as_none(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_blank_as_none(v) for v in value]
    return value


# -- saving -----------------------------------------------------------------------------------


def read_post(
    entity: Entity, existing: dict[str, Any] | None
) -> tuple[dict[str, Any], list[FieldError], FormState, dict[str, Any]]:
    """The posted form: its values as typed, their parse errors, the form's state over them, and
    what a save writes (the visible inputs the user may change)."""
    layout = form_layout(entity)
    values, errors = posted_values(entity, layout, request.form)
    current = _state(entity, layout, values, existing)
    data = {
        name: values[name]
        for name, st in current.fields.items()
        if st.visible and not st.readonly and name in values
    }
    return values, errors, current, data


def _save(entity: Entity, existing: dict[str, Any] | None) -> ResponseReturnValue:
    values, errors, current, data = read_post(entity, existing)
    submit = request.form.get("_intent") == "submit" and entity.has_flow
    try:
        saved = _write(entity, existing, data, errors, submit)
    except ValidationFailed as failed:
        return _page(entity, values, existing, failed.errors, current, status=422)
    except RecordError as refused:  # a stale version, or a submit the flow refuses (nothing is saved)
        errors = [FieldError("_record", refused.code, refused.params)]
        return _page(entity, values, existing, errors, current, status=409)
    flash(_("Submitted for approval.") if submit else _("Saved."), "success")
    return redirect(url_for("web.records.show", app=entity.app, entity=entity.name, record_id=saved["id"]))


def _write(
    entity: Entity,
    existing: dict[str, Any] | None,
    data: dict[str, Any],
    form_errors: list[FieldError],
    submit: bool,
) -> dict[str, Any]:
    """Save through the records service, and submit in the same transaction when asked (提交:
    one step, and a refused submit leaves nothing saved); with form errors, only collect the
    service's own as well."""
    records, name = services().records, entity.qualified_name
    if form_errors:
        tables = services().runtime.schema.of(name)
        try:
            with reading(services().runtime.engine) as conn:
                records.validator.prepare(conn, tables, dict(data), actor(), records.clock(), existing)
        except ValidationFailed as failed:
            form_errors = _merged(form_errors, failed.errors)
        raise ValidationFailed(form_errors)
    version = request.form.get("version", "")
    with services().runtime.engine.begin() as conn:
        if existing is None:
            saved = records.create(name, data, actor(), conn=conn)
        else:
            shown = int(version) if version.isdigit() else None
            saved = records.update(name, existing["id"], data, actor(), version=shown, conn=conn)
        if submit:
            services().flows.submit(name, saved["id"], actor(), chosen=posted_chosen(entity), conn=conn)
    return saved


def _merged(first: list[FieldError], second: list[FieldError]) -> list[FieldError]:
    seen = {e.field for e in first}
    return first + [e for e in second if e.field not in seen]


# -- drawing ----------------------------------------------------------------------------------


def form_layout(entity: Entity) -> Layout:
    """The entity's layout without the fields hidden from the signed-in user."""
    return layout_of(services().runtime.catalog, entity, services().records.access.hidden(actor(), entity))


def _state(
    entity: Entity, layout: Layout, values: Mapping[str, Any], existing: Mapping[str, Any] | None
) -> FormState:
    record = with_row_values(entity, {**(existing or {}), **typed_record(entity, values)})
    locked = services().records.access.locked(actor(), entity)
    lock = services().records.lock(entity.qualified_name, existing, actor()) if existing else None
    if lock is not None:  # of a locked record, only what its flow leaves editable
        locked |= frozenset(f.name for f in entity.fields) - lock.editable
    return evaluate_state(layout, entity, record, actor(), services().records.clock(), locked)


def with_row_values(entity: Entity, record: dict[str, Any]) -> dict[str, Any]:
    """The record with its child rows' computed values, as saving gives them: a subtotal
    column's total, and a parent's total over the subtotals, read them."""
    now = services().records.clock()
    for field in entity.fields:
        rows = record.get(field.name)
        if field.type != "table" or not isinstance(rows, list):
            continue
        child = services().runtime.catalog.entity(field.entity or "")
        record[field.name] = [dict(r) for r in rows if isinstance(r, Mapping)]
        for row in record[field.name]:
            logic.apply_computed(child, row, actor(), now)
    return record


def _defaults(entity: Entity) -> dict[str, Any]:
    now = services().records.clock()
    return {
        f.name: logic.default_value(f, actor(), now)
        for f in entity.fields
        if f.default is not None and not is_computed(f)
    }


def _prefilled(entity: Entity) -> dict[str, Any]:
    """References, days and moments given in the address (新建 from a customer's page:
    ``?customer=7``; from a calendar's day: ``?start_date=2026-03-10``, a moment in the site's
    zone); saving checks them like any typed value, and one that does not read is left out."""
    values: dict[str, Any] = {}
    for f in entity.fields:
        raw = request.args.get(f.name, "")
        if f.type in ("link", "user", "department") and raw.isdigit():
            values[f.name] = int(raw)
        elif f.type in ("date", "datetime") and raw and (moment := _moment(f.type, raw)) is not None:
            values[f.name] = moment
    return values


def _moment(kind: str, raw: str) -> dt.date | dt.datetime | None:
    try:
        if kind == "date":
            return dt.date.fromisoformat(raw)
        return dt.datetime.fromisoformat(raw).replace(tzinfo=site_zone())
    except ValueError:
        return None


def _page(
    entity: Entity,
    values: Mapping[str, Any],
    existing: dict[str, Any] | None,
    errors: list[FieldError],
    current: FormState | None = None,
    status: int = 200,
) -> tuple[str, int]:
    layout = form_layout(entity)
    current = current or _state(entity, layout, values, existing)
    refs = References(services(), actor()).load(entity, [values])
    body = render_template(
        "form.html",
        entity=entity,
        layout=layout,
        values=values,
        existing=existing,
        state=current,
        state_data=state_json(entity, current, computed_cells(entity, request.form)),
        errors=error_messages(errors),
        refs=refs,
        submittable=submittable(entity, existing),
        chosen=chosen_steps(entity, posted_chosen(entity)),
        children={
            item.field.name: services().runtime.catalog.entity(item.field.entity or "")
            for item in layout.items()
            if item.field.type == "table"
        },
    )
    return body, status


def submittable(entity: Entity, existing: Mapping[str, Any] | None) -> bool:
    """Whether the form offers 提交 (save and submit in one step) beside saving a draft."""
    if not entity.has_flow or not may(entity, "submit"):
        return False
    return existing is None or existing.get("flow_status") in SUBMITTABLE


def existing_for_state(entity: Entity) -> dict[str, Any] | None:
    raw = request.form.get("_record", "")
    if not raw.isdigit():
        return None
    return services().records.get(entity.qualified_name, record_id_or_404(int(raw)), actor())


def state_json(entity: Entity, current: FormState, cells: Mapping[str, str]) -> dict[str, Any]:
    """What the browser applies: field and section states, computed values (``cells``: those of
    child rows) and column totals."""
    record, zone = current.record, site_zone()
    computed = {
        f.name: as_text(f, record.get(f.name), bare_title, zone) for f in entity.fields if is_computed(f)
    }
    return {
        "fields": {
            name: {"visible": st.visible, "required": st.required, "readonly": st.readonly}
            for name, st in current.fields.items()
        },
        "shown": dict(current.shown),
        "computed": {**computed, **cells},
        "totals": column_totals(entity, record),
    }


def column_totals(entity: Entity, record: Mapping[str, Any]) -> dict[str, str]:
    """The totals under each grid, of the columns that declare one (``total: sum``; a unit
    price or an instalment number adds up to nothing), computed columns included: the rows
    carry their computed values (``with_row_values``, or as stored). A column with no value in
    any row has an empty total."""
    totals = {}
    zone = site_zone()
    for field in entity.fields:
        if field.type != "table":
            continue
        child = services().runtime.catalog.entity(field.entity or "")
        rows = [r for r in record.get(field.name) or [] if isinstance(r, Mapping)]
        for column in child.fields:
            if column.total == "sum":
                values = [r[column.name] for r in rows if r.get(column.name) is not None]
                total = sum(values) if values else None
                totals[f"{field.name}-{column.name}"] = as_text(column, total, bare_title, zone)
    return totals
