"""Who may use the console: signed-in users with the ``admin`` role, checked on every view.

The console shares the session of the API and the portal (its ``sid`` names a row of
``loom_sessions``), so one sign-in serves all three. Every view mixes in :class:`AdminOnly`;
Flask-Admin asks it before each request, whatever the URL, and the records service checks
the same actor again on every read and write.
"""

from __future__ import annotations

from typing import Any

from flask import abort
from flask import g
from flask import redirect
from flask import request
from flask import url_for
from flask.typing import ResponseReturnValue

from loom.platform.actor import Actor
from loom.platform.api.auth import load_actor
from loom.platform.api.auth import services

SIGN_IN_ENDPOINT = "loom_sign_in.index"


def current_actor() -> Actor | None:
    """The signed-in actor of this request, loaded once."""
    if "actor" not in g:
        load_actor()
    return g.actor


def current_actor_id() -> int | None:
    """The admin making a change, for the audit log."""
    me = current_actor()
    return me.id if me is not None else None


def is_admin(actor: Actor | None) -> bool:
    return actor is not None and services().records.access.permissions.is_superuser(actor)


def signed_in_admin() -> Actor:
    """The acting admin; views call it only after :meth:`AdminOnly.is_accessible` said yes."""
    actor = current_actor()
    if not is_admin(actor):
        abort(403)
    return actor  # type: ignore[return-value]


class AdminOnly:
    """Mixin for every console view: admins pass, others get 403, strangers are sent to sign in."""

    def is_accessible(self) -> bool:
        return is_admin(current_actor())

    def inaccessible_callback(self, name: str, **kwargs: Any) -> ResponseReturnValue:
        if current_actor() is None:
            return redirect(url_for(SIGN_IN_ENDPOINT, next=request.full_path.rstrip("?")))
        return self.render("loom_admin/forbidden.html"), 403  # type: ignore[attr-defined]
