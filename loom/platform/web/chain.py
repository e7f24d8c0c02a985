"""The approval chain on a form: who will approve, shown before submitting and as it is typed.

DingTalk shows the chain under the form and redraws it as amounts change; here the form posts
what is typed so far and gets the chain the real engine would give (flows/simulate.py), so the
preview cannot disagree with the submit. Until the form would save, it says what is missing.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask import render_template
from werkzeug.exceptions import NotFound

from loom.metadata.catalog import Label

from ..flows import simulate
from ..records.errors import RecordError
from ..records.errors import ValidationFailed
from .auth import actor
from .chosen import posted_chosen
from .forms import existing_for_state
from .forms import read_post
from .i18n import current_lang
from .portal import entity_or_404
from .portal import services
from .timeline import initials

bp = Blueprint("chain", __name__)


@bp.post("/<app>/<entity>/flow-preview")
def preview(app: str, entity: str) -> str:
    found = entity_or_404(app, entity)
    if not found.has_flow:
        raise NotFound()
    existing = existing_for_state(found)
    _values, errors, _state, data = read_post(found, existing)
    context: dict[str, Any] = {"me": actor().name or actor().login}
    try:
        if errors:
            raise ValidationFailed(errors)
        record_id = existing["id"] if existing else None
        chosen = posted_chosen(found)
        chain = simulate.preview(services(), found.qualified_name, data, actor(), chosen, record_id)
        context["steps"] = [_step(s) for s in chain["steps"] if s["kind"] != "branch"]
    except ValidationFailed as failed:
        unchosen = all(e.field.startswith("chosen.") for e in failed.errors)
        context["choose" if unchosen else "incomplete"] = True
    except RecordError as refused:
        context["problem"] = refused.message(current_lang())
    return render_template("partials/flow_preview.html", initials=initials, **context)


def _step(step: dict[str, Any]) -> dict[str, Any]:
    return {
        "node": step["node"],
        "label": Label.of(step["label"], step["node"]),
        "kind": step["kind"],
        "people": [(u["name"], initials(u["name"])) for u in step["users"]],
        "notes": [note["code"] for note in step["notes"]],
    }
