"""Signing in and out of the portal, and the language switch.

The portal shares the API's session: a browser signed in here may call ``/api/v1`` with
the same cookie (the upload widget does), and every form post carries the session's
CSRF token, checked by the same function as API writes.
"""

from __future__ import annotations

from flask import Blueprint
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ..actor import Actor
from ..api import auth as api_auth
from ..api.i18n import LANGS
from .i18n import current_lang
from .redirects import local_path

bp = Blueprint("auth", __name__)
PUBLIC = frozenset({"web.auth.login", "web.auth.switch_lang", "web.static"})


def guard() -> Response | None:
    """Before every portal request: language, signed-in user, CSRF on posts, sign-in required."""
    current_lang()
    api_auth.load_actor()
    if g.actor is None and request.endpoint not in PUBLIC:
        if request.headers.get("HX-Request"):
            # A partial update after the session ended: send the whole page to sign-in,
            # rather than letting htmx put the sign-in page inside the form.
            return Response(headers={"HX-Redirect": url_for("web.auth.login")})
        return redirect(url_for("web.auth.login", next=request.full_path.rstrip("?")))
    if request.method == "POST":
        api_auth.check_csrf()
    return None


def actor() -> Actor:
    """The signed-in user (``guard`` made sure there is one)."""
    return g.actor


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str:
    error = None
    if request.method == "POST":
        # The form carries the CSRF token (checked by ``guard``); the API's sign-in does the
        # rest, so the attempt limits and the session are the same at every door.
        try:
            api_auth.sign_in(request.form.get("login", ""), request.form.get("password", ""))
        except api_auth.LoginFailed:
            error = _("Wrong login or password.")
        else:
            return redirect(_local(request.args.get("next")))
    return render_template("login.html", error=error)


@bp.post("/logout")
def logout() -> Response:
    api_auth.end_session()
    return redirect(url_for("web.auth.login"))


@bp.post("/lang")
def switch_lang() -> Response:
    chosen = request.form.get("lang", "")
    if chosen in LANGS:
        session["lang"] = chosen
    return redirect(_local(request.form.get("next")))


def _local(target: str | None) -> str:
    """Only paths of this site: a ``next`` pointing elsewhere would make an open redirect."""
    return local_path(target) or url_for("web.launcher.home")
