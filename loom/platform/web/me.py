"""我的: the signed-in person's own page, the fourth tab of the phone's tab bar: who they are
(name, department, roles) and what is theirs to manage (requests they started, delegations,
language, signing out)."""

from __future__ import annotations

from flask import Blueprint
from flask import render_template
from sqlalchemy import select

from loom.metadata.catalog import Label
from loom.metadata.catalog import thaw

from ..database import reading
from .auth import actor
from .i18n import label
from .portal import services
from .timeline import initials

bp = Blueprint("me", __name__)


@bp.get("/me")
def index() -> str:
    who = actor()
    departments = services().identity.departments
    with reading(services().runtime.engine) as conn:
        department = conn.execute(
            select(departments.c.name).where(departments.c.id == who.department_id)
        ).scalar_one_or_none()
    roles = services().runtime.catalog.of_kind("role")
    shown = [label(Label.of(thaw(r.spec.get("label")), r.name)) for r in roles if r.name in who.roles]
    return render_template(
        "me.html",
        name=who.name or who.login,
        initials=initials(who.name or who.login),
        department=department,
        roles=shown,
    )
