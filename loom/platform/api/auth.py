"""Who is calling: a bearer token (integrations) or a session cookie (browsers).

The session cookie is signed and names a session row (``loom.platform.sessions``), so
signing out, a new password or an admin ends it for good, not only in one browser.
Cookie-authenticated writes need the session's CSRF token in ``X-CSRF-Token`` (or a
``csrf_token`` form field), so another site cannot make a signed-in browser write; the
sign-in and sign-out routes, which have no token to check yet, refuse requests that a
browser marks as coming from another site. Bearer requests carry no ambient credential
and need none. Password attempts are limited by :mod:`.throttle`.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from flask import Blueprint
from flask import current_app
from flask import g
from flask import jsonify
from flask import request
from flask import session
from werkzeug.exceptions import TooManyRequests
from werkzeug.exceptions import Unauthorized

from ..actor import Actor
from ..database import reading
from ..services import Services
from .i18n import text
from .problems import problem
from .throttle import WINDOW
from .throttle import Throttle

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_LOGIN = 64  # as long as a login can be (loom_users.login)
# What the cookie keeps across signing in and out: the language picked.
KEPT_ACROSS_SIGN_IN = ("lang",)

bp = Blueprint("auth", __name__)


def services() -> Services:
    """The site's services, as the app factory stored them (one place for every API module)."""
    return current_app.extensions["loom"]


def csrf_token() -> str:
    """The session's CSRF token, created on first use."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def load_actor() -> Actor | None:
    """Set ``g.actor`` from the request's credentials (None when anonymous)."""
    header = request.headers.get("Authorization", "")
    g.by_token = False
    if header.lower().startswith("bearer "):
        g.by_token = True
        g.actor = services().identity.actor_for_token(header[7:].strip())
        if g.actor is None:
            raise Unauthorized(
                text({"en": "The token is unknown, revoked or expired.", "zh": "令牌无效、已撤销或已过期。"})
            )
        return g.actor
    g.actor = None
    key = session.get("sid")
    if isinstance(key, str):
        identity = services().identity
        with reading(services().runtime.engine) as conn:
            user = identity.sessions.user(conn, key)
            g.actor = identity.actor_of(conn, user)
        if user is None:
            session.pop("sid", None)  # ended, idle or too old: the browser forgets it too
        else:
            identity.sessions.touch(user)
    return g.actor


def require_actor() -> Actor:
    if g.get("actor") is None:
        raise Unauthorized(
            text({"en": "Sign in, or send a bearer token.", "zh": "请先登录，或提供访问令牌。"})
        )
    return g.actor


def check_csrf() -> None:
    """Refuse cookie-authenticated writes without the session's CSRF token."""
    if request.method in SAFE_METHODS or g.get("by_token"):
        return
    sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token", "")
    expected = session.get("csrf", "")
    if not expected or not hmac.compare_digest(sent, expected):
        raise CsrfFailed()


class CsrfFailed(Exception):
    """A write through the session cookie without the right CSRF token."""


class CrossSite(Exception):
    """A sign-in or sign-out that a browser says another site sent."""


def refuse_cross_site() -> None:
    """Refuse what a browser marks as sent by another site (``Sec-Fetch-Site``, ``Origin``).

    Scripts and command-line clients send neither header and pass; browsers send at
    least ``Origin`` on every cross-site POST. The Origin's host is compared with the
    request's own ``Host``, so a proxy must pass that through (deploy.md).
    """
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        raise CrossSite()
    origin = request.headers.get("Origin")
    if origin is not None and urlsplit(origin).netloc != request.host:
        raise CrossSite()


class LoginFailed(Exception):
    """Wrong login or password (the same answer for both, so logins cannot be probed)."""


def sign_in(login_name: str, password: str) -> Actor:
    """Check a password within the attempt limits and start a session for its user.

    Shared by the API, the portal and the console, so the limits, the checks and what
    the cookie holds are the same at every door. Raises ``TooManyRequests`` when over a
    limit (the password is then not even checked) and ``LoginFailed`` when wrong.
    """
    actor = verified(login_name, password)
    user_id = actor.id
    if user_id is None:  # verified() never returns the system; this tells the type checker so
        raise LoginFailed()
    end_session()  # a new session, never one an attacker may have planted (fixation)
    with services().runtime.engine.begin() as conn:
        services().identity.sessions.purge(conn)
        session["sid"] = services().identity.sessions.start(conn, user_id)
    session.permanent = True
    return actor


def verified(login_name: str, password: str) -> Actor:
    """The user whose login and password these are, checked within the attempt limits (also
    when a signed-in user confirms their password before changing it: a stolen session must
    not guess it freely). Raises ``TooManyRequests`` or ``LoginFailed`` as ``sign_in`` does."""
    login_name = login_name.strip()
    if not login_name or not password or len(login_name) > MAX_LOGIN or "\x00" in login_name:
        raise LoginFailed()
    throttle = Throttle(
        services().runtime.engine, services().runtime.schema.metadata.tables["loom_login_attempts"]
    )
    attempt = throttle.begin(request.remote_addr, login_name)
    if attempt is None:
        message = {
            "en": "Too many failed logins; wait a few minutes.",
            "zh": "登录失败次数过多，请稍后再试。",
        }
        raise TooManyRequests(text(message), retry_after=int(WINDOW.total_seconds()))
    actor = services().identity.authenticate(login_name, password)
    if actor is None or actor.id is None:
        raise LoginFailed()
    throttle.succeeded(attempt)
    return actor


def end_session() -> None:
    """Sign out: end the cookie's session in the database and forget all but the language."""
    key = session.get("sid")
    if isinstance(key, str):
        with services().runtime.engine.begin() as conn:
            services().identity.sessions.end(conn, key)
    kept = {name: session[name] for name in KEPT_ACROSS_SIGN_IN if name in session}
    session.clear()
    session.update(kept)


def session_key() -> str | None:
    """The key of the request's own session (kept when its user changes their password)."""
    key = session.get("sid")
    return key if isinstance(key, str) else None


@bp.post("/auth/login")
def login():
    refuse_cross_site()
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        message = {
            "en": "Send the login and password as JSON (Content-Type: application/json).",
            "zh": "请以 JSON 提交用户名和密码（Content-Type: application/json）。",
        }
        return problem(415, text(message))
    try:
        actor = sign_in(str(data.get("login", "")), str(data.get("password", "")))
    except LoginFailed:
        return problem(
            401, text({"en": "Wrong login or password.", "zh": "用户名或密码错误。"}), kind="login-failed"
        )
    return jsonify({"user": {"id": actor.id, "login": actor.login}, "csrf_token": csrf_token()})


@bp.post("/auth/logout")
def logout():
    refuse_cross_site()
    if g.get("actor") is not None:
        check_csrf()
    end_session()
    return jsonify({"ok": True})


@bp.get("/me")
def me():
    actor = require_actor()
    with services().runtime.engine.connect() as conn:
        user = services().identity.user(conn, actor.id) or {}
    body = {
        "id": actor.id, "login": actor.login, "name": user.get("name"), "roles": sorted(actor.roles),
        "department_id": actor.department_id, "locale": user.get("locale"),
    }  # fmt: skip
    if not g.get("by_token"):
        body["csrf_token"] = csrf_token()
    return jsonify(body)
