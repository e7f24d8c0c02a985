"""What every portal page needs: the services, the entity named in the URL, the site's
time zone, and the helpers templates call."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from flask import current_app
from flask import g
from flask import request
from flask import url_for
from werkzeug.exceptions import NotFound

from loom.metadata.catalog import Entity
from loom.metadata.catalog import Field

from ..api.auth import csrf_token
from ..flows.inbox import Inbox
from ..records.errors import FieldError
from ..records.schemas import MAX_ID
from ..services import Services
from . import widgets
from . import wording
from .i18n import current_lang
from .i18n import label

MAX_PAGE = 100_000


# The pages that show the phone's tab bar (首页, 审批, 通知, 搜索, 我的): the top level only.
TAB_PAGES = frozenset(
    {
        "web.launcher.home",
        "web.launcher.apps",
        "web.inbox.index",
        "web.notifications.index",
        "web.search.index",
        "web.me.index",
    }
)


def services() -> Services:
    return current_app.extensions["loom"]


def site_zone() -> ZoneInfo:
    return services().records.schemas.tz


def entity_or_404(app: str, entity: str) -> Entity:
    """A top-level entity of an installed app (child tables have no pages of their own)."""
    found = services().runtime.catalog.entities.get(f"{app}.{entity}")
    if found is None or found.child:
        raise NotFound()
    return found


def record_id_or_404(record_id: int) -> int:
    if record_id > MAX_ID:
        raise NotFound()
    return record_id


def page_number() -> int:
    """The ``page`` asked for, 1 when it is missing or not a page number."""
    raw = request.args.get("page", "1")
    return min(int(raw), MAX_PAGE) if raw.isdigit() and int(raw) > 0 else 1


def readable(entity: Entity) -> bool:
    return services().records.access.permissions.decide(g.actor, entity, "read").allowed


def may(entity: Entity, operation: str) -> bool:
    return services().records.access.permissions.decide(g.actor, entity, operation).allowed


def error_messages(errors: list[FieldError]) -> dict[str, str]:
    """Errors keyed by the input they belong to: ``title``, ``lines-0-amount``, ``_record``."""
    lang = current_lang()
    shown: dict[str, str] = {}
    for error in errors:
        parts = error.field.split(".")
        key = parts[0]
        if len(parts) >= 3 and parts[1].isdigit():
            key = "-".join(parts[:3])
        shown.setdefault(key, error.message(lang))
    return shown


def install_template_helpers(app: Flask) -> None:
    """Functions and values every portal template may use."""

    @app.context_processor
    def helpers() -> dict[str, Any]:
        if not _is_portal_request():
            return {}
        actor = g.get("actor")
        return {
            "label": label,
            "lang": current_lang(),
            "csrf_token": csrf_token,
            "widget": widgets.widget,
            "is_multiple": widgets.is_multiple,
            "is_computed": widgets.is_computed,
            "input_value": lambda field, value: widgets.input_value(field, value, site_zone()),
            "parts_of": widgets.parts_of,
            "money_sign": lambda field: widgets.money_sign(field.currency)[1],
            "option_selected": _option_selected,
            # Called by the navigation bar only, so partial pages (htmx answers) cost no query.
            "nav_counts": _nav_counts,
            "actor": actor,
            "text_of": lambda field, value, refs: widgets.as_text(field, value, refs.title, site_zone()),
            "computed_text": lambda field, value: widgets.as_text(
                field, value, widgets.bare_title, site_zone()
            ),
            "page_link": _page_link,
            "tab_pages": TAB_PAGES,
            "moment": _moment,
            **wording.helpers(),
        }


def _nav_counts() -> dict[str, int]:
    """Open tasks and unread notifications for the badges, counted once per page (the top bar
    and the phone's tab bar both show them)."""
    actor = g.get("actor")
    if actor is None:
        return {"todo": 0, "unread": 0}
    if "nav_counts" not in g:
        g.nav_counts = Inbox(services().runtime).counts(actor)
    return g.nav_counts


def _moment(value: Any) -> str:
    """A point in time in the site's zone, to the minute."""
    if not isinstance(value, dt.datetime):
        return "" if value is None else str(value)
    return widgets.local_time(value, site_zone()).strftime("%Y-%m-%d %H:%M")


def _page_link(page: int) -> str:
    """The current page of a paged view with another page number."""
    args: dict[str, Any] = {**request.args.to_dict(), "page": max(page, 1)}
    return url_for(request.endpoint or "web.launcher.home", **(request.view_args or {}), **args)


def _option_selected(field: Field, value: Any, key: str) -> bool:
    values = value if isinstance(value, list) else [value]
    return key in [str(v) for v in values if v is not None]


def _is_portal_request() -> bool:
    return bool(request.blueprint and request.blueprint.startswith(("web", "designer")))
