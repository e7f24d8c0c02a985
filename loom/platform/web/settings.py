"""设置: the signed-in person's own settings: the name others see, their password and their
language. Each goes through Identity, so it is audited like an admin's change (by the person
themself), and a new password obeys the site's one policy and signs out their other sessions.
"""

from __future__ import annotations

from flask import Blueprint
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask_babel import gettext as _
from werkzeug.exceptions import Forbidden
from werkzeug.exceptions import TooManyRequests
from werkzeug.wrappers import Response

from ..api import auth as api_auth
from ..api.i18n import LANGS
from ..identity import WeakPassword
from .auth import actor
from .i18n import current_lang
from .portal import services

bp = Blueprint("settings", __name__)
MAX_NAME = 120
LOCALES = {"zh": "zh_CN", "en": "en"}  # the portal's languages as a user's stored locale


@bp.get("/settings")
def index() -> str:
    return _page({})


@bp.post("/settings/name")
def rename() -> Response | tuple[str, int]:
    name = request.form.get("name", "").strip()
    if not name or len(name) > MAX_NAME:
        return _page({"name": _("Enter a name of 1 to %(max)s characters.", max=MAX_NAME)}), 422
    with services().runtime.engine.begin() as conn:
        services().identity.update_user(conn, _me(), {"name": name}, by=_me())
    flash(_("Your name was changed."), "success")
    return redirect(url_for("web.settings.index"))


@bp.post("/settings/password")
def password() -> Response | tuple[str, int]:
    form = request.form
    new = form.get("new_password", "")
    if new != form.get("confirm_password", ""):
        return _page({"confirm_password": _("The two new passwords differ.")}), 422
    try:
        api_auth.verified(actor().login, form.get("current_password", ""))
        with services().runtime.engine.begin() as conn:
            services().identity.set_password(conn, _me(), new, api_auth.session_key(), by=_me())
    except api_auth.LoginFailed:
        return _page({"current_password": _("The current password is wrong.")}), 422
    except TooManyRequests as limited:
        return _page({"current_password": str(limited.description)}), 429
    except WeakPassword as weak:
        return _page({"new_password": weak.message.get(current_lang(), weak.message["en"])}), 422
    flash(_("Your password was changed; your other sign-ins were ended."), "success")
    return redirect(url_for("web.settings.index"))


@bp.post("/settings/language")
def language() -> Response:
    chosen = request.form.get("lang", "")
    if chosen in LANGS:
        session["lang"] = chosen
        with services().runtime.engine.begin() as conn:
            services().identity.update_user(conn, _me(), {"locale": LOCALES[chosen]}, by=_me())
    return redirect(url_for("web.settings.index"))


def _me() -> int:
    who = actor().id
    if who is None:  # the system has no settings; the portal's guard lets only users in
        raise Forbidden()
    return who


def _page(errors: dict[str, str]) -> str:
    with services().runtime.engine.connect() as conn:
        user = services().identity.user(conn, _me()) or {}
    return render_template("settings.html", user=user, errors=errors, form=request.form)
