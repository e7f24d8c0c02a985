"""Semantic checks of dashboard documents.

A dashboard is shown to the holders of its roles, so its roles must exist; each widget
names what it shows (a report and one of its measures, entities), and a key that its type
does not read is reported rather than silently ignored.
"""

from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Mapping
from typing import Any

from ..index import Index
from ..index import did_you_mean
from ..problems import Problem
from ..source import Document
from . import common
from .reports import measures_of

# The keys each widget type reads besides ``type``, ``label`` and ``width``.
WIDGET_KEYS = {
    "report": ("report", "chart", "measure", "period"),
    "number": ("report", "measure", "period"),
    "todos": ("limit",),
    "my_requests": ("limit",),
    "recent": ("entity", "limit"),
    "announcements": ("limit",),
    "shortcuts": ("entities",),
}
COMMON_KEYS = ("type", "label", "width")


def check_dashboard(doc: Document, index: Index) -> Iterator[Problem]:
    for i, role in enumerate(doc.data["roles"]):
        yield from common.role_ref(index, doc, f"/roles/{i}", role)
    for i, widget in enumerate(doc.data["widgets"]):
        yield from _widget(doc, index, f"/widgets/{i}", widget)


def _widget(doc: Document, index: Index, here: str, widget: Mapping[str, Any]) -> Iterator[Problem]:
    kind = widget["type"]
    for key in widget:
        if key not in COMMON_KEYS and key not in WIDGET_KEYS[kind]:
            yield doc.problem("schema.unknown_key", f"{here}/{key}", key=key)
    if "report" in widget and "report" in WIDGET_KEYS[kind]:
        yield from _report(doc, index, here, widget)
    if "entity" in widget and kind == "recent":
        _, problems = common.entity_ref(index, doc, f"{here}/entity", widget["entity"], child=False)
        yield from problems
    for i, ref in enumerate(widget.get("entities", []) if kind == "shortcuts" else ()):
        _, problems = common.entity_ref(index, doc, f"{here}/entities/{i}", ref, child=False)
        yield from problems


def _report(doc: Document, index: Index, here: str, widget: Mapping[str, Any]) -> Iterator[Problem]:
    ref, app = widget["report"], doc.app or ""
    found = index.resolve("report", ref, app)
    if found.undeclared:
        owner = index.split(ref, app)[0]
        yield doc.problem("ref.undeclared_dependency", f"{here}/report", ref=ref, app=owner, owner=app)
        return
    if found.missing:
        hint = index.suggest("report", ref, app)
        yield doc.problem("ref.unknown_report", f"{here}/report", ref=ref, hint=hint)
        return
    if found.document is None or "measure" not in widget:
        return
    names = [m["name"] for m in measures_of(found.document.data)]
    if widget["measure"] not in names:
        yield doc.problem(
            "ref.unknown_measure",
            f"{here}/measure",
            report=ref,
            measure=widget["measure"],
            hint=did_you_mean(widget["measure"], names),
        )
