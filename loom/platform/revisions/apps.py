"""Installing, upgrading and uninstalling apps, each published as a metadata revision.

``install`` stores a package's documents in the site's layer (``apps/<name>/…``), so every
process on every host has it from its next request, with no file to copy and no restart;
``uninstall`` takes them out again (its tables are retired with their data, not dropped), and is
refused while another app depends on it. ``upgrade`` below replaces an app installed as files.

Upgrading an installed app from a package folder or zip comes with a pre-flight check of the
site's customizations (overlay files and published revisions) against the new version.

An upgrade is published like any metadata change: the new package is validated together with
every overlay and revision, its migration planned (destructive steps need confirmation) and
applied with a new revision, so every running process of the site takes it up at its next
request. The package replaces the site's copy in ``apps/<name>``; the previous copy is kept
beside it until the upgrade has landed.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from loom.metadata import Problem
from loom.metadata import validate_paths
from loom.metadata.loader import MANIFEST
from loom.metadata.loader import load_package
from loom.metadata.loader import package_texts

from ..site import Site
from . import publish as pipeline
from . import store


class UpgradeRefused(pipeline.PublishError):
    """The package cannot replace the installed app; nothing was changed."""


@dataclass(frozen=True)
class Check:
    """What upgrading ``app`` from ``old`` to ``new`` would break, before anything is applied."""

    app: str
    old: str | None
    new: str
    problems: tuple[Problem, ...]
    customizations: tuple[Problem, ...]  # the problems located in overlays and revisions
    changes: Mapping[str, str | None]  # what the upgrade publishes in the site's layer
    in_layer: bool  # installed with ``install`` (else: files of the site or builtin)

    @property
    def ok(self) -> bool:
        return not self.problems


def install(
    site: Site, engine: Engine, package: Path, *, author_id: int | None, allow_destructive: bool = False
) -> store.Revision:
    """Publish the package's documents as ``apps/<name>/…`` of the layer (see the module docstring)."""
    found, problems = load_package(package)
    if found is None:
        raise UpgradeRefused(f"{package}: not an app package ({'; '.join(p.render() for p in problems)})")
    current = store.current(engine)
    installed = site.load_metadata(current.layer if current.id else None).catalog
    if installed is not None and found.name in installed.apps:
        raise UpgradeRefused(f"app '{found.name}' is installed already: use loom apps upgrade")
    changes: dict[str, str | None] = {
        f"apps/{found.name}/{path}": text for path, text in _texts(package).items()
    }
    version = found.manifest.data.get("version", "")
    return pipeline.publish(
        site, engine, changes, parent=current.id, author_id=author_id,
        message=f"install {found.name} {version}", allow_destructive=allow_destructive,
    )  # fmt: skip


def uninstall(site: Site, engine: Engine, name: str, *, author_id: int | None) -> store.Revision:
    """Take an app installed by ``install`` out of the layer; its data stays, retired."""
    current = store.current(engine)
    prefix = f"apps/{name}/"
    paths = [path for path in current.documents if path.startswith(prefix)]
    if not paths:
        where = "site.yaml (apps)" if name in site.settings.apps else "this site"
        raise UpgradeRefused(f"app '{name}' was not installed with loom apps install: it comes from {where}")
    catalog = site.load_metadata(current.layer).catalog
    users = sorted(app.name for app in (catalog.apps.values() if catalog else ()) if name in app.depends)
    if users:
        raise UpgradeRefused(f"app '{name}' is needed by {', '.join(users)}: uninstall those first")
    return pipeline.publish(
        site,
        engine,
        dict.fromkeys(paths),
        parent=current.id,
        author_id=author_id,
        message=f"uninstall {name}",
    )


def check_upgrade(
    site: Site, engine: Engine, package: Path, changes: Mapping[str, str | None] | None = None
) -> Check:
    """Validate the site as it would be with ``package`` in place of the app of its name, and
    ``changes`` to its layer (the overlay fixes that go with the upgrade) published with it."""
    found, problems = load_package(package)
    if found is None:
        raise UpgradeRefused(f"{package}: not an app package ({'; '.join(p.render() for p in problems)})")
    current = store.current(engine)
    before = site.load_metadata(current.layer if current.id else None)
    installed = before.catalog.apps.get(found.name) if before.catalog else None
    prefix = f"apps/{found.name}/"
    in_layer = any(path.startswith(prefix) for path in current.documents)
    paths = site.app_paths()
    publishing = dict(changes or {})
    if in_layer:  # its documents are replaced in the layer
        publishing = {
            **dict.fromkeys(p for p in current.documents if p.startswith(prefix)),
            **{prefix + path: text for path, text in _texts(package).items()},
            **publishing,
        }
    elif found.name in site.settings.apps:  # its folder is replaced
        paths = [package if path.name == found.name else path for path in paths]
    else:
        raise UpgradeRefused(f"app '{found.name}' is not installed on this site: use loom apps install")
    overlays = [site.overlays_dir] if site.overlays_dir.is_dir() else []
    if publishing:  # the layer as the upgrade would publish it
        documents = pipeline.apply_changes(current.documents, publishing)
        layer = store.next_layer(current, documents)
    else:
        layer = current.layer
    result = validate_paths(paths, overlays, layer=layer)
    version = str(found.manifest.data.get("version", ""))
    theirs = tuple(p for p in result.problems if _is_customization(site, p))
    old = installed.version if installed else None
    return Check(found.name, old, version, result.problems, theirs, publishing, in_layer)


def upgrade(
    site: Site,
    engine: Engine,
    package: Path,
    *,
    author_id: int | None,
    changes: Mapping[str, str | None] | None = None,
    allow_destructive: bool = False,
) -> store.Revision:
    """Replace the site's copy of the app with ``package`` and publish it with ``changes`` (see
    the module docstring)."""
    checked = check_upgrade(site, engine, package, changes)
    if not checked.ok:
        raise pipeline.Invalid(checked.problems)
    message = f"upgrade {checked.app} {checked.old or '-'} → {checked.new}"
    if checked.in_layer:
        return pipeline.publish(
            site, engine, checked.changes, parent=store.head(engine), author_id=author_id, message=message,
            allow_destructive=allow_destructive,
        )  # fmt: skip
    target = site.apps_dir / checked.app
    previous = site.apps_dir / f".{checked.app}-previous"
    staged = _staged(package, site.apps_dir, checked.app)
    shutil.rmtree(previous, ignore_errors=True)
    if target.exists():
        target.rename(previous)
    staged.rename(target)
    try:
        landed = pipeline.publish(
            site,
            engine,
            checked.changes,
            parent=store.head(engine),
            author_id=author_id,
            message=message,
            allow_destructive=allow_destructive,
        )
    except Exception:
        shutil.rmtree(target, ignore_errors=True)
        if previous.exists():
            previous.rename(target)
        raise
    shutil.rmtree(previous, ignore_errors=True)
    return landed


def _texts(package: Path) -> dict[str, str]:
    try:
        return package_texts(package)
    except (OSError, zipfile.BadZipFile, UnicodeDecodeError) as exc:
        raise UpgradeRefused(f"{package}: cannot be read ({exc})") from None


def _staged(package: Path, apps_dir: Path, name: str) -> Path:
    """The package unpacked or copied next to its final place, so the swap is two renames."""
    apps_dir.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(prefix=f".{name}-new-", dir=apps_dir))
    if package.is_file():
        with zipfile.ZipFile(package) as archive:
            archive.extractall(staged / "unpacked")
        manifests = sorted((staged / "unpacked").rglob(MANIFEST), key=lambda p: len(p.parts))
        root = manifests[0].parent
    else:
        shutil.copytree(package, staged / "unpacked")
        root = staged / "unpacked"
    final = apps_dir / f".{name}-ready"
    shutil.rmtree(final, ignore_errors=True)
    root.rename(final)
    shutil.rmtree(staged, ignore_errors=True)
    return final


def _is_customization(site: Site, problem: Problem) -> bool:
    file = problem.location.file
    return file.startswith("revision ") or Path(file).resolve().is_relative_to(site.overlays_dir.resolve())
