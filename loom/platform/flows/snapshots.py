"""The flow definition an approval keeps while it runs, and the format it is written in.

An approval runs to its end on the definition it started with, not on the flow as it is
declared later: its instance stores a snapshot of the definition with the number of the
format it was written in (``format``). The flow language grows, and an approval may wait for
weeks: when a change would make the engine read an older snapshot differently, ``FORMAT``
goes up by one and ``UPGRADES`` gains the step from the previous format, so approvals started
before the change keep running. Every read of a stored snapshot goes through ``upgraded``.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from typing import Any

from loom.metadata.catalog import thaw

FORMAT = 1
UNNUMBERED = 0  # the format of snapshots written before they carried a number


def _numbered(definition: dict[str, Any]) -> dict[str, Any]:
    """Format 0 reads as format 1: the language did not change when snapshots got a number."""
    return definition


# Format n → the same snapshot in format n + 1.
UPGRADES: Mapping[int, Callable[[dict[str, Any]], dict[str, Any]]] = {0: _numbered}


def snapshot(spec: Mapping[str, Any]) -> dict[str, Any]:
    """What an instance stores of the flow it starts: the definition in today's format."""
    return {**thaw(spec), "format": FORMAT}


def upgraded(stored: Mapping[str, Any]) -> dict[str, Any]:
    """A stored snapshot in today's format, whatever format it was written in."""
    definition = dict(stored)
    version = definition.get("format", UNNUMBERED)
    while version < FORMAT:
        definition = UPGRADES[version](definition)
        version += 1
    definition["format"] = FORMAT
    return definition
