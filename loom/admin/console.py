"""The admin console at ``/admin/``: Flask-Admin views over the Catalog and the platform tables.

:func:`init_admin` is called by the app factory. It builds a fresh :class:`flask_admin.Admin`
per app (views hold the app's Catalog, and a process may serve several apps), registers
the templates that give the console its sign-in page and sign-out button, and makes
Flask-Admin's own texts follow the request's language.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import flask_admin
from babel.support import Translations
from flask import Blueprint
from flask import Flask
from flask import current_app
from flask import url_for
from flask_admin import Admin
from flask_admin import AdminIndexView
from flask_admin import expose
from flask_admin.theme import Bootstrap4Theme
from flask_babel import Babel

from loom.platform.api.auth import csrf_token
from loom.platform.headers import csp_nonce
from loom.platform.runtime import Runtime
from loom.platform.services import Services

from .access import AdminOnly
from .access import current_actor
from .access import signed_in_admin
from .departments import DepartmentView
from .history import AuditView
from .history import FlowInstanceView
from .history import RevisionView
from .home import counts
from .home import recent_changes
from .labels import HISTORY
from .labels import PEOPLE
from .labels import lang
from .labels import lazy
from .labels import text
from .provenance import ProvenanceView
from .records import RecordView
from .roles import RoleView
from .signin import SIGN_IN
from .signin import SignInView
from .signin import SignOutForm
from .users import MembershipView
from .users import TokenView
from .users import UserView

TITLE = {"zh": "Loom 管理后台", "en": "Loom console"}
HOME = {"zh": "首页", "en": "Home"}
# Flask-Admin ships its Chinese catalogue as zh_Hans_CN.
LOCALES = {"zh": "zh_Hans_CN", "en": "en"}
LANG_SWITCH = "web.auth.switch_lang"
PORTAL_HOME = "web.launcher.home"
FLASK_ADMIN_TRANSLATIONS = Path(flask_admin.__file__).parent / "translations"
DELETE_QUESTION = "Are you sure you want to delete this record?"


class ConsoleHome(AdminOnly, AdminIndexView):
    """The console's front page; admins only, like every other view. It counts each app's
    records, lists the latest changes, says when no job runner claims runs (a site served by
    gunicorn alone runs no schedule) and lists stuck or failed runs."""

    @expose("/")
    def index(self) -> str:
        from loom.platform.jobs.runner import runs_report

        services: Services = current_app.extensions["loom"]
        report = runs_report(services)
        zone = services.records.schemas.tz
        last = report["last_claim"]
        return self.render(
            self._template,
            runners=report,
            last_claim=last.astimezone(zone).strftime("%Y-%m-%d %H:%M") if last else None,
            counts=counts(services),
            changes=recent_changes(services, signed_in_admin()),
        )


def init_admin(app: Flask) -> Admin:
    """Mount the console on ``app``; the app's services must already be in ``app.extensions``."""
    services: Services = app.extensions["loom"]
    _install_babel(app)
    app.register_blueprint(_templates())
    admin = Admin(
        app,
        name=lazy(TITLE),
        theme=Bootstrap4Theme(base_template="loom_admin/base.html", fluid=True),
        index_view=ConsoleHome(name=lazy(HOME), template="loom_admin/index.html"),
        csp_nonce_generator=csp_nonce,
    )
    admin.add_view(SignInView(name=lazy(SIGN_IN), endpoint="loom_sign_in", url="login"))
    catalog = services.runtime.catalog
    for entity in catalog.entities.values():
        if not entity.child:
            admin.add_view(RecordView(entity, catalog))
    _add_platform_views(admin, services.runtime)
    return admin


def inline_handlers(admin: Admin) -> list[str]:
    """The ``onclick`` and ``javascript:`` texts Flask-Admin's templates put on links: the
    page's policy allows exactly these (by hash), since an attribute cannot take a nonce."""
    # Menu toggles link to javascript:void(0); the filter menu's items return false.
    handlers = ["javascript:void(0)", "return false;"]
    for view in admin._views:
        handlers += [f"return modelActions.execute('{name}');" for name, _ in getattr(view, "_actions", [])]
    for locale in LOCALES.values():  # the row's delete button (admin/model/row_actions.html)
        question = Translations.load(FLASK_ADMIN_TRANSLATIONS, [locale], "admin").gettext(DELETE_QUESTION)
        handlers.append(f"return faHelpers.safeConfirm('{question}');")
    return handlers


def _add_platform_views(admin: Admin, runtime: Runtime) -> None:
    people = lazy(PEOPLE)
    admin.add_view(UserView(runtime, {"zh": "用户", "en": "Users"}, PEOPLE, "users"))
    admin.add_view(DepartmentView(runtime, {"zh": "部门", "en": "Departments"}, PEOPLE, "departments"))
    admin.add_view(
        RoleView(
            name=lazy({"zh": "角色", "en": "Roles"}), category=people, endpoint="platform_roles", url="roles"
        )
    )
    admin.add_view(MembershipView(runtime, {"zh": "角色成员", "en": "Role members"}, PEOPLE, "memberships"))
    admin.add_view(TokenView(runtime, {"zh": "API 令牌", "en": "API tokens"}, PEOPLE, "tokens"))
    admin.add_view(AuditView(runtime, {"zh": "审计日志", "en": "Audit log"}, HISTORY, "audit"))
    admin.add_view(FlowInstanceView(runtime, {"zh": "审批流程", "en": "Approval flows"}, HISTORY, "flows"))
    admin.add_view(
        RevisionView(runtime, {"zh": "设计变更记录", "en": "Design changes"}, HISTORY, "revisions")
    )
    provenance = lazy({"zh": "来源", "en": "Provenance"})
    admin.add_view(
        ProvenanceView(
            name=provenance, category=lazy(HISTORY), endpoint="platform_provenance", url="provenance"
        )
    )


def _install_babel(app: Flask) -> None:
    """Flask-Admin translates through Flask-Babel, which must be configured on the app.

    The portal may have configured it already (with its own catalogue); then the console
    uses that configuration, which also picks the request's language.
    """
    if "babel" not in app.extensions:
        Babel(app, locale_selector=lambda: LOCALES[lang()])


def _lang_switch() -> str | None:
    """Where the language switch posts: the portal's, when the portal is mounted."""
    return url_for(LANG_SWITCH) if LANG_SWITCH in current_app.view_functions else None


def _portal() -> str | None:
    """The portal's home page, which the console links back to, when the portal is mounted."""
    return url_for(PORTAL_HOME) if PORTAL_HOME in current_app.view_functions else None


def _templates() -> Blueprint:
    """A blueprint holding no routes: the console's templates and their helpers."""
    blueprint = Blueprint("loom_admin", __name__, template_folder="templates")

    @blueprint.app_context_processor
    def helpers() -> dict[str, Any]:
        return {
            "loom_admin_actor": current_actor,
            "loom_admin_sign_out_form": SignOutForm,
            "loom_admin_text": text,
            "loom_admin_lang": lang,
            "loom_admin_lang_switch": _lang_switch,
            "loom_admin_portal": _portal,
            "loom_admin_csrf_token": csrf_token,
        }

    return blueprint
