"""The kanban board of an entity's records (``list.board``): one column per option of a select
field, or per record of the entity a link field points to (an opportunity's stages, in their
order, one sales process at a time), each column with its count, its total and its first
cards. It keeps the list's view, search and filters, so 列表 and 看板 show the same records.

Moving a card (dragged, or with its 移到… menu on phones and keyboards) is an update of the one
field through the records service, with the card's version: permissions, locks, rules and
automations hold exactly as on the form. A refused move changes nothing and says why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import replace
from typing import Any

from flask import Blueprint
from flask import flash
from flask import jsonify
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.exceptions import NotFound

from loom.metadata.catalog import Entity
from loom.metadata.catalog import Field
from loom.metadata.catalog import ListBoard

from ..automations.errors import AutomationFailed
from ..records.errors import NotFound as NotFoundError
from ..records.errors import PermissionDenied
from ..records.errors import RecordError
from ..records.errors import ValidationFailed
from ..records.query import Condition
from ..records.query import ListQuery
from .auth import actor
from .cards import CHIP_COLORS
from .cards import Card
from .cards import card_of
from .cards import chip
from .i18n import current_lang
from .i18n import label
from .lists import active_filters
from .lists import active_personal
from .lists import active_view
from .lists import display_args
from .lists import drill_parameters
from .lists import list_columns
from .lists import list_filters
from .lists import list_query
from .lists import personal_views
from .lists import shown_field
from .lists import view_tabs
from .portal import entity_or_404
from .portal import may
from .portal import record_id_or_404
from .portal import services
from .portal import site_zone
from .redirects import local_path
from .references import References
from .references import target_of
from .widgets import as_cell

bp = Blueprint("board", __name__)
COLUMN_CARDS = 50  # cards per column; the rest are a link to the list of that column
MAX_COLUMNS = 40
MAX_GROUPS = 20
HEX = re.compile(r"#[0-9a-fA-F]{6}")
REFUSED = {PermissionDenied: 403, ValidationFailed: 422, AutomationFailed: 422, NotFoundError: 404}


@dataclass(frozen=True, slots=True)
class Column:
    """One column: the field's value ``key``, its heading and colour, and its cards."""

    key: str
    label: str
    css: str
    tint: str | None
    rows: list[dict[str, Any]]
    total: int
    sum: str | None
    more: str | None


@dataclass(frozen=True, slots=True)
class Group:
    """One choice of the board's group (a sales process)."""

    id: int
    label: str
    href: str
    active: bool


@bp.get("/<app>/<entity>/board")
def index(app: str, entity: str) -> str:
    found = entity_or_404(app, entity)
    board = _board_or_404(found)
    services().records.access.require(actor(), found, "read")
    views = services().records.offered_views(found.qualified_name, actor())
    active = active_view(views)
    mine = personal_views(found)
    hidden = services().records.access.hidden(actor(), found)
    columns = list_columns(found, active, active_personal(mine))
    card = _board_card(card_of(found, columns, lambda name: shown_field(found, name, hidden)), board)
    refs = References(services(), actor())
    error, lanes, groups = None, [], []
    try:
        groups = _groups(found, board, refs)
        chosen = next((g.id for g in groups if g.active), None)
        names = (*(c.name for c in columns), *card.names, board.field, "version")
        lanes = _columns(found, board, chosen, names, refs, hidden)
    except RecordError as failed:
        error = refusal(failed)
    refs.load(found, [r for lane in lanes for r in lane.rows])
    return render_template(
        "board.html",
        entity=found,
        board=board,
        card=card,
        chip=chip,
        lanes=lanes,
        groups=groups,
        filters=list_filters(found),
        active_filters=active_filters(found),
        refs=refs,
        error=error,
        may_create=may(found, "create"),
        may_export=may(found, "export"),
        may_move=may(found, "write") and board.field not in hidden,
        drill=drill_parameters(found),
        kept_args=display_args(),
        tabs=view_tabs(found, views, active, mine),
        view=active,
        mine=active_personal(mine),
        back=request.full_path.rstrip("?"),
        cell=lambda field, record: as_cell(field, record.get(field.name), refs.title, site_zone()),
    )


@bp.post("/<app>/<entity>/board/move")
def move(app: str, entity: str) -> ResponseReturnValue:
    """Set the board's field of one record to the column it was moved to; JSON for the
    board's script, else back to the board with a message."""
    found = entity_or_404(app, entity)
    board = _board_or_404(found)
    record_id = record_id_or_404(_number(request.form.get("record")) or 0)
    to: Any = request.form.get("to", "")
    if found.field(board.field).type == "link":
        to = _number(to) or to
    version = _number(request.form.get("version"))
    wants_json = request.accept_mimetypes.best == "application/json"
    try:
        services().records.update(
            found.qualified_name, record_id, {board.field: to}, actor(), version=version
        )
    except RecordError as error:
        message = refusal(error)
        if wants_json:
            # A refusal is an answer, not a failure of the request: 200, so the browser logs no
            # error for a move the person simply may not make; ``status`` says which refusal.
            status = next((code for kind, code in REFUSED.items() if isinstance(error, kind)), 409)
            return jsonify({"ok": False, "status": status, "message": message})
        flash(message, "danger")
    else:
        if wants_json:
            return jsonify({"ok": True})
        flash(_("Moved."), "success")
    back = local_path(request.form.get("next")) or url_for("web.board.index", app=app, entity=entity)
    return redirect(back, 303)


def _board_card(card: Card, board: ListBoard) -> Card:
    """The list's card without the board's field: the column already says it."""
    status = card.status if card.status is None or card.status.name != board.field else None
    return Card(card.title, tuple(f for f in card.fields if f.name != board.field), status)


def _board_or_404(entity: Entity) -> ListBoard:
    if entity.list.board is None:
        raise NotFound()
    return entity.list.board


def _groups(entity: Entity, board: ListBoard, refs: References) -> list[Group]:
    """The records of the group field's entity the user may read, the chosen one (``?group=``)
    active, else the first; none when the board has no group."""
    if board.group_by is None:
        return []
    field = entity.field(board.group_by)
    target = target_of(field)
    page = services().records.list(target, ListQuery(page_size=MAX_GROUPS, fields=("id",)), actor())
    ids = [r["id"] for r in page.records]
    refs.want(target, ids)
    asked = _number(request.args.get("group"))
    chosen = asked if asked in ids else next(iter(ids), None)
    kept = {k: v for k, v in display_args().items() if k != "group"}

    def href(group: int) -> str:
        return url_for("web.board.index", app=entity.app, entity=entity.name, **kept, group=group)

    return [Group(i, refs.title(field, i), href(i), i == chosen) for i in ids]


def _columns(
    entity: Entity,
    board: ListBoard,
    group: int | None,
    names: tuple[str, ...],
    refs: References,
    hidden: frozenset[str],
) -> list[Column]:
    field = entity.field(board.field)
    base = list_query(entity, names, COLUMN_CARDS)
    grouped = (Condition(board.group_by, "eq", group),) if board.group_by and group is not None else ()
    sums = (board.sum,) if board.sum and board.sum not in hidden else ()
    base = replace(base, page=1, filters=(*base.filters, *grouped), sums=sums)
    total_field = entity.field(board.sum) if board.sum and sums else None
    columns = []
    for key, heading, css, tint in _keys(entity, field, board, group, refs):
        query = replace(base, filters=(*base.filters, Condition(field.name, "eq", key)))
        page = services().records.list(entity.qualified_name, query, actor())
        total = page.total or 0
        shown = (
            as_cell(total_field, page.sums[total_field.name], refs.title, site_zone())
            if total_field
            else None
        )
        more = _more_link(entity, board, key, group) if total > len(page.records) else None
        columns.append(Column(key, heading, css, tint, page.records, total, shown or None, more))
    return columns


def _keys(
    entity: Entity, field: Field, board: ListBoard, group: int | None, refs: References
) -> list[tuple[str, str, str, str | None]]:
    """(value, heading, chip class, colour) of each column: the select's options in order, as
    chips in their colours, or the linked records of the chosen group in the board's order,
    under a line in the record's colour (a ``widget: color`` field) when it has one."""
    if field.type == "select":
        return [(o.key, label(o.label), _chip_class(o.color), None) for o in field.options]
    target = services().runtime.catalog.entity(field.entity or "")
    tint = next((f.name for f in target.fields if f.widget == "color"), None)
    grouped = (Condition(board.group_by, "eq", group),) if board.group_by and group is not None else ()
    query = ListQuery(
        filters=grouped,
        sort=board.order_by,
        page_size=MAX_COLUMNS,
        fields=("id", *((tint,) if tint else ())),
    )
    rows = services().records.list(target.qualified_name, query, actor()).records
    refs.want(target_of(field), [r["id"] for r in rows])
    return [(str(r["id"]), refs.title(field, r["id"]), "", _hex(r.get(tint or ""))) for r in rows]


def _more_link(entity: Entity, board: ListBoard, key: str, group: int | None) -> str:
    """The list of one column's records (the board shows its first COLUMN_CARDS)."""
    args = {**display_args(), board.field: key}
    args.pop("group", None)
    if board.group_by and group is not None:
        args[board.group_by] = str(group)
    return url_for("web.lists.index", app=entity.app, entity=entity.name, **args)


def _hex(value: Any) -> str | None:
    """A colour the column head may use as its style: ``#rrggbb`` only."""
    return value if isinstance(value, str) and HEX.fullmatch(value) else None


def _chip_class(color: str | None) -> str:
    return f"loom-chip-{color if color in CHIP_COLORS else 'plain'}"


def refusal(error: RecordError) -> str:
    """Why the move was refused, as the person reads it: the broken rules' own messages
    (also when a rule broke inside the automation the move set off), else the error's."""
    lang = current_lang()
    errors = getattr(error, "errors", None)
    if errors:
        return "; ".join(dict.fromkeys(item.message(lang) for item in errors))
    return error.message(lang)


def _number(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() else None
