"""The approval inbox: to do, done, copied to me, started by me, with each box's size.

Each item reads as a card: who asked for what (杨磊提交的请假申请), the record's summary line,
the step it is at and how long ago it arrived.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any

from flask import Blueprint
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from loom.metadata.catalog import Label

from ..flows.inbox import BOXES
from ..flows.inbox import Inbox
from ..flows.inbox import Narrowing
from ..limits import BATCH_TASKS
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
PERIODS = {  # the inbox's time filter: what arrived today, or in the last 7 or 30 days
    "today": (_l("Today"), 0),
    "week": (_l("Last 7 days"), 6),
    "month": (_l("Last 30 days"), 29),
}


@bp.get("/inbox")
def index() -> str:
    box = request.args.get("box", "todo")
    box = box if box in BOXES else "todo"
    page = page_number()
    inbox = Inbox(services().runtime)
    reader = Reader.of(services(), current_lang())
    facets = inbox.facets(actor(), box)
    only = _narrowing(facets, reader)
    found = inbox.items(actor(), box, page=page, page_size=PAGE_SIZE, only=only)
    sizes = {b: inbox.items(actor(), b, page_size=1)["total"] for b in BOXES}
    initiators = [i.get("initiator_id") for i in found["items"]] + facets["initiators"]
    initiators += [i["on_behalf_of"] for i in found["items"] if i.get("on_behalf_of")]
    refs = References(services(), actor()).want("user", initiators)
    want_summary_titles(services().runtime.catalog, found["items"], refs)
    nodes_of = functools.cache(node_labels)  # one walk of each flow listed
    items = [card(item, refs, reader, nodes_of) for item in found["items"]]
    return render_template(
        "inbox.html",
        box=box,
        boxes=BOXES,
        sizes=sizes,
        total=found["total"],
        items=items,
        batchable=any(i.get("batch_approve") for i in items),
        signing=any(i.get("batch_approve") and i.get("signature_required") for i in items),
        kinds=[(e, label(services().runtime.catalog.entity(e).label)) for e in facets["entities"]],
        initiators=[(u, refs.name("user", u)) for u in facets["initiators"]],
        periods=PERIODS,
        filters={k: request.args.get(k, "") for k in ("kind", "initiator", "period")},
        page=page,
        pages=max(1, -(-found["total"] // PAGE_SIZE)),
    )


@bp.post("/inbox/approve")
def approve_several() -> Response:
    """批量同意: approve the ticked tasks with one comment (and one handwritten signature, for the
    steps that require one); each task is decided on its own, so one the flow does not allow to
    batch (or no longer open) is reported and the rest go on."""
    ids = [int(v) for v in request.form.getlist("tasks") if v.isdigit()][:BATCH_TASKS]
    if not ids:
        flash(_("Tick the tasks to approve first."), "warning")
        return redirect(url_for("web.inbox.index"))
    comment = request.form.get("comment", "").strip() or None
    signature = int(request.form["signature"]) if request.form.get("signature", "").isdigit() else None
    outcomes = services().flows.batch_approve(ids, actor(), comment, signature)
    done = sum(1 for o in outcomes if o["ok"])
    if done:
        flash(_("Approved %(count)s.", count=done), "success")
    failed = len(outcomes) - done
    if failed:
        flash(_("%(count)s could not be approved together: open them one by one.", count=failed), "danger")
    return redirect(url_for("web.inbox.index"))


def _narrowing(facets: dict[str, list[Any]], reader: Reader) -> Narrowing:
    """The filters asked for, kept to what the box holds (anything else is ignored, not an error)."""
    kind = request.args.get("kind", "")
    raw = request.args.get("initiator", "")
    initiator = int(raw) if raw.isdigit() and int(raw) in facets["initiators"] else None
    days = PERIODS.get(request.args.get("period", ""), (None, None))[1]
    since = None
    if days is not None:
        since = dt.datetime.combine(reader.today - dt.timedelta(days=days), dt.time(), tzinfo=reader.tz)
    return Narrowing(entity=kind if kind in facets["entities"] else None, initiator=initiator, since=since)


def card(
    item: dict[str, Any], refs: References, reader: Reader, nodes_of: Callable[[str], dict[str, Label]]
) -> dict[str, Any]:
    """What an inbox card shows of one task or approval (``nodes_of``: a flow's node labels)."""
    entity = services().runtime.catalog.entities.get(item["entity"])
    initiator = refs.name("user", item.get("initiator_id"))
    arrived = item.get("created_at") or item.get("started_at")
    node = item.get("node")
    step = label(nodes_of(item["flow"]).get(node)) or node if node else ""
    if item.get("kind") == "revoke":  # the approver decides on a revocation, not on the record
        step = " · ".join(filter(None, [step, _("to decide on revoking")]))
    return {
        **item,
        "app_name": item["entity"].split(".", 1)[0],
        "entity_name": item["entity"].split(".", 1)[1],
        "asked": headline(entity, initiator, reader) if entity else item["entity"],
        "initials": initials(initiator),
        "line": summary_text(entity, item.get("summary_values"), refs, reader, item["flow"]),
        "step": step,
        "behalf": refs.name("user", item["on_behalf_of"]) if item.get("on_behalf_of") else "",
        "when": ago(arrived, reader.now, reader.tz, reader.lang) if arrived else "",
    }
