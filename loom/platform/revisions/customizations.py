"""Moving a client's customizations between sites (dev → test → production), Directus-style.

``export`` writes the site's overlay files and its published layer as one zip: an overlay
package (``app.yaml`` + ``overlays/``) that ``loom validate`` accepts on top of the apps it
customizes, apps made on the site under ``_apps/`` (which the package loader skips), and
``_base.json``: the apps and versions the customizations were made on. ``import`` publishes
them on another site as one revision, and refuses when that site's base differs unless forced:
an overlay written for CRM 1.2 is not silently applied to CRM 2.0.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from loom.metadata import Catalog

from ..site import Site
from . import publish as pipeline
from . import store

BASE_FILE = "_base.json"
SITE_APPS = "_apps/"
MANIFEST = """\
kind: app
name: customizations
label: {{zh: 定制, en: Customizations}}
version: 1.0.{revision}
depends: [{depends}]
"""
MAX_ARCHIVE = 20 * 1024 * 1024


class BaseDiffers(pipeline.PublishError):
    def __init__(self, differences: list[str]) -> None:
        super().__init__(
            "the customizations were made on other app versions: "
            + "; ".join(differences)
            + " (check them with --plan, then import with --force)"
        )
        self.differences = differences


@dataclass(frozen=True)
class Customizations:
    documents: Mapping[str, str]  # layer paths: overlays/… and apps/<app>/…
    base: Mapping[str, str]  # app → version they were made on


def export(site: Site, engine: Engine, catalog: Catalog) -> bytes:
    """The zip of the site's overlay files and published layer (see the module docstring)."""
    current = store.current(engine)
    documents = dict(_site_overlays(site))
    documents.update(current.documents)
    base = {app.name: app.version for app in catalog.apps.values() if not _made_on_site(app.name, current)}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("app.yaml", MANIFEST.format(revision=current.id, depends=", ".join(sorted(base))))
        archive.writestr(
            BASE_FILE, json.dumps({"apps": base, "revision": current.id, "digest": current.digest})
        )
        for path, text in sorted(documents.items()):
            archive.writestr(SITE_APPS + path[len("apps/") :] if path.startswith("apps/") else path, text)
    return buffer.getvalue()


def read(data: bytes) -> Customizations:
    """The documents and base of an exported zip; raises BadChanges for anything else."""
    if len(data) > MAX_ARCHIVE:
        raise pipeline.BadChanges(f"the archive is larger than {MAX_ARCHIVE} bytes")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = [n for n in archive.namelist() if not n.endswith("/")]
            if BASE_FILE not in names:
                raise pipeline.BadChanges(f"not an export of customizations: no {BASE_FILE}")
            base = json.loads(archive.read(BASE_FILE))["apps"]
            documents = {}
            for name in names:
                if name.startswith(SITE_APPS):
                    documents["apps/" + name[len(SITE_APPS) :]] = archive.read(name).decode("utf-8")
                elif name.startswith("overlays/"):
                    documents[name] = archive.read(name).decode("utf-8")
    except (zipfile.BadZipFile, KeyError, ValueError, UnicodeDecodeError) as exc:
        raise pipeline.BadChanges(f"the archive cannot be read: {exc}") from None
    return Customizations(documents, base)


def base_differences(customizations: Customizations, catalog: Catalog) -> list[str]:
    """Each app whose version here is not the one the customizations were made on."""
    found = []
    for app, version in sorted(customizations.base.items()):
        here = catalog.apps.get(app)
        if here is None:
            found.append(f"{app} {version} is not installed here")
        elif here.version != version:
            found.append(f"{app} is {here.version} here, {version} there")
    return found


def import_(
    site: Site,
    engine: Engine,
    catalog: Catalog,
    customizations: Customizations,
    *,
    author_id: int | None,
    force: bool = False,
    allow_destructive: bool = False,
    message: str = "import customizations",
) -> store.Revision:
    """Publish the customizations on this site as one revision (after the base check)."""
    differences = base_differences(customizations, catalog)
    if differences and not force:
        raise BaseDiffers(differences)
    return pipeline.publish(
        site,
        engine,
        dict(customizations.documents),
        parent=store.head(engine),
        author_id=author_id,
        message=message,
        allow_destructive=allow_destructive,
    )


def _site_overlays(site: Site) -> dict[str, str]:
    folder = site.overlays_dir
    if not folder.is_dir():
        return {}
    return {
        "overlays/" + file.relative_to(folder).as_posix(): file.read_text(encoding="utf-8")
        for file in sorted(folder.rglob("*"))
        if file.is_file() and file.suffix in (".yaml", ".yml", ".json") and not _hidden(file, folder)
    }


def _hidden(file: Path, folder: Path) -> bool:
    return any(part.startswith((".", "_")) for part in file.relative_to(folder).parts)


def _made_on_site(app: str, current: store.Revision) -> bool:
    return any(path.startswith(f"apps/{app}/") for path in current.documents)
