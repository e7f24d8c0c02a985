"""The designer's pages: the site's apps and forms, and the page that builds a new form.

Every button of the new-form page posts the whole design back (design.py); ``check`` runs
the publish pipeline's draft (validate and plan, nothing applied) and ``publish`` publishes,
on the revision the page was checked on, so a publish made meanwhile by someone else is
refused as a conflict rather than overwritten.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from functools import partial
from typing import Any

from flask import Blueprint
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import func
from sqlalchemy import select
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from loom.metadata import Problem
from loom.metadata.catalog import Entity
from loom.platform.migrations import Plan
from loom.platform.records.errors import PermissionDenied
from loom.platform.revisions import publish as pipeline
from loom.platform.revisions import store
from loom.platform.site import Site
from loom.platform.web import auth
from loom.platform.web import errors
from loom.platform.web.i18n import current_lang
from loom.platform.web.i18n import label
from loom.platform.web.portal import entity_or_404
from loom.platform.web.portal import services

from . import change as changes
from . import design as designs
from . import wording

bp = Blueprint("designer", __name__, url_prefix="/designer", template_folder="templates")
errors.install(bp)  # error pages as the portal shows them, in the user's language
MAX_MESSAGE = 200


@bp.before_request
def admins_only() -> Response | None:
    """Signed-in (the portal's guard: language, session, CSRF on posts), then an admin."""
    answer = auth.guard()
    if answer is not None:
        return answer
    actor = auth.actor()
    if not actor.is_admin:
        raise PermissionDenied()
    return None


@bp.get("")
def index() -> str:
    catalog = services().runtime.catalog
    made_here = set(_site_apps())
    apps = [
        (
            app,
            [e for e in catalog.entities.values() if e.app == app.name and not e.child],
            app.name in made_here,
        )
        for app in catalog.apps.values()
    ]
    apps.sort(key=lambda row: not row[2])  # the site's own apps first: they are the ones it designs
    return render_template("designer/index.html", apps=apps)


@bp.route("/new", methods=["GET", "POST"])
def new() -> Response | str | tuple[str, int]:
    site_apps = _site_apps()
    if request.method == "GET":
        first = next(iter(site_apps), "")
        start = designs.FormDesign(app=first, fields=[designs.FieldDesign(type="string")])
        return _editor(start, site_apps, parent=store.current(services().runtime.engine).id)
    design = designs.from_form(request.form)
    action = request.form.get("action", "check")
    parent = request.form.get("parent", "")
    if action not in ("check", "publish"):
        return _editor(designs.edit(design, action), site_apps, parent=parent)
    catalog = services().runtime.catalog
    found = designs.mistakes(design, site_apps, set(catalog.apps), set(catalog.entities), _link_targets())
    if found:
        return _editor(design, site_apps, parent=parent, mistakes=found), 422
    if action == "check":
        return _checked(design, site_apps)
    return _publish(design, site_apps, parent)


@bp.get("/published/<app>/<entity>")
def published(app: str, entity: str) -> str:
    return render_template("designer/published.html", entity=entity_or_404(app, entity))


def _checked(design: designs.FormDesign, site_apps: dict[str, Any]) -> tuple[str, int] | str:
    return _check(
        designs.documents(design, store.current(services().runtime.engine).documents),
        partial(_editor, design, site_apps),
        partial(wording.problems, design=design),
        partial(wording.plan, design=design),
    )


def _publish(
    design: designs.FormDesign, site_apps: dict[str, Any], parent: str
) -> Response | tuple[str, int]:
    return _publish_documents(
        designs.documents(design, store.current(services().runtime.engine).documents),
        parent,
        _("New form %(name)s", name=design.label_zh),
        partial(_editor, design, site_apps),
        partial(wording.problems, design=design),
        url_for("designer.published", app=design.app_name, entity=design.entity_name),
    )


@bp.route("/forms/<app>/<entity>", methods=["GET", "POST"])
def change_form(app: str, entity: str) -> Response | str | tuple[str, int]:
    """Change a form that exists: rename fields, make them (not) required, add new ones."""
    form = entity_or_404(app, entity)
    if request.method == "GET":
        return _changer(changes.start(form), form, parent=store.current(services().runtime.engine).id)
    change = changes.from_form(form, request.form)
    action = request.form.get("action", "check")
    parent = request.form.get("parent", "")
    if action not in ("check", "publish"):
        return _changer(changes.edit(change, action), form, parent=parent)
    found = changes.mistakes(change)
    if not found and changes.is_empty(change, form):
        found[""] = _("Nothing is changed yet: rename a field, change what is required or add a field.")
    if found:
        return _changer(change, form, parent=parent, mistakes=found), 422
    documents = changes.documents(change, form, store.current(services().runtime.engine).documents)
    held = _held(form, [f.name for f in change.removed()])
    render = partial(_changer, change, form, held=held)
    planned = partial(wording.change_plan, change=change, held=held)
    if action == "check":
        return _check(documents, render, wording.problems, planned)
    if change.removed() and request.form.get("confirm-remove") != "on":
        said = _("Tick the confirmation to remove fields: their values are archived.")
        page = _check(
            documents, partial(render, mistakes={"confirm-remove": said, "": said}), wording.problems, planned
        )
        return (page, 422) if isinstance(page, str) else page
    message = _("Changed form %(name)s", name=label(form.label))
    done = url_for("designer.published", app=app, entity=entity)
    return _publish_documents(documents, parent, message, render, wording.problems, done)


def _check(
    documents: dict[str, str],
    render: Callable[..., str],
    located: Callable[[Iterable[Problem]], dict[str, str]],
    planned: Callable[[Plan], list[str]],
) -> tuple[str, int] | str:
    """Validate and plan the documents (nothing applied), and show the page with the outcome."""
    checked = pipeline.draft(_site(), services().runtime.engine, documents)
    if checked.problems:
        return render(parent=checked.base.id, mistakes=located(checked.problems)), 422
    assert checked.plan is not None
    return render(parent=checked.base.id, plan=planned(checked.plan), ready=checked.ok)


def _publish_documents(
    documents: dict[str, str],
    parent: str,
    default_message: str,
    render: Callable[..., str],
    located: Callable[[Iterable[Problem]], dict[str, str]],
    done: str,
) -> Response | tuple[str, int]:
    """Publish on the revision the page was checked on; a refusal shows the page again, saying why."""
    message = request.form.get("message", "").strip()[:MAX_MESSAGE] or default_message
    if not parent.isdigit() or len(parent) > 15:
        return render(parent="", mistakes={"": _("Check the form before publishing it.")}), 422
    try:
        pipeline.publish(
            _site(),
            services().runtime.engine,
            documents,
            parent=int(parent),
            author_id=auth.actor().id,
            message=message,
        )
    except pipeline.Conflict as exc:
        said = _("Someone published another change meanwhile: check the form again, then publish.")
        return render(parent=exc.head, mistakes={"": said}), 409
    except pipeline.Invalid as exc:
        return render(parent=parent, mistakes=located(exc.problems)), 422
    except pipeline.NeedsConfirmation as exc:
        return render(parent=parent, mistakes={"": wording.refusals(exc.plan)}), 422
    return redirect(done)


def _held(form: Entity, names: list[str]) -> dict[str, int]:
    """How many records hold a value in each of the fields named (those being removed)."""
    if not names:
        return {}
    table = services().runtime.schema.of(form.qualified_name).table
    with services().runtime.engine.connect() as conn:
        return {
            name: conn.execute(select(func.count()).where(table.c[name].isnot(None))).scalar_one()
            for name in names
            if name in table.c
        }


def _changer(change: changes.FormChange, form: Entity, **shown: Any) -> str:
    return render_template(
        "designer/change.html",
        change=change,
        form=form,
        palette={kind: designs.PALETTE[kind] for kind in changes.KINDS},
        type_names=designs.TYPE_NAMES,
        mistakes=shown.pop("mistakes", {}),
        default_message=_("Changed form %(name)s", name=label(form.label)),
        **shown,
    )


def _editor(design: designs.FormDesign, site_apps: dict[str, Any], **shown: Any) -> str:
    return render_template(
        "designer/new.html",
        design=design,
        site_apps=site_apps,
        palette=designs.PALETTE,
        column_types={kind: designs.PALETTE[kind][0] for kind in designs.COLUMN_TYPES},
        targets=_link_targets(),
        ticks=_ticks(design),
        mistakes=shown.pop("mistakes", {}),
        default_message=_("New form %(name)s", name=design.label_zh) if design.label_zh else "",
        **shown,
    )


def _link_targets() -> dict[str, str]:
    """The forms a link may point to, qualified name → what the picker says (印章（用印管理）):
    every form of every app but the detail tables' rows, the site's own apps first."""
    catalog = services().runtime.catalog
    made_here = set(_site_apps())
    forms = sorted(
        (e for e in catalog.entities.values() if not e.child),
        key=lambda e: (e.app not in made_here, e.app, e.name),
    )
    return {
        e.qualified_name: _("%(form)s (%(app)s)", form=label(e.label), app=label(catalog.apps[e.app].label))
        if e.app in catalog.apps
        else label(e.label)
        for e in forms
    }


def _ticks(design: designs.FormDesign) -> list[tuple[str, str]]:
    """The display conditions a field may have: (yes/no field's name, "only when 对外 is ticked")."""
    names = design.names_by_row()
    english = current_lang() == "en"
    return [
        (names[n], _("Only when %(name)s is ticked", name=(english and r.label_en) or r.label_zh or names[n]))
        for n, r in enumerate(design.fields)
        if r.type == "boolean"
    ]


def _site_apps() -> dict[str, Any]:
    """The apps made on this site (in the published layer): name → label. Only they take new
    forms here; a form added to an installed app would be an overlay, which comes later."""
    documents = store.current(services().runtime.engine).documents
    apps = services().runtime.catalog.apps
    names = sorted({path.split("/")[1] for path in documents if path.startswith("apps/")})
    return {name: label(apps[name].label) if name in apps else name for name in names}


def _site() -> Site:
    site = services().runtime.site
    if site is None:
        raise NotFound()
    return site
