"""``explain-metadata``: which layer set each property of a document or field, on a site.

The metadata package says which file and line a value came from; this names the layer of that
file for people: a package and its version, a site overlay file, or a published revision with
its author and time.
"""

from __future__ import annotations

from typing import Any

from loom.errors import MetadataError
from loom.metadata.loader import display_path
from loom.metadata.provenance import explain

from ..site import Site
from . import store


def explain_on_site(site: Site, engine: Any, target: str) -> list[dict[str, Any]]:
    """One row per property: its value, the layer that set it and the place, as text."""
    return explain_all(site, engine, [target])[target]


def explain_all(site: Site, engine: Any, targets: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The rows of :func:`explain_on_site` for each of ``targets``, reading the site's metadata
    once (the console explains every field of an entity on one page)."""
    current = store.current(engine)
    result = site.load_metadata(current.layer if current.id else None)
    if result.catalog is None:
        raise MetadataError(list(result.problems))
    packages = {display_path(path): path.name for path in site.app_paths()}
    overlays = display_path(site.overlays_dir)
    revisions: dict[int, store.Revision] = {}
    explained: dict[str, list[dict[str, Any]]] = {}
    for target in targets:
        doc, origins = explain(result.documents, target)
        rows = explained[target] = []
        for origin in origins:
            file = origin.location.file
            row: dict[str, Any] = {
                "property": origin.property,
                "value": origin.value,
                "source": str(origin.location),
            }
            if file.startswith("revision "):
                number = int(file.split(":", 1)[0].split()[1])
                if number not in revisions:
                    with engine.connect() as conn:
                        revisions[number] = store.get(conn, number) or store.BASE
                found = revisions[number]
                row.update(layer="revision", revision=number, author_id=found.author_id, at=found.created_at)
            elif file.startswith(overlays + "/"):
                row.update(layer="site overlay")
            else:
                app = next((name for root, name in packages.items() if file.startswith(root + "/")), doc.app)
                manifest = result.catalog.apps.get(app or "")
                row.update(layer="package", app=app, version=manifest.version if manifest else None)
            rows.append(row)
    return explained
