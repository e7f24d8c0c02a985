"""Checks across packages: dependencies exist, do not form cycles, names are unique."""

from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Mapping

from ..index import KIND_NAMES
from ..index import Index
from ..index import did_you_mean
from ..problems import Problem
from ..source import Document
from ..versions import dependencies
from ..versions import satisfies
from ..versions import version_range
from .icons import check_icon
from .names import check_identifier


def check_app(doc: Document, index: Index) -> Iterator[Problem]:
    yield from check_identifier(doc, "/name", doc.name)
    yield from check_icon(doc)
    ranged = isinstance(doc.data.get("depends"), Mapping)
    for i, (dep, wanted) in enumerate(dependencies(doc.data).items()):
        pointer = f"/depends/{dep}" if ranged else f"/depends/{i}"
        if dep not in index.manifests:
            yield doc.problem("ref.unknown_app", pointer, app=dep, hint=did_you_mean(dep, index.manifests))
        elif wanted is not None:
            yield from _check_range(doc, pointer, dep, wanted, index)


def _check_range(doc: Document, pointer: str, dep: str, wanted: str, index: Index) -> Iterator[Problem]:
    """An app installed at a version outside the range its dependent names is refused, so that
    installing or upgrading either one cannot leave an app running against a version it does
    not know."""
    try:
        version_range(wanted)
    except ValueError:
        yield doc.problem("app.bad_range", pointer, range=wanted)
        return
    installed = str(index.manifests[dep].data.get("version", ""))
    if not satisfies(installed, wanted):
        yield doc.problem("app.unmet_range", pointer, app=dep, range=wanted, version=installed)


def dependency_cycles(index: Index) -> Iterator[Problem]:
    """One problem per cycle among the apps' ``depends``, reported at the first app in it."""
    reported: set[frozenset[str]] = set()
    for start in sorted(index.manifests):
        cycle = _find_cycle(index, start)
        if cycle and frozenset(cycle) not in reported:
            reported.add(frozenset(cycle))
            doc = index.manifests[cycle[0]]
            yield doc.problem("app.cycle", "/depends", cycle=" → ".join([*cycle, cycle[0]]))


def _find_cycle(index: Index, start: str) -> list[str] | None:
    path: list[str] = []

    def visit(app: str) -> list[str] | None:
        if app in path:
            return path[path.index(app) :]
        path.append(app)
        for dep in index.depends(app):
            if dep in index.manifests and (found := visit(dep)):
                return found
        path.pop()
        return None

    return visit(start)


def topological_order(index: Index) -> list[str]:
    """App names with every app after its dependencies (cycles broken by name order)."""
    ordered: list[str] = []
    visiting: set[str] = set()

    def visit(app: str) -> None:
        if app in ordered or app in visiting:
            return
        visiting.add(app)
        for dep in index.depends(app):
            if dep in index.manifests:
                visit(dep)
        ordered.append(app)

    for app in sorted(index.manifests):
        visit(app)
    return ordered


def duplicate_documents(documents: list[Document]) -> Iterator[Problem]:
    """Two documents of one kind and name in one app."""
    seen: dict[tuple[str, str, str], Document] = {}
    for doc in documents:
        key = (doc.kind, doc.app or "", doc.name)
        if key in seen:
            what = KIND_NAMES.get(doc.kind, {"en": doc.kind, "zh": doc.kind})
            yield doc.problem(
                "name.duplicate", "/name", what=what, name=doc.name, other=str(seen[key].locate("/name"))
            )
        else:
            seen[key] = doc
