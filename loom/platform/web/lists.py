"""List pages: the entity's ``list`` settings as a table with filters, search, sorting,
pages and an export of the same rows to CSV or XLSX. Below 768 px the same rows are cards
(``cards.py``) and a 加载更多 button appends the next rows through htmx, by cursor. The
entity's saved views (场景) are tabs above it: ``?view=name`` narrows the list by the view's
filter and shows its columns and sort, together with the user's filters and search. The
user's own views (我的视图, ``personal_views.py``) follow as tabs too: ``?mine=id`` with the
parameters they saved. Each tab shows its record count, one count query per tab inside the
user's read scope (the open tab reuses its page's count).

Filter parameters use the REST API's syntax (``category=travel``, ``paid_on__gte=…``),
limited to the filters the entity declares; empty form controls filter nothing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import replace
from typing import Any

from flask import Blueprint
from flask import Response
from flask import render_template
from flask import request
from flask import url_for
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import NotFound

from loom.metadata.catalog import Entity
from loom.metadata.catalog import Field
from loom.metadata.catalog import Label
from loom.metadata.catalog import ListView
from loom.metadata.catalog import Option

from .. import fieldtypes
from ..personal_views import FILTER_SUFFIXES
from ..records.errors import ValidationFailed
from ..records.query import Condition
from ..records.query import ListQuery
from ..records.query import Page
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
# ``group``: the board's chosen group (board.py), kept when switching between list and board;
# ``on``, ``from``, ``to``: the calendar's day and range (calendar.py), SQL words no field is named.
# ``mine``: the personal view a list shows (personal_views.py).
LIST_PARAMETERS = frozenset(
    {"q", "sort", "page", "view", "mine", "lang", "cursor", "group", "on", "from", "to"}
)
# What a tab does not keep from the open list: the view, its place, and its sort.
TAB_DROPS = ("view", "page", "sort", "mine", "cursor")


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
    mine = personal_views(found)
    columns = list_columns(found, active, active_personal(mine))
    hidden = services().records.access.hidden(actor(), found)
    card = card_of(found, columns, lambda name: shown_field(found, name, hidden))
    more = bool(request.headers.get("HX-Request") and request.args.get("cursor"))
    error, next_cursor, page = None, None, None
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
        tabs=[] if more else view_tabs(found, views, active, mine, page),
        view=active,
        mine=active_personal(mine),
        saved_params=saved_parameters(found),
        cell=lambda field, record: as_cell(field, record.get(field.name), refs.title, site_zone()),
    )


@bp.get("/<app>/<entity>/export.<fmt>")
def export(app: str, entity: str, fmt: str) -> Response:
    found = entity_or_404(app, entity)
    if fmt not in FORMATS:
        raise NotFound()
    services().records.access.require(actor(), found, "export")
    views = services().records.offered_views(found.qualified_name, actor())
    columns = list_columns(found, active_view(views), active_personal(personal_views(found)))
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
    """A view's tab above the list: ``name`` a declared view's name, None for the whole list
    (全部); ``mine`` a personal view's id. ``count`` is its number of records as text."""

    name: str | None
    label: str
    href: str
    active: bool
    count: str = ""
    mine: int | None = None


def active_view(views: list[ListView]) -> ListView | None:
    """The view ``?view=`` names, if the user may use it (else the service reports the name)."""
    name = request.args.get("view")
    return next((v for v in views if v.name == name), None)


def personal_views(entity: Entity) -> list[dict[str, Any]]:
    """The user's own views of ``entity`` (我的视图), in the order they saved them."""
    return services().personal_views.list_for(actor(), entity.qualified_name)


def active_personal(mine: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The personal view ``?mine=`` names, if it is one of the user's."""
    chosen = request.args.get("mine", "")
    return next((v for v in mine if str(v["id"]) == chosen), None)


def view_tabs(
    entity: Entity,
    views: list[ListView],
    active: ListView | None,
    mine: list[dict[str, Any]] | None = None,
    shown: Page | None = None,
) -> list[Tab]:
    """全部, one tab per declared view, each keeping the search and filters but starting on
    page 1 in the view's own sort, then the user's own views with the parameters they saved.
    Each counts its records; the open one takes ``shown``'s count, the page already counted."""
    mine = mine or []
    if not views and not mine:
        return []
    kept = MultiDict([(k, v) for k, v in request.args.items(multi=True) if k not in TAB_DROPS])
    endpoint = request.endpoint or "web.lists.index"
    personal = active_personal(mine)

    def tab(name: str | None, text: str, args: MultiDict[str, str], on: bool, own: int | None = None) -> Tab:
        multi: dict[str, Any] = args.to_dict(flat=False)
        href = url_for(endpoint, app=entity.app, entity=entity.name, **multi)
        count = _count_text(shown) if on and shown is not None else _count(entity, args)
        return Tab(name, text, href, on, count, own)

    def declared(name: str | None) -> MultiDict[str, str]:
        return MultiDict([*kept.items(multi=True), *([("view", name)] if name else [])])

    plain = personal is None and not request.args.get("view")
    tabs = [tab(None, str(ALL_RECORDS), declared(None), plain)]
    tabs += [tab(v.name, label(v.label), declared(v.name), personal is None and v is active) for v in views]
    for saved in mine:
        args = MultiDict([*saved["params"].items(), ("mine", str(saved["id"]))])
        tabs.append(tab(None, saved["label"], args, saved is personal, saved["id"]))
    return tabs


def _count(entity: Entity, args: Mapping[str, Any]) -> str:
    """The number of records a tab opens: one counted query of one row, inside the read scope."""
    query = replace(list_query(entity, ("id",), 1, args=MultiDict(args)), page=1)
    try:
        return _count_text(services().records.list(entity.qualified_name, query, actor()))
    except ValidationFailed:
        return ""


def _count_text(page: Page) -> str:
    if page.total is None:
        return ""
    return f"{page.total}+" if page.total_is_lower_bound else str(page.total)


def saved_parameters(entity: Entity) -> dict[str, str]:
    """The list's current parameters a personal view keeps (filters, search, sort, view)."""
    keep = {"q", "sort", "view"} | {f.name + s for f in list_filters(entity) for s in FILTER_SUFFIXES[f.kind]}
    return {k: v for k, v in request.args.items() if k in keep and v.strip()}


def display_args() -> dict[str, Any]:
    """The address parameters that 列表 | 看板 keep: view, search, filters, sort and group."""
    return {k: v for k, v in request.args.to_dict().items() if k not in ("page", "cursor", "on")}


def list_columns(
    entity: Entity, view: ListView | None = None, personal: Mapping[str, Any] | None = None
) -> list[Field]:
    """The personal view's, the view's or the declared columns (else the first few fields)
    the user may see."""
    hidden = services().records.access.hidden(actor(), entity)
    fallback = [f.name for f in entity.fields if f.type not in ("table", "json") and not f.hidden]
    own = tuple(personal["columns"]) if personal else ()
    names = own or (view.columns if view else ()) or entity.list.columns or fallback[:DEFAULT_COLUMNS]
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
    entity: Entity,
    names: Iterable[str],
    page_size: int | None = None,
    *,
    cursor: bool = False,
    args: MultiDict[str, str] | None = None,
) -> ListQuery:
    """The list's query reading ``names``; with ``cursor``, the rows after the request's
    cursor, uncounted. ``args`` stands for the request's parameters (a tab's count)."""
    given = request.args if args is None else args
    return ListQuery(
        filters=tuple(_conditions(entity, given)),
        q=given.get("q", "").strip() or None,
        sort=(given["sort"],) if given.get("sort") else (),
        page=page_number(),
        page_size=page_size or entity.list.page_size,
        cursor=given.get("cursor") if cursor else None,
        fields=tuple(dict.fromkeys(names)),
        count="none" if cursor else "auto",
        view=given.get("view") or None,
    )


def active_filters(entity: Entity) -> int:
    """How many of the list's filter controls hold a value (shown on the phone's filter button)."""
    return sum(
        any(request.args.get(control.name + suffix, "").strip() for suffix in FILTER_SUFFIXES[control.kind])
        for control in list_filters(entity)
    )


def _conditions(entity: Entity, args: MultiDict[str, str]) -> Iterator[Condition]:
    for control in list_filters(entity):
        for suffix in FILTER_SUFFIXES[control.kind]:
            value = args.get(control.name + suffix, "").strip()
            if value:
                yield Condition(control.name, suffix.lstrip("_") or "eq", value)
    for key, value in drill_parameters(entity, args):
        field, _, op = key.partition("__")
        yield Condition(field, op or "eq", value.split(",") if op in ("in", "not_in", "between") else value)


def drill_parameters(entity: Entity, args: MultiDict[str, str] | None = None) -> list[tuple[str, str]]:
    """Filters in the REST API's syntax beyond the list's own controls: a report cell's drill-down.

    The records service checks them like any filter (a hidden or unknown field is an error
    shown above the list), so they open exactly the records the cell counted.
    """
    own = {f.name + suffix for f in list_filters(entity) for suffix in FILTER_SUFFIXES[f.kind]}
    return [
        (key, value)
        for key, values in (request.args if args is None else args).lists()
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
