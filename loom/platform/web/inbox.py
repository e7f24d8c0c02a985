"""The approval inbox: to do, done, copied to me, started by me, with each box's size."""

from __future__ import annotations

from flask import Blueprint
from flask import render_template
from flask import request

from ..flows.inbox import BOXES
from ..flows.inbox import Inbox
from .auth import actor
from .portal import page_number
from .portal import services
from .portal import site_zone
from .references import References
from .summary import summary_text
from .summary import want_summary_titles

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
    catalog = services().runtime.catalog
    want_summary_titles(catalog, found["items"], refs)
    return render_template(
        "inbox.html",
        box=box,
        boxes=BOXES,
        sizes=sizes,
        items=found["items"],
        page=page,
        pages=max(1, -(-found["total"] // PAGE_SIZE)),
        refs=refs,
        entity_of=lambda name: catalog.entities.get(name),
        flow_of=lambda name: catalog.definitions.get(("flow", name)),
        summary_of=lambda item: summary_text(
            catalog.entities.get(item["entity"]), item.get("summary_values"), refs, site_zone()
        ),
    )
