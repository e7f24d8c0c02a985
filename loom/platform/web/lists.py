"""List pages: the entity's ``list`` settings as a table with filters, search, sorting,
pages and an export of the same rows to CSV or XLSX. Below 768 px the same rows are cards
(``cards.py``) and a 加载更多 button appends the next rows through htmx, by cursor. The
entity's saved views (场景) are tabs above it: ``?view=name`` narrows the list by the view's
filter and shows its columns and sort, together with the user's filters and search.

Filter parameters use the REST API's syntax (``category=travel``, ``paid_on__gte=…``),
limited to the filters the entity declares; empty form controls filter nothing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import replace
from typing import Any

from flask import Blueprint
from flask import Response
from flask import render_template
from flask import request
from flask import url_for
from werkzeug.exceptions import NotFound

from loom.metadata.catalog import Entity
from loom.metadata.catalog import Field
from loom.metadata.catalog import Label
from loom.metadata.catalog import ListView
from loom.metadata.catalog import Option

from .. import fieldtypes
from ..records.errors import ValidationFailed
from ..records.query import Condition
from ..records.query import ListQuery
from .auth import actor
from .cards import card_of
from .cards import chip
from .export import FORMATS
from .export import as_csv
from .export import as_xlsx
from .i18n import current_lang
from .i18n import label
from .portal import entity_or_404
from .portal import may
from .portal import page_number
from .portal import services
from .portal import site_zone
from .references import References
from .widgets import as_cell
from .widgets import exported
from .wording import ALL_RECORDS
from .wording import APPROVAL_STATUS
from .wording import FLOW_STATUSES

bp = Blueprint("lists", __name__)
STATUS_KEYS = ("draft", "in_approval", "approved", "rejected", "withdrawn", "returned", "revoked")
EXPORT_PAGE = 500
EXPORT_LIMIT = 10_000
DEFAULT_COLUMNS = 6
# The request parameters of each kind of filter control (the REST API's operators).
FILTER_SUFFIXES = {"eq": ("",), "contains": ("__contains",), "range": ("__gte", "__lte")}
# ``group``: the board's chosen group (board.py), kept when switching between list and board;
# ``on``, ``from``, ``to``: the calendar's day and range (calendar.py), SQL words no field is named.
LIST_PARAMETERS = frozenset({"q", "sort", "page", "view", "lang", "cursor", "group", "on", "from", "to"})


@dataclass(frozen=True, slots=True)
class Filter:
    """One filter control: ``kind`` is eq, range or contains."""

    name: str
    label: Label
    kind: str
    field: Field


@bp.get("/<app>/<entity>")
def index(app: str, entity: str) -> str:
    found = entity_or_404(app, entity)
    services().records.access.require(actor(), found, "read")
    views = services().records.offered_views(found.qualified_name, actor())
    active = active_view(views)
    columns = list_columns(found, active)
    hidden = services().records.access.hidden(actor(), found)
    card = card_of(found, columns, lambda name: shown_field(found, name, hidden))
    more = bool(request.headers.get("HX-Request") and request.args.get("cursor"))
    error, next_cursor = None, None
    try:
        query = list_query(found, [*(c.name for c in columns), *card.names], cursor=more)
        page = services().records.list(found.qualified_name, query, actor())
        rows, total, next_cursor = page.records, page.total, page.next_cursor
    except ValidationFailed as failed:
        rows, total, error = [], 0, "; ".join(e.message(current_lang()) for e in failed.errors)
    refs = References(services(), actor()).load(found, rows)
    page_size = found.list.page_size
    return render_template(
        "partials/list_cards.html" if more else "list.html",
        entity=found,
        card=card,
        chip=chip,
        more_links=_more_links(found, next_cursor),
        columns=columns,
        rows=rows,
        total=total,
        pages=max(1, math.ceil((total or 0) / page_size)),
        page=page_number(),
        sort=request.args.get("sort", ""),
        filters=list_filters(found),
        active_filters=active_filters(found),
        refs=refs,
        error=error,
        may_create=may(found, "create"),
        may_export=may(found, "export"),
        sort_link=lambda name, ascending: _sort_link(found, name, ascending),
        drill=drill_parameters(found),
        kept_args=display_args(),
        tabs=view_tabs(found, views, active),
        view=active,
        cell=lambda field, record: as_cell(field, record.get(field.name), refs.title, site_zone()),
    )


@bp.get("/<app>/<entity>/export.<fmt>")
def export(app: str, entity: str, fmt: str) -> Response:
    found = entity_or_404(app, entity)
    if fmt not in FORMATS:
        raise NotFound()
    services().records.access.require(actor(), found, "export")
    views = services().records.offered_views(found.qualified_name, actor())
    columns = list_columns(found, active_view(views))
    header = [label(c.label) for c in columns]
    rows = list(_export_rows(found, columns))
    body = as_csv(header, rows) if fmt == "csv" else as_xlsx(header, rows, label(found.label))
    response = Response(body, mimetype=FORMATS[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{found.qualified_name}.{fmt}"'
    return response


def _sort_link(entity: Entity, name: str, ascending: bool) -> str:
    """The list sorted by ``name``: ascending first, descending on a second click; back to page 1."""
    args: dict[str, Any] = {**request.args.to_dict(), "sort": f"-{name}" if ascending else name, "page": 1}
    return url_for("web.lists.index", app=entity.app, entity=entity.name, **args)


@dataclass(frozen=True, slots=True)
class Tab:
    """A saved view's tab above the list (``name`` None: the whole list, 全部)."""

    name: str | None
    label: str
    href: str
    active: bool


def active_view(views: list[ListView]) -> ListView | None:
    """The view ``?view=`` names, if the user may use it (else the service reports the name)."""
    name = request.args.get("view")
    return next((v for v in views if v.name == name), None)


def view_tabs(entity: Entity, views: list[ListView], active: ListView | None) -> list[Tab]:
    """全部 and one tab per view, each keeping the search and filters but starting on page 1
    in the view's own sort."""
    if not views:
        return []
    kept: dict[str, Any] = {
        k: v for k, v in request.args.to_dict().items() if k not in ("view", "page", "sort")
    }

    def href(name: str | None) -> str:
        chosen = {**kept, "view": name} if name else kept
        return url_for(request.endpoint or "web.lists.index", app=entity.app, entity=entity.name, **chosen)

    whole = Tab(None, str(ALL_RECORDS), href(None), active is None and not request.args.get("view"))
    return [whole, *(Tab(v.name, label(v.label), href(v.name), v is active) for v in views)]


def display_args() -> dict[str, Any]:
    """The address parameters that 列表 | 看板 keep: view, search, filters, sort and group."""
    return {k: v for k, v in request.args.to_dict().items() if k not in ("page", "cursor", "on")}


def list_columns(entity: Entity, view: ListView | None = None) -> list[Field]:
    """The view's or the declared columns (else the first few fields) the user may see."""
    hidden = services().records.access.hidden(actor(), entity)
    fallback = [f.name for f in entity.fields if f.type not in ("table", "json") and not f.hidden]
    names = (view.columns if view else ()) or entity.list.columns or fallback[:DEFAULT_COLUMNS]
    shown = [field for n in names if (field := shown_field(entity, n, hidden)) is not None]
    return shown or [f for f in entity.fields if f.name not in hidden][:1]


def shown_field(entity: Entity, name: str, hidden: frozenset[str]) -> Field | None:
    """The field ``name`` as a list shows it (``flow_status`` as a select), unless hidden."""
    if name in hidden:
        return None
    if entity.has_field(name):
        return entity.field(name)
    return flow_status_field() if name == "flow_status" and entity.has_flow else None


def _more_links(entity: Entity, cursor: str | None) -> tuple[str, str] | None:
    """加载更多 on a phone: the rows after ``cursor`` for htmx to append (same view, search,
    filters and sort), and the next page as the link's plain address."""
    if cursor is None:
        return None
    args: dict[str, Any] = {**request.args.to_dict(), "page": page_number() + 1}
    args.pop("cursor", None)
    plain = url_for("web.lists.index", app=entity.app, entity=entity.name, **args)
    return url_for("web.lists.index", app=entity.app, entity=entity.name, **args, cursor=cursor), plain


def flow_status_field() -> Field:
    """The ``flow_status`` system column as a select field, so lists show and filter it like one."""
    return Field(
        "flow_status",
        "select",
        Label.of(str(APPROVAL_STATUS)),
        options=tuple(Option(key, Label.of(str(FLOW_STATUSES[key]))) for key in STATUS_KEYS),
    )


def list_filters(entity: Entity) -> list[Filter]:
    hidden = services().records.access.hidden(actor(), entity)
    filters = []
    for name in entity.list.filters:
        if name == "flow_status":
            status = flow_status_field()
            filters.append(Filter(name, status.label, "eq", status))
        elif entity.has_field(name) and name not in hidden:
            field = entity.field(name)
            kind = fieldtypes.of(field.type).list_filter
            filters.append(Filter(name, field.label, kind, field))
    return filters


def list_query(
    entity: Entity, names: Iterable[str], page_size: int | None = None, *, cursor: bool = False
) -> ListQuery:
    """The list's query reading ``names``; with ``cursor``, the rows after the request's
    cursor, uncounted."""
    return ListQuery(
        filters=tuple(_conditions(entity)),
        q=request.args.get("q", "").strip() or None,
        sort=(request.args["sort"],) if request.args.get("sort") else (),
        page=page_number(),
        page_size=page_size or entity.list.page_size,
        cursor=request.args.get("cursor") if cursor else None,
        fields=tuple(dict.fromkeys(names)),
        count="none" if cursor else "auto",
        view=request.args.get("view") or None,
    )


def active_filters(entity: Entity) -> int:
    """How many of the list's filter controls hold a value (shown on the phone's filter button)."""
    return sum(
        any(request.args.get(control.name + suffix, "").strip() for suffix in FILTER_SUFFIXES[control.kind])
        for control in list_filters(entity)
    )


def _conditions(entity: Entity) -> Iterator[Condition]:
    for control in list_filters(entity):
        for suffix in FILTER_SUFFIXES[control.kind]:
            value = request.args.get(control.name + suffix, "").strip()
            if value:
                yield Condition(control.name, suffix.lstrip("_") or "eq", value)
    for key, value in drill_parameters(entity):
        field, _, op = key.partition("__")
        yield Condition(field, op or "eq", value.split(",") if op in ("in", "not_in", "between") else value)


def drill_parameters(entity: Entity) -> list[tuple[str, str]]:
    """Filters in the REST API's syntax beyond the list's own controls: a report cell's drill-down.

    The records service checks them like any filter (a hidden or unknown field is an error
    shown above the list), so they open exactly the records the cell counted.
    """
    own = {f.name + suffix for f in list_filters(entity) for suffix in FILTER_SUFFIXES[f.kind]}
    return [
        (key, value)
        for key, values in request.args.lists()
        if key not in own and key not in LIST_PARAMETERS
        for value in values
        if value
    ]


def _export_rows(entity: Entity, columns: list[Field]) -> Iterator[list[Any]]:
    """Every row the list shows (all pages, up to EXPORT_LIMIT), cursor by cursor."""
    query = replace(list_query(entity, (c.name for c in columns), EXPORT_PAGE), page=1, count="none")
    refs = References(services(), actor())
    produced = 0
    while produced < EXPORT_LIMIT:
        page = services().records.list(entity.qualified_name, query, actor())
        refs.load(entity, page.records)
        for record in page.records:
            yield [_export_cell(c, record.get(c.name), refs) for c in columns]
        produced += len(page.records)
        if page.next_cursor is None:
            return
        query = replace(query, cursor=page.next_cursor)


def _export_cell(field: Field, value: Any, refs: References) -> Any:
    return exported(field, value, refs.title, site_zone())
