"""Automation documents of the Catalog, indexed by what triggers them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from loom.metadata.catalog import Catalog
from loom.metadata.catalog import Definition
from loom.metadata.catalog import Label
from loom.metadata.catalog import thaw
from loom.metadata.expressions import Expression

DEFAULT_MAX_DEPTH = 5
RECORD_TRIGGERS = {"create": "created", "update": "updated", "delete": "deleted"}


def qualify(ref: str, app: str) -> str:
    """An entity or flow reference as ``app.name`` (a bare name is of the document's own app)."""
    return ref if "." in ref else f"{app}.{ref}"


@dataclass(frozen=True)
class Automation:
    """One automation, its trigger resolved to qualified names."""

    definition: Definition
    trigger: str  # created, updated, deleted, changed, flow_finished, button, schedule
    target: str  # the qualified entity (or, for flow_finished, the flow)
    options: Mapping[str, Any]  # the trigger's own settings (button, schedule, changed)
    actions: tuple[Mapping[str, Any], ...]

    @property
    def name(self) -> str:
        return self.definition.qualified_name

    @property
    def label(self) -> Label:
        return self.definition.label

    @property
    def run_as_system(self) -> bool:
        return self.definition.spec.get("run_as") == "system"

    @property
    def max_depth(self) -> int:
        return int(self.definition.spec.get("max_depth", DEFAULT_MAX_DEPTH))

    @property
    def outcome(self) -> str:
        return self.definition.spec.get("outcome", "approved")

    @cached_property  # asked on every run; the definition never changes
    def reads_links(self) -> bool:
        """Whether an expression reads ``linked``: only then are the linked records loaded."""
        return any("linked" in e.variables for e in self.definition.expressions.values())

    def expression(self, pointer: str) -> Expression | None:
        return self.definition.expressions.get(pointer)

    def entity_of(self, ref: str) -> str:
        return qualify(ref, self.definition.app)


def automation(definition: Definition) -> Automation:
    spec = thaw(definition.spec)
    trigger, value = next(iter(spec["on"].items()))
    if isinstance(value, str):
        target, options = qualify(value, definition.app), {}
    else:
        target, options = qualify(value["entity"], definition.app), value
    return Automation(definition, trigger, target, options, tuple(spec["do"]))


class Registry:
    """Every enabled automation of a Catalog, found by trigger and target in one lookup."""

    def __init__(self, catalog: Catalog) -> None:
        self._by: dict[tuple[str, str], list[Automation]] = {}
        self._by_name: dict[str, Automation] = {}
        for definition in catalog.of_kind("automation"):
            if definition.spec.get("enabled", True) is False:
                continue
            found = automation(definition)
            self._by.setdefault((found.trigger, found.target), []).append(found)
            self._by_name[found.name] = found

    def of(self, trigger: str, target: str) -> list[Automation]:
        return self._by.get((trigger, target), [])

    def named(self, name: str) -> Automation | None:
        """By qualified name, or by bare name when that is unambiguous."""
        if name in self._by_name:
            return self._by_name[name]
        found = [a for a in self._by_name.values() if a.definition.name == name]
        return found[0] if len(found) == 1 else None

    def of_kind(self, trigger: str) -> list[Automation]:
        return [a for a in self._by_name.values() if a.trigger == trigger]

    def all(self) -> list[Automation]:
        return list(self._by_name.values())
