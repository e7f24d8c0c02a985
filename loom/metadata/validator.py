"""The validation pipeline: schema checks, overlays, semantic checks, then the Catalog.

Every stage collects problems instead of stopping at the first; a Catalog is produced
only when nothing is wrong. No stage raises for bad metadata, whatever its shape.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from types import MappingProxyType

from .catalog import Catalog
from .catalog import build_catalog
from .checks.apps import check_app
from .checks.apps import dependency_cycles
from .checks.apps import duplicate_documents
from .checks.apps import topological_order
from .checks.automation_cycles import automation_cycles
from .checks.automations import check_automation
from .checks.dashboards import check_dashboard
from .checks.entities import check_entity
from .checks.flows import check_flow
from .checks.forms import check_form
from .checks.reports import check_report
from .checks.roles import check_role
from .checks.seeds import check_data
from .index import KIND_NAMES
from .index import Index
from .index import Key
from .loader import Layer
from .loader import Sources
from .loader import builtin_app_names
from .loader import read_sources
from .overlay_fields import Placement
from .overlay_fields import explain_removed
from .overlay_fields import field_names
from .overlay_fields import follow_field_changes
from .overlay_fields import placements
from .overlay_fields import removals
from .overlays import apply_overlay
from .overlays import not_customizable
from .overlays import overlay_target
from .problems import Location
from .problems import Problem
from .schema_check import check_document
from .source import Document

Check = Callable[[Document, Index], Iterator[Problem]]
CHECKS: dict[str, Check] = {
    "app": check_app,
    "entity": check_entity,
    "form": check_form,
    "flow": check_flow,
    "automation": check_automation,
    "report": check_report,
    "dashboard": check_dashboard,
    "data": check_data,
    "role": check_role,
}


@dataclass(frozen=True, slots=True)
class Result:
    """Problems sorted by file and line; a Catalog exactly when there are none."""

    problems: tuple[Problem, ...]
    catalog: Catalog | None
    # The documents after every overlay applied, by (kind, app, name): each value remembers the
    # file and line it came from, which is what ``provenance`` reports.
    documents: Mapping[Key, Document] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def validate_paths(
    paths: Iterable[Path | str],
    overlays: Iterable[Path | str] = (),
    with_builtin: bool = True,
    layer: Layer | None = None,
) -> Result:
    """Read and validate packages and site overlays from disk, and a revision's ``layer``."""
    return validate_sources(read_sources(paths, overlays, with_builtin, layer))


def validate_sources(sources: Sources) -> Result:
    problems = list(sources.problems)
    documents = [doc for package in sources.packages for doc in (package.manifest, *package.documents)]
    problems.extend(duplicate_documents(documents))
    index = Index(installable=builtin_app_names())
    for doc in documents:
        _register(index, doc, problems)
    site_overlays = []
    for doc in sources.overlays:
        found = check_document(doc)
        problems.extend(found)
        if not found:
            site_overlays.append(doc)
    order = topological_order(index)
    removed = _apply_overlays(index, _overlay_order(index, order, site_overlays), problems)
    problems.extend(dependency_cycles(index))
    for doc in [*index.manifests.values(), *index.documents.values()]:
        check = CHECKS.get(doc.kind)
        if check is not None:
            problems.extend(check(doc, index))
    if not problems:
        problems.extend(automation_cycles(index))  # needs every reference resolved
    problems = explain_removed(problems, removed)
    problems.sort(key=Problem.sort_key)
    catalog = build_catalog(index, order) if not problems else None
    return Result(tuple(problems), catalog, MappingProxyType(dict(index.documents)))


def _register(index: Index, doc: Document, problems: list[Problem]) -> None:
    found = check_document(doc)
    problems.extend(found)
    if found:
        index.broken.add((doc.kind, doc.app or "", doc.name))
    else:
        index.add(doc)


def _overlay_order(index: Index, app_order: list[str], site: list[Document]) -> list[Document]:
    """Package overlays in dependency order, then the site's; each by ``order``, then file."""
    rank = {app: i for i, app in enumerate(app_order)}
    packaged = sorted(
        index.of_kind("overlay"), key=lambda d: (rank.get(d.app or "", 0), d.data.get("order", 0), d.file)
    )
    return [*packaged, *sorted(site, key=lambda d: (d.data.get("order", 0), d.file))]


def _apply_overlays(index: Index, overlays: list[Document], problems: list[Problem]) -> dict[str, Location]:
    """Apply every overlay; returns where each entity field was removed (``app.entity/field``)."""
    fields_before: dict[Key, list[str]] = {}
    placed: dict[Key, dict[str, Placement]] = {}
    removed: dict[str, Location] = {}
    for overlay in overlays:
        kind, app, name = overlay_target(overlay)
        key = (kind, app, name)
        if key in index.broken:
            continue
        base = index.manifests.get(name) if kind == "app" else index.documents.get(key)
        if base is None:
            problems.append(
                overlay.problem(
                    "overlay.missing_target",
                    "/target",
                    target=overlay.data["target"],
                    target_kind=KIND_NAMES[kind],
                )
            )
            continue
        locked = list(not_customizable(base, overlay))
        if locked:
            problems.extend(locked)
            continue
        merged, found = apply_overlay(base, overlay)
        problems.extend(found)
        schema_problems = check_document(merged)
        problems.extend(schema_problems)
        if schema_problems:
            # The target stays as it was: its problems are the overlay's, reported at the
            # overlay's lines, not again by every document that reads the target.
            continue
        if kind == "entity":
            fields_before.setdefault(key, field_names(base))
            placed.setdefault(key, {}).update(placements(overlay))
            removed.update(removals(overlay, f"{app}.{name}"))
        index.add(merged)
    follow_field_changes(index, fields_before, placed)
    return removed
