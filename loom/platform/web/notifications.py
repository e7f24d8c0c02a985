"""通知: the signed-in person's notifications, unread first, each a card saying what happened
(待您审批, 抄送给您, 审批结果, 有人@了您…), about which record, at which step and when; opening
one marks it read and goes to its record (where the task waits), and 全部标为已读 clears them all.

The notifications table is also the outbox of e-mail and IM senders: the kinds' words are
theirs (``SUBJECTS``), so a mail and its card say the same thing.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Blueprint
from flask import redirect
from flask import render_template
from flask import url_for
from werkzeug.wrappers import Response

from loom.metadata.catalog import Label

from ..flows.inbox import Inbox
from ..flows.senders import SUBJECTS
from .auth import actor
from .i18n import current_lang
from .i18n import label
from .moments import ago
from .portal import services
from .records import node_labels
from .references import References
from .summary import Reader
from .summary import headline
from .summary import summary_text
from .summary import want_summary_titles
from .timeline import initials
from .wording import FLOW_STATUSES

bp = Blueprint("notifications", __name__)
SHOWN = 100  # the newest notifications a page lists (unread ones first)
OTHER = {"zh": "通知", "en": "Notification"}


@bp.get("/notifications")
def index() -> str:
    found = Inbox(services().runtime).notifications_of(actor(), limit=SHOWN)
    people = [n.get("initiator_id") for n in found] + [(n["message"] or {}).get("by") for n in found]
    refs = References(services(), actor()).want("user", [p for p in people if isinstance(p, int)])
    want_summary_titles(services().runtime.catalog, found, refs)
    reader = Reader.of(services(), current_lang())
    nodes_of = functools.cache(node_labels)  # one walk of each flow listed
    cards = [card(n, refs, reader, nodes_of) for n in found]
    return render_template("notifications.html", items=cards, unread=sum(1 for c in cards if c["unread"]))


@bp.post("/notifications/<int:note_id>/open")
def open_one(note_id: int) -> Response:
    """Mark the notification read and show what it is about (the record, where a task waits)."""
    found = Inbox(services().runtime).open_notification(actor(), note_id)
    entity = services().runtime.catalog.entities.get((found or {}).get("entity") or "")
    if found is None or entity is None or found["record_id"] is None:
        return redirect(url_for("web.notifications.index"))
    target = url_for("web.records.show", app=entity.app, entity=entity.name, record_id=found["record_id"])
    return redirect(target)


@bp.post("/notifications/read")
def read_all() -> Response:
    Inbox(services().runtime).mark_read(actor())
    return redirect(url_for("web.notifications.index"))


def card(
    note: dict[str, Any], refs: References, reader: Reader, nodes_of: Callable[[str], dict[str, Label]]
) -> dict[str, Any]:
    """What a notification's card shows: the kind in words, who asked for what, the summary
    line, the step, a result or comment, who wrote it and when."""
    message = note["message"] or {}
    entity = services().runtime.catalog.entities.get(note["entity"] or "")
    initiator = refs.name("user", note["initiator_id"]) if note.get("initiator_id") else ""
    if note["kind"] == "automation":  # an automation's own words
        kind, text = label(Label.of(message.get("title"))), label(Label.of(message.get("text")))
    else:
        kind, text = SUBJECTS.get(note["kind"], OTHER)[reader.lang], message.get("comment") or ""
    node = message.get("node")
    step = label(nodes_of(message.get("flow") or "").get(node)) or node if node else ""
    outcome, by = message.get("outcome"), message.get("by")
    asked = label(entity.label) if entity else ""
    if entity and initiator:
        asked = headline(entity, initiator, reader)
    return {
        "id": note["id"],
        "unread": note["read_at"] is None,
        "kind": note["kind"],
        "what": kind,
        "asked": asked,
        "initials": initials(initiator or kind),
        "line": summary_text(entity, note.get("summary_values"), refs, reader, note.get("flow")),
        "step": step,
        "outcome": str(FLOW_STATUSES.get(outcome, outcome)) if outcome else "",
        "text": text,
        "by": refs.name("user", by) if isinstance(by, int) else "",
        "title": note.get("title"),
        "linked": entity is not None and note["record_id"] is not None,
        "when": ago(note["at"], reader.now, reader.tz, reader.lang),
    }
