"""Users, departments, roles and API tokens.

Passwords are hashed with scrypt (Werkzeug's default); tokens are random, shown once, and
stored only as a SHA-256 hash, so a leaked database holds no usable credential. The
department tree answers "who is in my department, or below it" for data scopes and
"who is my manager, N levels up" for approvals.

Every change of a user or a department goes through this module and into the audit log (as
``loom_users`` / ``loom_departments`` rows, ``by`` the admin who made it, none for the CLI):
after an incident, "who gave whom which role, and when" is the first question.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING
from typing import Any

from sqlalchemy import Connection
from sqlalchemy import Engine
from sqlalchemy import Select
from sqlalchemy import Table
from sqlalchemy import bindparam
from sqlalchemy import delete
from sqlalchemy import insert
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update
from werkzeug.security import check_password_hash
from werkzeug.security import generate_password_hash

from loom.errors import LoomError
from loom.metadata.index import BUILTIN_ROLES

from .actor import Actor
from .database import reading
from .database import single_read
from .passwords import password_problem
from .records.audit import diff
from .records.audit import record_change
from .sessions import Sessions

if TYPE_CHECKING:  # a runtime imports the whole metadata language, which identity rarely needs
    from .runtime import Runtime
    from .site import Site

USERS, DEPARTMENTS = "loom_users", "loom_departments"  # their entity names in the audit log
USER_FIELDS = frozenset({"name", "email", "phone", "department_id", "manager_id", "locale"})
TOKEN_PREFIX = "loom_"
TOKEN_TOUCH = dt.timedelta(minutes=5)


@cache
def _dummy_hash() -> str:
    """Compared against when a login is unknown, so timing does not tell which logins exist
    (made on first use: hashing costs as much as a command's start-up)."""
    return generate_password_hash("not a password")


class IdentityError(LoomError):
    """A user, department, role or token operation that cannot be done as asked."""


class WeakPassword(IdentityError):
    """A password the policy refuses; ``message`` says why in zh and en."""

    def __init__(self, message: dict[str, str]) -> None:
        super().__init__(message["en"])
        self.message = message


class DepartmentCycle(IdentityError):
    """A department moved under itself or under one of its own sub-departments."""


class DepartmentInUse(IdentityError):
    """A department that still has people or sub-departments cannot be deleted."""


@dataclass(frozen=True, slots=True)
class NewToken:
    id: int
    token: str  # shown once; only its hash is stored
    expires_at: dt.datetime | None


@dataclass(frozen=True)
class IdentitySite:
    """What identity needs of a site: its engine, the platform tables and, only to check a role
    that is not builtin, the names of the roles its metadata declares.

    A runtime provides all of it; the CLI's user and token commands build one without a Catalog,
    so they start in a fraction of the time and load the metadata only if a role needs it.
    """

    engine: Engine
    tables: Mapping[str, Table]
    declared_roles: Callable[[], Iterable[str]]
    site: Site | None = None

    @classmethod
    def of(cls, runtime: Runtime) -> IdentitySite:
        def declared() -> Iterable[str]:
            return (d.name for d in runtime.catalog.of_kind("role"))

        return cls(runtime.engine, runtime.schema.metadata.tables, declared, runtime.site)


class Identity:
    """Reads and writes identity rows; every method takes an optional caller transaction."""

    def __init__(
        self, runtime: Runtime | IdentitySite, clock: Callable[[], dt.datetime] | None = None
    ) -> None:
        base = runtime if isinstance(runtime, IdentitySite) else IdentitySite.of(runtime)
        self.engine = base.engine
        self.declared_roles = base.declared_roles
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        tables = base.tables
        self.users = tables[USERS]
        self.departments = tables[DEPARTMENTS]
        self.memberships = tables["loom_memberships"]
        self.tokens = tables["loom_tokens"]
        self.audit = tables["loom_audit"]
        limits = base.site.settings.session_limits if base.site else None
        self.sessions = Sessions(base.engine, tables, limits)
        self.token_actor = self._token_actor_statement()

    def _token_actor_statement(self) -> Select[Any]:
        """A live token, its active user and their roles (a row per role), in one statement
        built once: every API call runs it."""
        tokens, users, roles = self.tokens, self.users, self.memberships
        now = bindparam("now", type_=tokens.c.expires_at.type)
        return (
            select(
                tokens.c.id.label("token_id"),
                tokens.c.last_used_at,
                users.c.id,
                users.c.login,
                users.c.name,
                users.c.department_id,
                roles.c.role,
            )
            .select_from(
                tokens.join(users, users.c.id == tokens.c.user_id).outerjoin(
                    roles, roles.c.user_id == users.c.id
                )
            )
            .where(
                tokens.c.token_hash == bindparam("token_hash"),
                tokens.c.revoked_at.is_(None),
                or_(tokens.c.expires_at.is_(None), tokens.c.expires_at > now),
                users.c.active.is_(True),
            )
        )

    def _audit(
        self,
        conn: Connection,
        entity: str,
        row_id: int,
        action: str,
        changes: Mapping[str, Any],
        by: int | None,
    ) -> None:
        if changes or action != "update":
            record_change(
                conn, self.audit, entity=entity, record_id=row_id, action=action,
                changes=changes, user_id=by, at=self.clock(),
            )  # fmt: skip

    # -- roles -----------------------------------------------------------------------------

    def known_roles(self) -> set[str]:
        return set(self.declared_roles()) | set(BUILTIN_ROLES)

    def unknown_roles(self, roles: Iterable[str]) -> list[str]:
        """Which of ``roles`` neither Loom nor the site's metadata declares; the metadata is asked
        only when a role is not builtin."""
        unknown = set(roles) - set(BUILTIN_ROLES)
        return sorted(unknown - self.known_roles()) if unknown else []

    def _check_roles(self, roles: Iterable[str]) -> list[str]:
        roles = list(dict.fromkeys(roles))
        unknown = self.unknown_roles(roles)
        if unknown:
            raise IdentityError(
                f"unknown role(s): {', '.join(unknown)}; known: {', '.join(sorted(self.known_roles()))}"
            )
        return roles

    # -- departments -----------------------------------------------------------------------

    def department(self, conn: Connection, department_id: int) -> dict[str, Any] | None:
        found = conn.execute(select(self.departments).where(self.departments.c.id == department_id))
        row = found.mappings().first()
        return dict(row) if row else None

    def create_department(
        self,
        conn: Connection,
        name: str,
        parent_id: int | None = None,
        head_id: int | None = None,
        *,
        by: int | None = None,
    ) -> int:
        values = {"name": name, "parent_id": parent_id, "head_id": head_id}
        created = conn.execute(insert(self.departments).returning(self.departments.c.id), values).scalar_one()
        self._audit(conn, DEPARTMENTS, created, "create", _diff({}, values), by)
        return created

    def department_named(self, conn: Connection, name: str, *, by: int | None = None) -> int:
        """The id of the (first) department called ``name``, created at the top level if none is:
        how the CLI names departments."""
        table = self.departments
        found = conn.execute(select(table.c.id).where(table.c.name == name).order_by(table.c.id)).scalar()
        return found or self.create_department(conn, name, by=by)

    def set_head(
        self, conn: Connection, department_id: int, user_id: int | None, *, by: int | None = None
    ) -> None:
        self.update_department(conn, department_id, {"head_id": user_id}, by=by)

    def update_department(
        self, conn: Connection, department_id: int, changes: Mapping[str, Any], *, by: int | None = None
    ) -> None:
        """Rename a department, give it a head or move it under another one (never under itself)."""
        unknown = set(changes) - {"name", "parent_id", "head_id"}
        if unknown:
            raise IdentityError(f"a department has no {', '.join(sorted(unknown))}")
        before = self.department(conn, department_id)
        if before is None:
            raise IdentityError(f"no department {department_id}")
        parent = changes.get("parent_id")
        if parent is not None and parent in department_subtree(conn, self.departments, department_id):
            raise DepartmentCycle(
                f"department {department_id} cannot move under its own sub-department {parent}"
            )
        table = self.departments
        conn.execute(update(table).where(table.c.id == department_id).values(dict(changes)))
        self._audit(conn, DEPARTMENTS, department_id, "update", _diff(before, changes), by)

    def delete_department(self, conn: Connection, department_id: int, *, by: int | None = None) -> None:
        """Delete an empty department: people and sub-departments must be moved first."""
        before = self.department(conn, department_id)
        if before is None:
            raise IdentityError(f"no department {department_id}")
        table, users = self.departments, self.users
        member = select(users.c.id).where(users.c.department_id == department_id).limit(1)
        below = select(table.c.id).where(table.c.parent_id == department_id).limit(1)
        if conn.execute(member).first() or conn.execute(below).first():
            raise DepartmentInUse(f"department {department_id} still has people or sub-departments")
        conn.execute(delete(table).where(table.c.id == department_id))
        gone = dict.fromkeys(("name", "parent_id", "head_id"))
        self._audit(conn, DEPARTMENTS, department_id, "delete", _diff(before, gone), by)

    # -- users -----------------------------------------------------------------------------

    def create_user(
        self,
        conn: Connection,
        login: str,
        name: str,
        *,
        password: str | None = None,
        email: str | None = None,
        phone: str | None = None,
        department_id: int | None = None,
        manager_id: int | None = None,
        roles: Iterable[str] = (),
        locale: str = "zh_CN",
        password_hash: str | None = None,
        by: int | None = None,
    ) -> int:
        """A new active user; ``password_hash`` (instead of ``password``) lets a bulk creation such
        as the demo hash one shared password once."""
        login = login.strip()
        if not login or len(login) > 64:
            raise IdentityError("a login is 1 to 64 characters")
        if conn.execute(select(self.users.c.id).where(self.users.c.login == login)).first():
            raise IdentityError(f"login {login!r} is taken")
        roles = self._check_roles(roles)
        values = {
            "login": login, "name": name or login, "email": email, "phone": phone, "active": True,
            "locale": locale, "department_id": department_id, "manager_id": manager_id,
            "password_hash": generate_password_hash(password) if password else password_hash,
            "created_at": dt.datetime.now(dt.UTC),
        }  # fmt: skip
        user_id = conn.execute(insert(self.users).returning(self.users.c.id), values).scalar_one()
        shown = {k: v for k, v in values.items() if k not in ("password_hash", "created_at")}
        self._audit(conn, USERS, user_id, "create", _diff({}, shown), by)
        self.set_roles(conn, user_id, roles, by=by)
        return user_id

    def update_user(
        self, conn: Connection, user_id: int, changes: Mapping[str, Any], *, by: int | None = None
    ) -> None:
        """Change a user's name, contacts, department, manager or language (roles, password and
        active have their own methods: each has consequences of its own)."""
        unknown = set(changes) - USER_FIELDS
        if unknown:
            raise IdentityError(
                f"not a field of a user that update_user changes: {', '.join(sorted(unknown))}"
            )
        before = self.user(conn, user_id)
        if before is None:
            raise IdentityError(f"no user {user_id}")
        conn.execute(update(self.users).where(self.users.c.id == user_id).values(dict(changes)))
        self._audit(conn, USERS, user_id, "update", _diff(before, changes), by)

    def set_roles(
        self, conn: Connection, user_id: int, roles: Iterable[str], *, by: int | None = None
    ) -> None:
        roles = self._check_roles(roles)
        held = conn.execute(select(self.memberships.c.role).where(self.memberships.c.user_id == user_id))
        before = sorted(held.scalars())
        conn.execute(delete(self.memberships).where(self.memberships.c.user_id == user_id))
        if roles:
            conn.execute(insert(self.memberships), [{"user_id": user_id, "role": r} for r in roles])
        self._audit(conn, USERS, user_id, "update", _diff({"roles": before}, {"roles": sorted(roles)}), by)

    @staticmethod
    def check_password(password: str, login: str) -> None:
        """Raise WeakPassword when the site's one policy (loom.platform.passwords) refuses it."""
        problem = password_problem(password, login)
        if problem is not None:
            raise WeakPassword(problem)

    def set_password(
        self,
        conn: Connection,
        user_id: int,
        password: str,
        keep_session: str | None = None,
        *,
        by: int | None = None,
    ) -> None:
        """Set a password the policy accepts and end the user's sessions but ``keep_session``
        (the one making the change, if it is theirs): whoever knew the old one is signed out."""
        user = self.user(conn, user_id)
        if user is None:
            raise IdentityError(f"no user {user_id}")
        self.check_password(password, user["login"])
        conn.execute(
            update(self.users)
            .where(self.users.c.id == user_id)
            .values(password_hash=generate_password_hash(password))
        )
        self.sessions.end_all(conn, user_id, keep=keep_session)
        self._audit(conn, USERS, user_id, "password", {}, by)  # that it changed, never a value

    def set_active(self, conn: Connection, user_id: int, active: bool, *, by: int | None = None) -> None:
        """Activate or deactivate a user; a deactivated user's sessions end at once."""
        before = self.user(conn, user_id)
        conn.execute(update(self.users).where(self.users.c.id == user_id).values(active=active))
        if not active:
            self.sessions.end_all(conn, user_id)
        if before is not None:
            self._audit(conn, USERS, user_id, "update", _diff(before, {"active": active}), by)

    def user(self, conn: Connection, user_id: int) -> dict[str, Any] | None:
        row = conn.execute(select(self.users).where(self.users.c.id == user_id)).mappings().first()
        return dict(row) if row else None

    def user_by_login(self, conn: Connection, login: str) -> dict[str, Any] | None:
        row = conn.execute(select(self.users).where(self.users.c.login == login)).mappings().first()
        return dict(row) if row else None

    def actor(self, conn: Connection, user_id: int) -> Actor | None:
        """The actor of an active user, with their roles (every user is an ``employee``)."""
        return self.actor_of(conn, self.user(conn, user_id))

    def actor_of(self, conn: Connection, user: dict[str, Any] | None) -> Actor | None:
        """The actor of a user row already loaded (by a session lookup), with their roles."""
        if user is None or not user["active"]:
            return None
        roles = set(
            conn.execute(
                select(self.memberships.c.role).where(self.memberships.c.user_id == user["id"])
            ).scalars()
        )
        roles.add("employee")
        return Actor(user["id"], user["login"], frozenset(roles), user["department_id"], name=user["name"])

    def authenticate(self, login: str, password: str) -> Actor | None:
        with reading(self.engine) as conn:
            user = self.user_by_login(conn, login)
            stored = user["password_hash"] if user and user["password_hash"] else _dummy_hash()
            if not check_password_hash(stored, password) or user is None or not user["active"]:
                return None
            return self.actor(conn, user["id"])

    # -- tokens ----------------------------------------------------------------------------

    def create_token(self, conn: Connection, user_id: int, name: str, days: int | None = 90) -> NewToken:
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = dt.datetime.now(dt.UTC)
        expires = now + dt.timedelta(days=days) if days else None
        values = {
            "user_id": user_id, "name": name, "prefix": secret[:12], "token_hash": _digest(secret),
            "created_at": now, "expires_at": expires,
        }  # fmt: skip
        token_id = conn.execute(insert(self.tokens).returning(self.tokens.c.id), values).scalar_one()
        return NewToken(token_id, secret, expires)

    def revoke_token(self, conn: Connection, token_id: int) -> bool:
        statement = update(self.tokens).where(
            self.tokens.c.id == token_id, self.tokens.c.revoked_at.is_(None)
        )
        return conn.execute(statement.values(revoked_at=dt.datetime.now(dt.UTC))).rowcount == 1

    def actor_for_token(self, token: str) -> Actor | None:
        """The actor a bearer token stands for, or None when unknown, revoked or expired.

        Called on every API request, so it is one read (:attr:`token_actor`, without a
        transaction on PostgreSQL); ``last_used_at`` is refreshed at most every few minutes,
        not on each call.
        """
        now = dt.datetime.now(dt.UTC)
        with single_read(self.engine) as conn:
            rows = conn.execute(self.token_actor, {"token_hash": _digest(token), "now": now}).all()
        if not rows:
            return None
        first = rows[0]
        roles = {row.role for row in rows if row.role is not None} | {"employee"}
        actor = Actor(first.id, first.login, frozenset(roles), first.department_id, name=first.name)
        if first.last_used_at is None or now - first.last_used_at > TOKEN_TOUCH:
            with self.engine.begin() as conn:
                conn.execute(
                    update(self.tokens).where(self.tokens.c.id == first.token_id).values(last_used_at=now)
                )
        return actor


def department_subtree(conn: Connection, departments: Table, department_id: int) -> list[int]:
    """A department and every department below it (one query: department trees are small)."""
    rows = conn.execute(select(departments.c.id, departments.c.parent_id)).all()
    children: dict[int | None, list[int]] = {}
    for dept, parent in rows:
        children.setdefault(parent, []).append(dept)
    found: list[int] = []
    stack = [department_id]
    while stack:
        current = stack.pop()
        if current not in found:
            found.append(current)
            stack.extend(children.get(current, []))
    return found


def _diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The records' audit diff over the fields the change names: a user row holds more columns
    (its password hash among them) than any change should put in the log."""
    return diff({key: before.get(key) for key in after}, after)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
