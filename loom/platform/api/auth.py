"""Who is calling: a bearer token (integrations) or the signed session cookie (browsers).

Cookie-authenticated writes need the session's CSRF token in ``X-CSRF-Token`` (or a
``csrf_token`` form field), so another site cannot make a signed-in browser write.
Bearer requests carry no ambient credential and need none. Failed logins are counted
in the database, not in memory, so the limit holds across any number of processes.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets

from flask import Blueprint
from flask import current_app
from flask import g
from flask import jsonify
from flask import request
from flask import session
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import or_
from sqlalchemy import select
from werkzeug.exceptions import TooManyRequests
from werkzeug.exceptions import Unauthorized

from ..actor import Actor
from ..services import Services
from .i18n import text
from .problems import problem

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_FAILURES = 10
WINDOW = dt.timedelta(minutes=15)

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
    user_id = session.get("user_id")
    g.actor = None
    if user_id is not None:
        with services().runtime.engine.connect() as conn:
            g.actor = services().identity.actor(conn, user_id)
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


@bp.post("/auth/login")
def login():
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        data = request.form
    login_name = str(data.get("login", "")).strip()
    password = str(data.get("password", ""))
    key = f"{request.remote_addr}|{login_name.lower()}"
    refuse_when_limited(key)
    actor = services().identity.authenticate(login_name, password) if login_name and password else None
    if actor is None:
        count_failure(key)
        return problem(
            401, text({"en": "Wrong login or password.", "zh": "用户名或密码错误。"}), kind="login-failed"
        )
    forget_failures(key)
    session.clear()
    session["user_id"] = actor.id
    session.permanent = True
    return jsonify({"user": {"id": actor.id, "login": actor.login}, "csrf_token": csrf_token()})


@bp.post("/auth/logout")
def logout():
    session.clear()
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


def _attempts():
    return services().runtime.schema.metadata.tables["loom_login_attempts"]


def refuse_when_limited(key: str) -> None:
    """429 once ``key`` (a login or an address) failed too often lately: the portal and the API
    share this count, so neither door is a way around the other."""
    table = _attempts()
    since = dt.datetime.now(dt.UTC) - WINDOW
    with services().runtime.engine.connect() as conn:
        failures = conn.execute(
            select(func.count()).select_from(table).where(table.c.key == key, table.c.at > since)
        ).scalar_one()
    if failures >= MAX_FAILURES:
        message = {
            "en": "Too many failed logins; wait a few minutes.",
            "zh": "登录失败次数过多，请稍后再试。",
        }
        raise TooManyRequests(text(message), retry_after=int(WINDOW.total_seconds()))


def count_failure(key: str) -> None:
    with services().runtime.engine.begin() as conn:
        conn.execute(insert(_attempts()), {"key": key, "at": dt.datetime.now(dt.UTC)})


def forget_failures(key: str) -> None:
    """A successful login clears its own failures and every failure too old to count."""
    stale = dt.datetime.now(dt.UTC) - WINDOW
    with services().runtime.engine.begin() as conn:
        conn.execute(delete(_attempts()).where(or_(_attempts().c.key == key, _attempts().c.at < stale)))
