"""Who approves a node: users, roles, the manager chain, department heads, record fields,
the initiator's choice, or the initiator.

Manager levels count the way DingTalk does: level 1 is the head of the initiator's
department, unless the initiator is that head, in which case it is the head of the
parent department; each further level climbs one department up. Someone who heads the
company as well as its top department is thus their own level-1 manager: a node's
``self`` option says what then happens (the builtin flows skip to the next level).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from sqlalchemy import Connection
from sqlalchemy import select

from ..identity import department_subtree
from ..runtime import Runtime

MAX_LEVELS = 20


@dataclass(frozen=True)
class Org:
    """The organisation as the engine needs it: departments, heads, users, roles (one read)."""

    parent: Mapping[int, int | None]
    head: Mapping[int, int | None]
    department_of: Mapping[int, int | None]
    logins: Mapping[str, int]
    active: frozenset[int]
    roles: Mapping[str, frozenset[int]]
    manager_of: Mapping[int, int] = dc_field(default_factory=dict)  # a user's own manager, when set

    @classmethod
    def load(cls, conn: Connection, runtime: Runtime) -> Org:
        tables = runtime.schema.metadata.tables
        departments, users, memberships = (
            tables["loom_departments"],
            tables["loom_users"],
            tables["loom_memberships"],
        )
        parent, head = {}, {}
        for dept in conn.execute(select(departments.c.id, departments.c.parent_id, departments.c.head_id)):
            parent[dept.id] = dept.parent_id
            head[dept.id] = dept.head_id
        department_of, logins, active, manager_of = {}, {}, set(), {}
        columns = (users.c.id, users.c.login, users.c.department_id, users.c.active, users.c.manager_id)
        for row in conn.execute(select(*columns)):
            department_of[row.id] = row.department_id
            logins[row.login] = row.id
            if row.manager_id is not None:
                manager_of[row.id] = row.manager_id
            if row.active:
                active.add(row.id)
        roles: dict[str, set[int]] = {"employee": set(active)}
        for member in conn.execute(select(memberships.c.user_id, memberships.c.role)):
            roles.setdefault(member.role, set()).add(member.user_id)
        # A role that inherits another also holds it: finance_director counts among finance.
        inherits = {d.name: tuple(d.spec.get("inherits", ())) for d in runtime.catalog.of_kind("role")}
        for role, inherited in _closure(inherits).items():
            for other in inherited:
                roles.setdefault(other, set()).update(roles.get(role, set()))
        return cls(
            parent,
            head,
            department_of,
            logins,
            frozenset(active),
            {k: frozenset(v) for k, v in roles.items()},
            manager_of,
        )

    def manager(self, user_id: int, level: int) -> int | None:
        """The initiator's manager at ``level`` (1 = the head above them), or None."""
        chain = self.managers(user_id, level)
        return chain[level - 1] if len(chain) >= level else None

    def managers(self, user_id: int, levels: int = MAX_LEVELS) -> list[int | None]:
        """Managers from level 1 upward: a user's own manager where one is set (as in a
        company whose reporting lines cross departments), else the heads of the departments
        above; None where a department on the way has no head."""
        chain: list[int | None] = []
        current, seen = user_id, {user_id}
        while len(chain) < levels and self.manager_of.get(current) not in (None, *seen):
            current = self.manager_of[current]
            chain.append(current)
            seen.add(current)
        return chain + self._heads(current, levels - len(chain))

    def manager_above(self, user_id: int, level: int = 0) -> int | None:
        """The first manager above ``level`` (0: from level 1) who is someone else than the user.

        A head of both the company and its top department is their own level-1 manager; the
        chain is climbed past them (and past levels without a head) to the next person.
        """
        chain = self.managers(user_id)[level:]
        return next((m for m in chain if m is not None and m != user_id and m in self.active), None)

    def _heads(self, user_id: int, levels: int) -> list[int | None]:
        department = self.department_of.get(user_id)
        if department is None:
            return []
        if self.head.get(department) == user_id:
            department = self.parent.get(department)
        chain: list[int | None] = []
        seen: set[int] = set()
        while department is not None and len(chain) < levels and department not in seen:
            seen.add(department)
            chain.append(self.head.get(department))
            department = self.parent.get(department)
        return chain


def _closure(inherits: Mapping[str, tuple[str, ...]]) -> dict[str, set[str]]:
    """Every role each role inherits, directly or not."""
    result: dict[str, set[str]] = {}
    for role in inherits:
        seen: set[str] = set()
        stack = list(inherits[role])
        while stack:
            parent = stack.pop()
            if parent not in seen:
                seen.add(parent)
                stack.extend(inherits.get(parent, ()))
        result[role] = seen
    return result


def resolve(
    spec: Mapping[str, Any],
    org: Org,
    *,
    initiator: int,
    record: Mapping[str, Any],
    chosen: list[int] | None,
    conn: Connection | None = None,
    runtime: Runtime | None = None,
) -> list[int]:
    """The active users an approver spec names, in order, without repeats."""
    found: list[int | None] = []
    if "users" in spec:
        found = [org.logins.get(login) for login in spec["users"]]
    elif "role" in spec:
        members = org.roles.get(spec["role"], frozenset())
        if spec.get("scope") == "department" and conn is not None and runtime is not None:
            department = org.department_of.get(initiator)
            subtree = (
                set(department_subtree(conn, runtime.schema.metadata.tables["loom_departments"], department))
                if department
                else set()
            )
            members = frozenset(u for u in members if org.department_of.get(u) in subtree)
        found = list(sorted(members))
    elif "manager" in spec:
        found = [org.manager(initiator, spec["manager"])]
    elif "managers" in spec:
        found = _manager_chain(org, initiator, spec["managers"])
    elif "department_head" in spec:
        departments = (
            org.department_of.get(initiator)
            if spec["department_head"] is True
            else record.get(spec["department_head"])
        )
        # A multi-department field names several departments: their heads countersign together.
        departments = departments if isinstance(departments, list) else [departments]
        found = [org.head.get(d) for d in departments if d is not None]
    elif "field" in spec:
        value = record.get(spec["field"])
        found = value if isinstance(value, list) else [value]
    elif "chosen" in spec:
        found = list(chosen or [])
    elif "initiator" in spec:
        found = [initiator]
    return _active_unique(found, org)


def _manager_chain(org: Org, initiator: int, spec: Mapping[str, Any]) -> list[int | None]:
    chain = org.managers(initiator, spec.get("up_to_level", MAX_LEVELS))
    role = spec.get("up_to_role")
    if role is None:
        return chain
    holders = org.roles.get(role, frozenset())
    for index, user in enumerate(chain):
        if user in holders:
            return chain[: index + 1]
    return chain


def _active_unique(users: list[Any], org: Org) -> list[int]:
    result: list[int] = []
    for user in users:
        if isinstance(user, int) and user in org.active and user not in result:
            result.append(user)
    return result
