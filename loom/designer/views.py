"""The designer's pages: the site's apps and forms, and the page that builds a new form.

Every button of the new-form page posts the whole design back (design.py); ``check`` runs
the publish pipeline's draft (validate and plan, nothing applied) and ``publish`` publishes,
on the revision the page was checked on, so a publish made meanwhile by someone else is
refused as a conflict rather than overwritten.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from loom.platform.records.errors import PermissionDenied
from loom.platform.revisions import publish as pipeline
from loom.platform.revisions import store
from loom.platform.site import Site
from loom.platform.web import auth
from loom.platform.web import errors
from loom.platform.web.i18n import label
from loom.platform.web.portal import entity_or_404
from loom.platform.web.portal import services

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
    found = designs.mistakes(design, site_apps, set(catalog.apps), set(catalog.entities))
    if found:
        return _editor(design, site_apps, parent=parent, mistakes=found), 422
    if action == "check":
        return _checked(design, site_apps)
    return _publish(design, site_apps, parent)


@bp.get("/published/<app>/<entity>")
def published(app: str, entity: str) -> str:
    return render_template("designer/published.html", entity=entity_or_404(app, entity))


def _checked(design: designs.FormDesign, site_apps: dict[str, Any]) -> tuple[str, int] | str:
    checked = pipeline.draft(_site(), services().runtime.engine, designs.documents(design))
    if checked.problems:
        shown = wording.problems(checked.problems, design)
        return _editor(design, site_apps, parent=checked.base.id, mistakes=shown), 422
    assert checked.plan is not None
    return _editor(
        design, site_apps, parent=checked.base.id, plan=wording.plan(checked.plan, design), ready=checked.ok
    )


def _publish(
    design: designs.FormDesign, site_apps: dict[str, Any], parent: str
) -> Response | tuple[str, int]:
    message = request.form.get("message", "").strip()[:MAX_MESSAGE] or _(
        "New form %(name)s", name=design.label_zh
    )
    if not parent.isdigit() or len(parent) > 15:
        return _editor(
            design, site_apps, parent="", mistakes={"": _("Check the form before publishing it.")}
        ), 422
    try:
        pipeline.publish(
            _site(),
            services().runtime.engine,
            designs.documents(design),
            parent=int(parent),
            author_id=auth.actor().id,
            message=message,
        )
    except pipeline.Conflict as exc:
        said = _("Someone published another change meanwhile: check the form again, then publish.")
        return _editor(design, site_apps, parent=exc.head, mistakes={"": said}), 409
    except pipeline.Invalid as exc:
        return _editor(design, site_apps, parent=parent, mistakes=wording.problems(exc.problems, design)), 422
    except pipeline.NeedsConfirmation as exc:
        return _editor(design, site_apps, parent=parent, mistakes={"": wording.refusals(exc.plan)}), 422
    return redirect(url_for("designer.published", app=design.app_name, entity=design.entity_name))


def _editor(design: designs.FormDesign, site_apps: dict[str, Any], **shown: Any) -> str:
    return render_template(
        "designer/new.html",
        design=design,
        site_apps=site_apps,
        palette=designs.PALETTE,
        mistakes=shown.pop("mistakes", {}),
        default_message=_("New form %(name)s", name=design.label_zh) if design.label_zh else "",
        **shown,
    )


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
