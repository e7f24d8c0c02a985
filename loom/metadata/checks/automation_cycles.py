"""Automations that would re-trigger each other for ever, found before anything runs.

At run time a chain of automations is cut at its ``max_depth``; here the validator
reports the chains it can prove endless: each automation in the cycle has no ``if``
guard, fires on a record being created or updated, and its write certainly fires the
next one again: a ``create`` (a new record every time), or a ``set``/``update`` that
assigns a field from its own current value (``count: record.count + 1``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ..index import Index
from ..problems import Problem
from ..source import Document

Node = tuple[str, str]  # (app, automation name)


def automation_cycles(index: Index) -> Iterator[Problem]:
    """One problem per endless cycle, reported at the first automation in it."""
    docs = {(doc.app or "", doc.name): doc for doc in index.of_kind("automation")}
    fires = _fires(index, docs)
    edges = {node: _next(index, doc, fires) for node, doc in docs.items() if "if" not in doc.data}
    reported: set[frozenset[Node]] = set()
    for start in sorted(edges):
        cycle = _cycle(edges, start)
        if cycle and frozenset(cycle) not in reported:
            reported.add(frozenset(cycle))
            names = " → ".join(f"{app}.{name}" for app, name in [*cycle, cycle[0]])
            yield docs[cycle[0]].problem("automation.cycle", "/on", cycle=names)


def _fires(index: Index, docs: dict[Node, Document]) -> dict[tuple[str, str], list[Node]]:
    """Unguarded automations by (trigger, qualified entity), for created and updated triggers."""
    found: dict[tuple[str, str], list[Node]] = {}
    for node, doc in docs.items():
        trigger, value = next(iter(doc.data["on"].items()))
        if trigger in ("created", "updated") and "if" not in doc.data and isinstance(value, str):
            found.setdefault((trigger, _qualified(index, value, node[0])), []).append(node)
    return found


def _next(index: Index, doc: Document, fires: dict[tuple[str, str], list[Node]]) -> list[Node]:
    app = doc.app or ""
    value = next(iter(doc.data["on"].values()))
    own = _qualified(index, value, app) if isinstance(value, str) else None
    found: list[Node] = []
    for action in doc.data["do"]:
        kind, spec = next(iter(action.items()))
        if kind == "create":
            found += fires.get(("created", _qualified(index, spec["entity"], app)), [])
        elif kind == "set" and own and _feeds_itself(spec, "record."):
            found += fires.get(("updated", own), [])
        elif kind == "update" and _feeds_itself(spec["set"], ""):
            found += fires.get(("updated", _qualified(index, spec["entity"], app)), [])
    return found


def _feeds_itself(assignments: dict[str, Any], prefix: str) -> bool:
    """Some field is assigned from an expression that reads that same field."""
    return any(
        isinstance(source, str) and re.search(rf"(?<![\w.]){re.escape(prefix)}{re.escape(field)}\b", source)
        for field, source in assignments.items()
    )


def _qualified(index: Index, ref: str, app: str) -> str:
    owner, name = index.split(ref, app)
    return f"{owner}.{name}"


def _cycle(edges: dict[Node, list[Node]], start: Node) -> list[Node] | None:
    path: list[Node] = []
    done: set[Node] = set()

    def visit(node: Node) -> list[Node] | None:
        if node in path:
            return path[path.index(node) :]
        if node in done or node not in edges:
            return None
        path.append(node)
        for following in edges[node]:
            if found := visit(following):
                return found
        path.pop()
        done.add(node)
        return None

    return visit(start)
