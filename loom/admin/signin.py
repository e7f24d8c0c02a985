"""The console's sign-in and sign-out pages, on the session the API and the portal share.

Signing in goes through the API's sign-in (``loom.platform.api.auth.sign_in``), so the
failure limit, the password check and the session contents are the same wherever a
user signs in; this view only turns its answer into a page.
"""

from __future__ import annotations

from flask import redirect
from flask import request
from flask import url_for
from flask_admin import BaseView
from flask_admin import expose
from flask_admin.form import SecureForm
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response
from wtforms import PasswordField
from wtforms import StringField

from loom.platform.api import auth
from loom.platform.web.redirects import local_path

from .labels import lazy
from .labels import text

SIGN_IN = {"zh": "登录", "en": "Sign in"}
WRONG = {"zh": "用户名或密码错误。", "en": "Wrong login or password."}
EXPIRED = {"zh": "页面已过期，请重新登录。", "en": "The page expired; please sign in again."}


class SignInForm(SecureForm):
    login = StringField(lazy({"zh": "用户名", "en": "Login"}))
    password = PasswordField(lazy({"zh": "密码", "en": "Password"}))


class SignOutForm(SecureForm):
    """Only the CSRF token: signing out is a POST, so another site cannot sign a user out."""


class SignInView(BaseView):
    """Open to everyone (it is where strangers are sent); hidden from the menu."""

    def is_visible(self) -> bool:
        return False

    @expose("/", methods=("GET", "POST"))
    def index(self) -> Response | str:
        form = SignInForm(request.form)
        error = None
        if request.method == "POST" and form.validate():
            error = _sign_in(form.login.data or "", form.password.data or "")
            if error is None:
                return redirect(_next_url() or url_for("admin.index"))
        elif request.method == "POST":
            error = text(EXPIRED)  # only the CSRF token can fail: the fields take anything
        return self.render("loom_admin/sign_in.html", form=form, error=error, next=_next_url())

    @expose("/out", methods=("POST",))
    def sign_out(self) -> Response:
        """Sign out of the whole site; the language picked stays, as on the portal."""
        if SignOutForm(request.form).validate():
            auth.end_session()
        return redirect(url_for(".index"))


def _sign_in(login: str, password: str) -> str | None:
    """Sign in as the API does; the error to show, or None once signed in."""
    try:
        auth.sign_in(login, password)
    except HTTPException as refused:  # too many failures
        return refused.description
    except auth.LoginFailed:
        return text(WRONG)
    return None


def _next_url() -> str | None:
    """Where to go after signing in: a path on this site only, never another host."""
    return local_path(request.values.get("next"))
