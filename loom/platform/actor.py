"""Who performs an operation. Every service call names its actor; nothing reads a global user."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field


@dataclass(frozen=True, slots=True)
class Actor:
    """A user (or the system) as the services see it: id, roles and department."""

    id: int | None
    login: str
    roles: frozenset[str] = frozenset()
    department_id: int | None = None
    is_system: bool = False
    name: str = field(default="", compare=False)  # how people are shown it (王建国), not who it is

    @property
    def is_admin(self) -> bool:
        """Admins (and the system) manage the site: metadata, delegations, hand-overs, the designer."""
        return self.is_system or "admin" in self.roles


SYSTEM = Actor(None, "system", frozenset({"admin"}), is_system=True)
