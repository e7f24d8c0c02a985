"""The builtin OA and CRM packages are valid metadata, and metadata only."""

from __future__ import annotations

from pathlib import Path

import loom
from loom.metadata import validate_paths
from loom.metadata.catalog import thaw
from loom.platform.flows.nodes import walk

BUILTIN = Path(loom.__file__).parent / "builtin_apps"


def test_builtin_apps_validate() -> None:
    result = validate_paths([BUILTIN])
    assert [p.render() for p in result.problems] == []
    assert {"oa", "crm"} <= set(result.catalog.apps)


def test_builtin_apps_hold_no_python() -> None:
    assert [str(p) for p in BUILTIN.rglob("*.py")] == []


def _approve_nodes(nodes: list) -> list[dict]:
    """Every approve node of a flow, inside branches and parallel lanes too."""
    return [node for node in walk(thaw(nodes)) if "approve" in node]


def test_every_manager_node_says_what_happens_when_the_initiator_approves() -> None:
    """A general manager who also heads the company is his own level-1 manager: each node whose
    approvers come from the org chart (or the general manager's role) must say what then happens."""
    catalog = validate_paths([BUILTIN]).catalog
    silent = [
        f"{flow.name}/{node['name']}"
        for flow in catalog.of_kind("flow")
        for node in _approve_nodes(flow.spec["nodes"])
        if {"manager", "managers", "department_head"} & set(node["approve"])
        or node["approve"].get("role") == "general_manager"
        if "self" not in node
    ]
    assert silent == []
