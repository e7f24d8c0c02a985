"""The designer's history (修改记录): what was published, by whom and when, what each publish
changed in plain words (differences.py), and 回滚 to any earlier state. A rollback publishes the
earlier documents again as a new revision (loom/platform/revisions/publish.py), so fields removed
since come back with their archived values, and fields added since are retired with theirs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from zoneinfo import ZoneInfo

from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import Connection
from sqlalchemy import select
from werkzeug.wrappers import Response

from loom.platform.revisions import publish as pipeline
from loom.platform.revisions import store
from loom.platform.web import auth
from loom.platform.web.i18n import current_lang
from loom.platform.web.portal import services

from . import differences
from . import wording
from .views import _site
from .views import bp


@bp.get("/history")
def history() -> str:
    return _page()


@bp.post("/history/<int:revision_id>/rollback")
def rollback(revision_id: int) -> Response | tuple[str, int]:
    """Publish the documents of ``revision_id`` again, on the head the page was shown with."""
    parent = request.form.get("parent", "")
    if not parent.isdigit() or len(parent) > 15:
        return _page(_("Reload the page, then roll back.")), 422
    try:
        landed = pipeline.rollback(
            _site(), services().runtime.engine, revision_id, parent=int(parent), author_id=auth.actor().id
        )
    except pipeline.Conflict:
        return _page(_("Someone published another change meanwhile: look at the list again.")), 409
    except pipeline.NeedsConfirmation as exc:
        return _page(wording.refusals(exc.plan)), 422
    except pipeline.PublishError as exc:
        return _page(str(exc)), 422
    return redirect(url_for("designer.history", rolled=landed.id))


def _page(problem: str = "") -> str:
    engine = services().runtime.engine
    users = services().identity.users
    with engine.connect() as conn:
        revisions = store.history(conn)
        names = dict(conn.execute(select(users.c.id, users.c.name)).all())
        changed = _changed(conn, revisions)
    return render_template(
        "designer/history.html",
        revisions=revisions,
        head=store.head(engine),
        names=names,
        changed=changed,
        problem=problem,
        rolled=request.args.get("rolled", ""),
        when=_clock_time,
    )


def _changed(conn: Connection, revisions: list[store.Revision]) -> dict[int, list[str]]:
    """What each of ``revisions`` changed from the revision it was published on, in words."""
    runtime = services().runtime
    names = differences.Names(runtime.catalog, lambda: _site().load_metadata().catalog, current_lang())
    documents: dict[int, Mapping[str, str]] = {}

    def of(number: int) -> Mapping[str, str]:
        if number not in documents:
            found = store.get(conn, number)
            documents[number] = found.documents if found is not None else {}
        return documents[number]

    return {r.id: differences.described(of(r.parent), of(r.id), names) for r in revisions}


def _clock_time(moment: dt.datetime | None) -> str:
    """When a revision was published, on the site's clock (stored in UTC)."""
    if moment is None:
        return ""
    zone = ZoneInfo(_site().settings.time_zone)
    return (
        (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC))
        .astimezone(zone)
        .strftime("%Y-%m-%d %H:%M")
    )
