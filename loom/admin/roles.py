"""Roles are metadata (``kind: role`` documents and the builtin ``admin``/``employee``):
the console lists them with what they inherit and who holds them; memberships change here,
the roles themselves in their packages.
"""

from __future__ import annotations

from flask_admin import BaseView
from flask_admin import expose
from sqlalchemy import func
from sqlalchemy import select

from loom.platform.api.auth import services

from .access import AdminOnly
from .choices import role_labels


class RoleView(AdminOnly, BaseView):
    @expose("/")
    def index(self) -> str:
        catalog = services().runtime.catalog
        memberships = services().runtime.schema.metadata.tables["loom_memberships"]
        with services().runtime.engine.connect() as conn:
            counted = select(memberships.c.role, func.count()).group_by(memberships.c.role)
            members: dict[str, int] = {role: count for role, count in conn.execute(counted)}
        inherits = {d.name: tuple(d.spec.get("inherits", ())) for d in catalog.of_kind("role")}
        labels = role_labels(catalog)
        roles = [
            {
                "name": name,
                "label": labels[name],
                "inherits": inherits.get(name, ()),
                "members": members.get(name, 0),
            }
            for name in sorted(services().identity.known_roles())
        ]
        return self.render("loom_admin/roles.html", roles=roles)
