"""The calendar of an entity's records (``list.calendar``): schedules, room bookings, leave by
day, visit plans. The page is the list's head (列表 | 看板 | 日历, views, search, filters) over a
FullCalendar month, or a list of days on a phone; its script (``static/calendar.js``) asks
``calendar/events`` for the events of the days in sight.

The events are the list's records the user may read, read through the records service with the
list's view, search and filters, so 列表 and 日历 show the same records: those starting before
the range ends and ending (or, without an end, starting) on or after it starts. The range is
whole days of the site's zone, at most MAX_DAYS of them; a moment is sent as the site's wall
clock (``2026-03-10T09:00``), which the calendar shows as it is, wherever the browser is.

Dragging an event to other days (or stretching it) is an update of its start and end through
the records service with the event's version, as a board's move: permissions, locks, rules and
automations hold as on the form, and a refused move changes nothing and says why.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from typing import Any

from flask import Blueprint
from flask import Response
from flask import jsonify
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from werkzeug.exceptions import NotFound

from loom.metadata.catalog import Entity
from loom.metadata.catalog import Field
from loom.metadata.catalog import ListCalendar

from ..fieldtypes.moments import local_time
from ..records.errors import RecordError
from ..records.query import Condition
from .auth import actor
from .board import REFUSED
from .board import refusal
from .cards import CHIP_COLORS
from .cards import card_of
from .i18n import current_lang
from .i18n import label
from .lists import active_filters
from .lists import active_personal
from .lists import active_view
from .lists import display_args
from .lists import drill_parameters
from .lists import flow_status_field
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
from .references import References
from .summary import Reader
from .summary import template_text
from .widgets import as_cell

bp = Blueprint("calendar", __name__)
MAX_DAYS = 62  # a month grid asks for six weeks; two months is the most any view needs
MAX_EVENTS = 500  # the records service's largest page
HEX_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
DAY = dt.timedelta(days=1)
# Days whose midnight is a moment in every zone (year 1's would fall before the first UTC day).
EARLIEST, LATEST = dt.date(1900, 1, 1), dt.date(9999, 12, 1)


class BadRange(ValueError):
    """The events were asked for without a valid range of days."""


@bp.get("/<app>/<entity>/calendar")
def index(app: str, entity: str) -> str:
    found = entity_or_404(app, entity)
    calendar = _calendar_or_404(found)
    services().records.access.require(actor(), found, "read")
    views = services().records.offered_views(found.qualified_name, actor())
    active = active_view(views)
    mine = personal_views(found)
    kept = display_args()
    return render_template(
        "calendar.html",
        entity=found,
        calendar=calendar,
        kind=found.field(calendar.start).type,
        has_end=calendar.end is not None,
        max_events=MAX_EVENTS,
        may_move=_movable(found, calendar),
        events=url_for("web.calendar.events", app=app, entity=entity, **kept),
        initial=_day(request.args.get("on")),
        now=_wall_clock(),
        filters=list_filters(found),
        active_filters=active_filters(found),
        refs=References(services(), actor()),
        error=None,
        may_create=may(found, "create"),
        may_export=may(found, "export"),
        drill=drill_parameters(found),
        kept_args=kept,
        legend=legend(found, calendar),
        tabs=view_tabs(found, views, active, mine),
        view=active,
        mine=active_personal(mine),
    )


@bp.post("/<app>/<entity>/calendar/move")
def move(app: str, entity: str) -> Response:
    """Set one record's start (and end) to where its event was dragged: ``start`` and ``end``
    as FullCalendar has them (days, ``end`` the day after the last; or the site's wall clock).
    JSON ``{ok}``, or ``{ok: false, status, message}`` with 200 for a refusal, as the board's."""
    found = entity_or_404(app, entity)
    calendar = _calendar_or_404(found)
    record_id = record_id_or_404(_number(request.form.get("record")) or 0)
    try:
        values = _moved(found, calendar, request.form.get("start", ""), request.form.get("end", ""))
    except BadRange as bad:
        return jsonify({"ok": False, "status": 400, "message": str(bad)})
    try:
        services().records.update(
            found.qualified_name, record_id, values, actor(), version=_number(request.form.get("version"))
        )
    except RecordError as error:
        status = next((code for kind, code in REFUSED.items() if isinstance(error, kind)), 409)
        return jsonify({"ok": False, "status": status, "message": refusal(error)})
    return jsonify({"ok": True})


@bp.get("/<app>/<entity>/calendar/events")
def events(app: str, entity: str) -> Response | tuple[Response, int]:
    """The events from ``from`` to ``to`` (days, ``to`` not included) as FullCalendar reads
    them; a missing, malformed or too long range, or a filter the list would refuse, is a 400
    with the reason."""
    found = entity_or_404(app, entity)
    calendar = _calendar_or_404(found)
    services().records.access.require(actor(), found, "read")
    try:
        first, last = _range()
    except BadRange as bad:
        return jsonify({"message": str(bad)}), 400
    hidden = services().records.access.hidden(actor(), found)
    if calendar.start in hidden:
        return jsonify({"events": [], "more": False})
    end = calendar.end if calendar.end and calendar.end not in hidden else None
    try:
        rows, more = _records(found, calendar, end, first, last, hidden)
    except RecordError as refused:
        errors = getattr(refused, "errors", None) or [refused]
        return jsonify({"message": "; ".join(e.message(current_lang()) for e in errors)}), 400
    refs = References(services(), actor()).load(found, rows)
    reader = Reader.of(services(), current_lang())
    title = _title_field(found, hidden)
    shown = [_event(found, calendar, end, row, refs, reader, title, hidden) for row in rows]
    return jsonify({"events": shown, "more": more})


def _moved(entity: Entity, calendar: ListCalendar, start: str, end: str) -> dict[str, str]:
    """The start and end fields' new values: days (the last one the day before FullCalendar's
    end), or moments of the site's zone; an event without an end keeps none."""
    kind = entity.field(calendar.start).type
    try:
        if kind == "date":
            first = dt.date.fromisoformat(start[:10])
            last = dt.date.fromisoformat(end[:10]) - DAY if end else first
            moved = {calendar.start: first.isoformat(), calendar.end or "": last.isoformat()}
        else:
            zone = site_zone()
            begins = dt.datetime.fromisoformat(start[:16]).replace(tzinfo=zone)
            ends = dt.datetime.fromisoformat(end[:16]).replace(tzinfo=zone) if end else None
            moved = {calendar.start: begins.isoformat(), calendar.end or "": ends.isoformat() if ends else ""}
    except ValueError:
        raise BadRange(_("The new days could not be read.")) from None
    if not all(EARLIEST.isoformat() <= value[:10] <= LATEST.isoformat() for value in moved.values() if value):
        raise BadRange(_("The new days could not be read."))
    return {name: value for name, value in moved.items() if name and value}


def _number(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() else None


def _wall_clock() -> str:
    """The site's current time as its clocks show it, for the calendar's today."""
    now = local_time(services().records.clock(), site_zone())
    return now.replace(tzinfo=None).isoformat("T", "minutes")


def _movable(entity: Entity, calendar: ListCalendar) -> bool:
    """Whether the user's events may be dragged: they may write, and see the start and end."""
    hidden = services().records.access.hidden(actor(), entity)
    return may(entity, "write") and not {calendar.start, calendar.end} & hidden


def _calendar_or_404(entity: Entity) -> ListCalendar:
    if entity.list.calendar is None:
        raise NotFound()
    return entity.list.calendar


def _day(raw: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw or "")
    except ValueError:
        return None


def _range() -> tuple[dt.date, dt.date]:
    """``from`` and ``to`` as days (a moment's day is taken as written: FullCalendar sends its
    range's midnights), ``to`` after ``from``, at most MAX_DAYS later, both in years a moment
    can hold in any zone."""
    first, last = (_day((request.args.get(key) or "")[:10]) for key in ("from", "to"))
    if first is None or last is None or not EARLIEST <= first < last <= LATEST:
        raise BadRange(_("The calendar asks for its days as from and to, each as YYYY-MM-DD."))
    if (last - first).days > MAX_DAYS:
        raise BadRange(_("The calendar shows from 1 to %(days)s days at once.", days=MAX_DAYS))
    return first, last


def _bound(kind: str, day: dt.date) -> str:
    """A range's edge as a filter value: the day, or its midnight in the site's zone."""
    return day.isoformat() if kind == "date" else f"{day.isoformat()}T00:00:00"


def _records(
    entity: Entity,
    calendar: ListCalendar,
    end: str | None,
    first: dt.date,
    last: dt.date,
    hidden: frozenset[str],
) -> tuple[list[dict[str, Any]], bool]:
    """The records on the days from ``first`` to ``last`` (not included) in start order, and
    whether there were more than MAX_EVENTS. Without an end, or with an empty one, an event
    takes its start's day."""
    kind = entity.field(calendar.start).type
    names = (
        calendar.start,
        *((end,) if end else ()),
        *((calendar.color,) if calendar.color else ()),
        *(name for name in (calendar.event_color, calendar.all_day) if name),
        *sorted(calendar.title_fields),
        *((entity.title_field,) if entity.title_field else ()),
        *(c.name for c in list_columns(entity)[:1]),
        "id",
        "version",
    )
    names = tuple(n for n in dict.fromkeys(names) if n not in hidden)
    base = replace(list_query(entity, names, MAX_EVENTS), page=1, sort=(calendar.start, "id"))
    before = Condition(calendar.start, "lt", _bound(kind, last))
    since = Condition(calendar.start, "gte", _bound(kind, first))
    queries: list[tuple[Condition, ...]] = [(before, since)]
    if end:
        ending = Condition(end, "gte", _bound(kind, first))
        queries = [(before, ending), (before, since, Condition(end, "is_null", True))]
    rows: list[dict[str, Any]] = []
    more = False
    for conditions in queries:
        query = replace(base, filters=(*base.filters, *conditions))
        page = services().records.list(entity.qualified_name, query, actor())
        rows += page.records
        more = more or page.next_cursor is not None or (page.total or 0) > len(page.records)
    rows.sort(key=lambda r: (str(r.get(calendar.start)), r["id"]))
    return rows[:MAX_EVENTS], more or len(rows) > MAX_EVENTS


def _title_field(entity: Entity, hidden: frozenset[str]) -> Field | None:
    """What an event without a title template reads as: the record's card title."""
    columns = list_columns(entity)
    return card_of(entity, columns[:1], lambda name: shown_field(entity, name, hidden)).title


def _event(
    entity: Entity,
    calendar: ListCalendar,
    end: str | None,
    row: dict[str, Any],
    refs: References,
    reader: Reader,
    title: Field | None,
    hidden: frozenset[str],
) -> dict[str, Any]:
    """One record as a FullCalendar event: whole days (the end day included, so the day
    after as FullCalendar's end) or the site's wall-clock times."""
    start, finish = row[calendar.start], row.get(end) if end else None
    whole_days = bool(calendar.all_day and row.get(calendar.all_day) is True)
    if whole_days and isinstance(start, dt.datetime):
        start = local_time(start, reader.tz).date()
        finish = local_time(finish, reader.tz).date() if isinstance(finish, dt.datetime) else None
    if entity.field(calendar.start).type == "date" or whole_days:
        last = finish if isinstance(finish, dt.date) and finish >= start else start
        timing = {"start": start.isoformat(), "end": (last + DAY).isoformat(), "allDay": True}
    else:
        zone = reader.tz
        begins = local_time(start, zone).replace(tzinfo=None)
        ends = local_time(finish, zone).replace(tzinfo=None) if isinstance(finish, dt.datetime) else None
        timing = {
            "start": begins.isoformat(timespec="minutes"),
            "end": ends.isoformat(timespec="minutes") if ends and ends > begins else None,
            "allDay": False,
        }
    text = template_text(entity, calendar.title, row, refs, reader) if calendar.title else ""
    if not text and title is not None:
        text = as_cell(title, row.get(title.name), refs.title, reader.tz)
    color = calendar.color if calendar.color and calendar.color not in hidden else None
    own = calendar.event_color if calendar.event_color and calendar.event_color not in hidden else None
    return {
        "id": str(row["id"]),
        "title": text or entity.label.get(reader.lang),
        **timing,
        "version": row.get("version"),
        "url": url_for("web.records.show", app=entity.app, entity=entity.name, record_id=row["id"]),
        "classNames": ["loom-event", _tint(entity, color, row.get(color or ""))],
        **_painted(row.get(own or "")),
    }


def _painted(value: Any) -> dict[str, str]:
    """A record's own colour (``#rrggbb``) for its event, with black or white text, whichever
    contrasts more; nothing for an empty or malformed value (the option's tint stays)."""
    if not isinstance(value, str) or not HEX_COLOR.fullmatch(value):
        return {}
    return {"backgroundColor": value, "borderColor": value, "textColor": _text_on(value)}


def _text_on(background: str) -> str:
    """Black or white: the text colour with the higher WCAG contrast on ``background``."""

    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(background[i : i + 2]) for i in (1, 3, 5))
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    return "#000000" if (luminance + 0.05) / 0.05 > 1.05 / (luminance + 0.05) else "#ffffff"


def legend(entity: Entity, calendar: ListCalendar) -> list[tuple[str, str]]:
    """The calendar's legend (图例): each option of its colour field (or each approval status)
    with its event class; none when the events are not tinted or the user may not see why."""
    color = calendar.color
    if color is None or color in services().records.access.hidden(actor(), entity):
        return []
    field = flow_status_field() if color == "flow_status" else entity.field(color)
    return [(label(o.label), _tint(entity, color, o.key)) for o in field.options]


def _tint(entity: Entity, color: str | None, value: Any) -> str:
    """The event's colour class: the approval status's, or its option's colour."""
    if color == "flow_status":
        known = isinstance(value, str) and value.isidentifier()
        return f"loom-event-status-{value}" if known else "loom-event-plain"
    if color is None:
        return "loom-event-plain"
    option = next((o for o in entity.field(color).options if o.key == value), None)
    shade = option.color if option and option.color in CHIP_COLORS else "plain"
    return f"loom-event-{shade}"
