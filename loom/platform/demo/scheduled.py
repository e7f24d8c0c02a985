"""Records that scheduled automations make are made by running those automations.

A year's leave balances are granted each night from the employee profiles; inventing them
would show numbers no site ever has (a quota that is not the one the rule gives, a second
balance the rule would have skipped). So an entity that a scheduled automation creates is
not filled like the others: once the records that automation runs over are in place, the
demo runs it once, as the job runner would that night. Nothing here names an entity of OA.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Connection

from ..automations.service import AutomationService


def scheduled_makers(automations: AutomationService) -> dict[str, list[str]]:
    """Entity → the scheduled automations that create its records, by qualified name."""
    found: dict[str, list[str]] = {}
    for automation in automations.registry.of_kind("schedule"):
        for action in automation.actions:
            if "create" in action:
                entity = automation.entity_of(action["create"]["entity"])
                found.setdefault(entity, []).append(automation.name)
    return found


def inputs(automations: AutomationService, names: list[str]) -> set[str]:
    """The entities those automations read records of: what must be filled before they run."""
    read: set[str] = set()
    for name in names:
        automation = automations.registry.named(name)
        assert automation is not None, name
        read.add(automation.target)
        for action in automation.actions:
            source = action.get("create", {}).get("for_each")
            if isinstance(source, Mapping):
                read.add(automation.entity_of(source["entity"]))
    return read


def run_makers(automations: AutomationService, conn: Connection, names: list[str]) -> None:
    """Run the automations now, in the demo's transaction."""
    for name in names:
        automations.run_schedule(name, conn=conn)
