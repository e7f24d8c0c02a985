"""The home page as the user's dashboard: the first ``dashboard`` document (lowest ``order``)
whose roles the user holds, its widgets filled through the services.

Every widget shows only what its viewer may see: a report or number widget whose report the
user may not open is left out, to-dos and requests come from the user's own inbox, and lists of
records go through the records service's scope. Charts are drawn by ``static/reports.js``
from the report API, so the page itself costs no report query but those of its number cards.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from flask import current_app
from flask import url_for
from werkzeug.datastructures import MultiDict

from loom.metadata.catalog import Definition
from loom.metadata.catalog import Label

from ..actor import Actor
from ..api.reports import report_body
from ..api.reports import reports_of
from ..flows.inbox import Inbox
from ..records.errors import RecordError
from ..records.query import Condition
from ..records.query import ListQuery
from ..reports.model import Report
from ..reports.present import compact_value
from .i18n import current_lang
from .i18n import label
from .portal import may
from .portal import readable
from .portal import services
from .portal import site_zone
from .references import References
from .summary import Reader
from .summary import headline
from .summary import summary_text
from .summary import want_summary_titles
from .widgets import local_time

ANNOUNCEMENTS = "oa.announcement"
DEFAULT_LIMIT = 5
# Charts a widget cannot draw in its box: the report's own table or pivot is shown as bars.
NOT_IN_A_BOX = ("table", "pivot", "number")
TITLES = {
    "todos": Label("我的待办", "My to-dos"),
    "my_requests": Label("我发起的", "My requests"),
    "announcements": Label("公告", "Announcements"),
    "shortcuts": Label("快捷发起", "Quick start"),
}


@dataclass
class Card:
    """One widget as the template draws it: its type, width, title, link and contents."""

    type: str
    width: int
    title: str
    more: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


def dashboard_of(actor: Actor) -> Definition | None:
    """The dashboard whose roles the actor holds with the lowest ``order`` (then by name)."""
    held = set(actor.roles)
    mine = [d for d in services().runtime.catalog.of_kind("dashboard") if held & set(d.spec["roles"])]
    return min(mine, key=lambda d: (d.spec.get("order", 100), d.qualified_name), default=None)


def cards_of(dashboard: Definition, actor: Actor) -> list[Card]:
    """The widgets the actor may see, in the dashboard's order, their lists worded for people."""
    visible = {r.qualified_name for r in reports_of(current_app).visible(actor)}
    found = []
    for widget in dashboard.spec["widgets"]:
        card = _card(dashboard.app, widget, actor, visible)
        if card is not None:
            found.append(card)
    _word(found, References(services(), actor))
    return found


def _word(cards: list[Card], refs: References) -> None:
    """Each listed item's ``line`` (what it is) and ``detail`` (its summary, or who sent it),
    with the names and titles of a whole page fetched together."""
    catalog = services().runtime.catalog
    listed = [(c, i) for c in cards for i in c.data.get("items", ())]
    for card, item in listed:
        if card.type in ("recent", "announcements"):
            item["summary_values"] = dict(item)
            item["entity"] = card.data["entity"].qualified_name
    want_summary_titles(catalog, [i for _, i in listed], refs)
    refs.want("user", [i.get("initiator_id") for _, i in listed])
    reader = Reader.of(services(), current_lang())
    today = reader.today
    for card, item in listed:
        moment = item.get("published_at") or item.get("created_at") or item.get("started_at")
        item["when"] = _when(moment, today)
        entity = catalog.entities[item["entity"]]
        what = label(entity.label)
        flow = item.get("flow") if card.type in ("todos", "my_requests") else None  # records have none
        summary = summary_text(entity, item.get("summary_values"), refs, reader, flow)
        if card.type == "todos":
            item["line"] = headline(entity, refs.name("user", item["initiator_id"]), reader)
            item["detail"] = summary or item.get("title") or ""
        elif card.type == "my_requests":
            item["line"], item["detail"] = what, summary or item.get("title") or ""
        else:
            title = item.get(entity.title_field) if entity.title_field else None
            item["line"], item["detail"] = title or what, summary if card.type == "recent" else ""


def _card(app: str, widget: Any, actor: Actor, visible: set[str]) -> Card | None:
    kind, width = widget["type"], widget.get("width", 2)
    limit = widget.get("limit", DEFAULT_LIMIT)
    title = label(widget["label"]) if "label" in widget else ""
    if kind in ("report", "number"):
        name = _qualified(widget["report"], app)
        if name not in visible:
            return None
        report = reports_of(current_app).reports[name]
        build = _chart if kind == "report" else _number
        return build(Card(kind, width, title or label(report.label)), widget, report)
    if kind in ("todos", "my_requests"):
        box = "todo" if kind == "todos" else "started"
        found = Inbox(services().runtime).items(actor, box, page_size=limit)
        more = url_for("web.inbox.index", box=box)
        data = {"items": found["items"], "total": found["total"]}
        return Card(kind, width, title or label(TITLES[kind]), more, data)
    if kind == "shortcuts":
        return _shortcuts(Card(kind, width, title or label(TITLES[kind])), widget["entities"], app)
    name = ANNOUNCEMENTS if kind == "announcements" else _qualified(widget["entity"], app)
    return _records(Card(kind, width, title or label(TITLES.get(kind))), name, actor, limit)


def _chart(card: Card, widget: Any, report: Report) -> Card:
    app, name = report.app, report.name
    chart = widget.get("chart") or report.chart
    args = {
        "chart": "bar" if chart in NOT_IN_A_BOX else chart,
        **{k: widget[k] for k in ("period", "measure") if k in widget},
    }
    card.more = url_for("web.reports.show", app=app, name=name, **args)
    card.data = {"src": url_for("api.reports.show_report", app=app, name=name, **args)}
    return card


def _number(card: Card, widget: Any, report: Report) -> Card | None:
    app, name = report.app, report.name
    args = {"chart": "number", **{k: widget[k] for k in ("period", "measure") if k in widget}}
    card.more = url_for("web.reports.show", app=app, name=name, **args)
    try:
        body = report_body(app, name, MultiDict(args))
    except RecordError:
        return None  # a report the viewer cannot run here is not shown rather than breaking the page
    measure = next(m for m in body["measures"] if m["name"] == body["chart"]["measure"])
    value = body["totals"]["values"][measure["name"]]
    lang = current_lang()
    if "label" not in widget:  # the measure names a number better than its report does
        card.title = measure["label"]
    card.data = {
        "value": compact_value(value, measure, lang),
        "period": body["filters"]["period"]["label"] if body["filters"].get("period") else None,
        "change": _change(value, (body["previous"] or {}).get("values", {}).get(measure["name"]))
        if body["previous"] is not None
        else None,
        "drill": (body["totals"].get("drill") or {}).get("portal"),
    }
    return card


def _when(value: Any, today: dt.date) -> str:
    """A moment as a list shows it: the time today, the day this year, else the date."""
    if not isinstance(value, dt.datetime):
        return ""
    local = local_time(value, site_zone())
    if local.date() == today:
        return local.strftime("%H:%M")
    return local.strftime("%m-%d" if local.year == today.year else "%Y-%m-%d")


def _change(value: Any, before: Any) -> float | None:
    """The change from the previous period as a fraction, None when there was nothing before."""
    if not before or value is None:
        return None
    return (value - before) / abs(before)


def _records(card: Card, name: str, actor: Actor, limit: int) -> Card | None:
    """The latest records of an entity the actor may read (published announcements first pinned)."""
    entity = services().runtime.catalog.entities.get(name)
    if entity is None or not readable(entity):
        return None
    if name == ANNOUNCEMENTS:
        query = ListQuery(
            filters=(Condition("published", "eq", "true"),),
            sort=("-pinned", "-published_at"),
            page_size=limit,
            count="none",
        )
    else:
        query = ListQuery(sort=("-created_at",), page_size=limit, count="none")
    page = services().records.list(name, query, actor)
    card.title = card.title or label(entity.label)
    card.more = url_for("web.lists.index", app=entity.app, entity=entity.name)
    card.data = {"entity": entity, "items": page.records}
    return card


def _shortcuts(card: Card, refs: Any, app: str) -> Card | None:
    """Links to the new-record forms of the entities the actor may create; none, no widget."""
    catalog = services().runtime.catalog
    entities = [catalog.entities[_qualified(ref, app)] for ref in refs]
    card.data = {
        "links": [
            (label(e.label), url_for("web.forms.create", app=e.app, entity=e.name))
            for e in entities
            if may(e, "create")
        ]
    }
    return card if card.data["links"] else None


def _qualified(ref: str, app: str) -> str:
    return ref if "." in ref else f"{app}.{ref}"
