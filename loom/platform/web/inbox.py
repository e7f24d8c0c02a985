"""The approval inbox: to do, done, copied to me, started by me, with each box's size.

Each item reads as a card: who asked for what (杨磊提交的请假申请), the record's summary line,
the step it is at and how long ago it arrived.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Blueprint
from flask import render_template
from flask import request

from loom.metadata.catalog import Label

from ..flows.inbox import BOXES
from ..flows.inbox import Inbox
from .auth import actor
from .i18n import current_lang
from .i18n import label
from .moments import ago
from .portal import page_number
from .portal import services
from .records import node_labels
from .references import References
from .summary import Reader
from .summary import headline
from .summary import summary_text
from .summary import want_summary_titles
from .timeline import initials

bp = Blueprint("inbox", __name__)
PAGE_SIZE = 20


@bp.get("/inbox")
def index() -> str:
    box = request.args.get("box", "todo")
    box = box if box in BOXES else "todo"
    page = page_number()
    inbox = Inbox(services().runtime)
    found = inbox.items(actor(), box, page=page, page_size=PAGE_SIZE)
    sizes = {b: found["total"] if b == box else inbox.items(actor(), b, page_size=1)["total"] for b in BOXES}
    refs = References(services(), actor()).want("user", [i.get("initiator_id") for i in found["items"]])
    want_summary_titles(services().runtime.catalog, found["items"], refs)
    reader = Reader.of(services(), current_lang())
    nodes_of = functools.cache(node_labels)  # one walk of each flow listed
    return render_template(
        "inbox.html",
        box=box,
        boxes=BOXES,
        sizes=sizes,
        items=[card(item, refs, reader, nodes_of) for item in found["items"]],
        page=page,
        pages=max(1, -(-found["total"] // PAGE_SIZE)),
    )


def card(
    item: dict[str, Any], refs: References, reader: Reader, nodes_of: Callable[[str], dict[str, Label]]
) -> dict[str, Any]:
    """What an inbox card shows of one task or approval (``nodes_of``: a flow's node labels)."""
    entity = services().runtime.catalog.entities.get(item["entity"])
    initiator = refs.name("user", item.get("initiator_id"))
    arrived = item.get("created_at") or item.get("started_at")
    node = item.get("node")
    return {
        **item,
        "app_name": item["entity"].split(".", 1)[0],
        "entity_name": item["entity"].split(".", 1)[1],
        "asked": headline(entity, initiator, reader) if entity else item["entity"],
        "initials": initials(initiator),
        "line": summary_text(entity, item.get("summary_values"), refs, reader),
        "step": label(nodes_of(item["flow"]).get(node)) or node if node else "",
        "when": ago(arrived, reader.now, reader.tz, reader.lang) if arrived else "",
    }
