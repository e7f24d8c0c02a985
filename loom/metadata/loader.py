"""Finding and reading app packages (folders or zips) and site overlays.

A package is a folder holding ``app.yaml`` and any tree of ``.yaml``/``.yml``/``.json``
documents; a zip of such a folder is read without unpacking it to disk.
"""

from __future__ import annotations

import os
import re
import zipfile
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from pathlib import PurePosixPath

from .problems import Location
from .problems import Problem
from .source import MAX_DOCUMENT_BYTES
from .source import Document
from .source import parse_documents
from .versions import dependencies

MANIFEST = "app.yaml"
SUFFIXES = (".yaml", ".yml", ".json")
MAX_FILES = 10_000
APP = {"en": "app", "zh": "应用"}
BUILTIN_APPS = Path(__file__).resolve().parent.parent / "builtin_apps"


@dataclass(frozen=True, slots=True)
class Package:
    """An app package as read from disk: its manifest and its other documents."""

    name: str
    root: str
    manifest: Document
    documents: tuple[Document, ...]

    @property
    def depends(self) -> tuple[str, ...]:
        return tuple(dependencies(self.manifest.data))


@dataclass(frozen=True, slots=True)
class Layer:
    """Documents kept in the database (a metadata revision) rather than in files.

    ``files`` maps paths to texts: ``apps/<app>/...`` holds apps made on the site (with their
    ``app.yaml``), ``overlays/...`` the site's changes to installed apps. ``label`` is how
    their locations read in problems ("revision 7: overlays/crm_customer.yaml:3").
    """

    files: Mapping[str, str]
    label: str


# A layer path: a new app's file or an overlay, plain names only (nothing climbs out).
LAYER_PATH = re.compile(
    r"^(?:apps/(?P<app>[a-z][a-z0-9_]{0,62})|overlays)(?:/[A-Za-z0-9_-][A-Za-z0-9_.-]{0,99}){1,8}$"
)


def layer_path_ok(path: str) -> bool:
    """Whether ``path`` may hold a document of a layer (and ends like a metadata file)."""
    return bool(LAYER_PATH.match(path)) and path.endswith(SUFFIXES) and "/." not in path


@dataclass(frozen=True, slots=True)
class Sources:
    """Everything one validation reads: packages, site overlays, and reading problems."""

    packages: tuple[Package, ...]
    overlays: tuple[Document, ...]
    problems: tuple[Problem, ...]


def builtin_app_names() -> frozenset[str]:
    """Apps shipped with Loom, which any package may depend on."""
    return frozenset(p.name for p in BUILTIN_APPS.iterdir() if (p / MANIFEST).is_file())


def display_path(path: Path | str) -> str:
    """A path as users should see it: relative to the working folder when inside it."""
    path = Path(path)
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def read_sources(
    paths: Iterable[Path | str],
    overlay_paths: Iterable[Path | str] = (),
    with_builtin: bool = True,
    layer: Layer | None = None,
) -> Sources:
    """Read the packages under ``paths``, the overlays under ``overlay_paths``, then ``layer``.

    A path may be a package folder, a zip of one, or a folder of packages. With
    ``with_builtin``, a dependency no given path provides is taken from the builtin apps.
    The layer's apps join the packages and its overlays apply after the site's files.
    """
    packages: dict[str, Package] = {}
    problems: list[Problem] = []
    loaded = (load_package(root) for root in _package_roots(paths, problems))
    for package, found in [*loaded, *(_layer_packages(layer) if layer else ())]:
        problems.extend(found)
        if package is None:
            continue
        if package.name in packages:
            first = packages[package.name].manifest
            problems.append(
                package.manifest.problem(
                    "name.duplicate", "/name", what=APP, name=package.name, other=str(first.locate("/name"))
                )
            )
        else:
            packages[package.name] = package
    if with_builtin:
        _add_builtin_dependencies(packages, problems)
    overlays: list[Document] = []
    for path in overlay_paths:
        documents, found = load_overlays(path)
        overlays.extend(documents)
        problems.extend(found)
    if layer is not None:
        for path, text in sorted(layer.files.items()):
            if path.startswith("overlays/"):
                documents, found = _parse(f"{layer.label}: {path}", _reader(text))
                overlays.extend(documents)
                problems.extend(found)
    return Sources(tuple(packages.values()), tuple(overlays), tuple(problems))


def _reader(text: str) -> Callable[[], bytes]:
    return lambda: text.encode()


def _layer_packages(layer: Layer) -> Iterator[tuple[Package | None, list[Problem]]]:
    apps: dict[str, list[tuple[str, str, Callable[[], bytes]]]] = {}
    for path, text in sorted(layer.files.items()):
        matched = LAYER_PATH.match(path)
        if matched and matched["app"]:
            relative = path.split("/", 2)[2]
            apps.setdefault(matched["app"], []).append((f"{layer.label}: {path}", relative, _reader(text)))
    for name, files in apps.items():
        yield _package(files, f"{layer.label}: apps/{name}", None, name)


def _package_roots(paths: Iterable[Path | str], problems: list[Problem]) -> Iterator[Path]:
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            problems.append(Problem("load.not_found", Location(display_path(path))))
        elif path.is_file() or (path / MANIFEST).is_file():
            yield path
        else:
            children = sorted(p for p in path.iterdir() if (p / MANIFEST).is_file())
            if not children:
                problems.append(Problem("load.no_manifest", Location(display_path(path))))
            yield from children


def _add_builtin_dependencies(packages: dict[str, Package], problems: list[Problem]) -> None:
    wanted = [dep for package in list(packages.values()) for dep in package.depends]
    while wanted:
        name = wanted.pop()
        folder = BUILTIN_APPS / name
        if name in packages or not (folder / MANIFEST).is_file():
            continue
        package, found = load_package(folder)
        problems.extend(found)
        if package is not None:
            packages[package.name] = package
            wanted.extend(package.depends)


def load_package(path: Path | str) -> tuple[Package | None, list[Problem]]:
    """Read one package folder or zip; returns None with problems when it has no manifest."""
    path = Path(path)
    try:
        files = list(_zip_files(path) if path.is_file() else _folder_files(path))
    except (OSError, zipfile.BadZipFile) as exc:
        return None, [Problem("load.bad_zip", Location(display_path(path)), "", {"detail": str(exc)})]
    manifest_name = f"{display_path(path)}/{MANIFEST}" if not path.is_file() else None
    return _package(files, display_path(path), manifest_name, path.stem)


def _package(
    files: list[tuple[str, str, Callable[[], bytes]]], root: str, manifest_name: str | None, fallback: str
) -> tuple[Package | None, list[Problem]]:
    """A package from its files: (shown as, path inside the package, how to read it)."""
    documents: list[Document] = []
    problems: list[Problem] = []
    manifest: Document | None = None
    for display, relative, read in files:
        found, parse_problems = _parse(display, read)
        problems.extend(parse_problems)
        is_manifest = relative == MANIFEST or display == manifest_name
        if is_manifest and found:
            manifest = found[0]
            documents.extend(found[1:])
        else:
            documents.extend(found)
    if manifest is None:
        return None, [*problems, Problem("load.no_manifest", Location(root))]
    name = manifest.name or fallback
    bound = tuple(Document(d.data, d.positions, d.file, name) for d in documents)
    own_manifest = Document(manifest.data, manifest.positions, manifest.file, name)
    return Package(name, root, own_manifest, bound), problems


def _parse(display: str, read: Callable[[], bytes]) -> tuple[list[Document], list[Problem]]:
    text, problem = _read_text(display, read)
    if problem is not None:
        return [], [problem]
    found, problems = parse_documents(text, display)
    return list(found), list(problems)


def load_overlays(path: Path | str) -> tuple[list[Document], list[Problem]]:
    """Read a site's overlay documents from a file or a folder tree."""
    path = Path(path)
    if not path.exists():
        return [], [Problem("load.not_found", Location(display_path(path)))]
    files = [path] if path.is_file() else _walk(path)
    documents: list[Document] = []
    problems: list[Problem] = []
    for file in files:
        found, parse_problems = _parse(display_path(file), file.read_bytes)
        documents.extend(found)
        problems.extend(parse_problems)
    return documents, problems


def _walk(folder: Path) -> list[Path]:
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "_")))
        found.extend(
            Path(dirpath) / f for f in sorted(filenames) if f.endswith(SUFFIXES) and not f.startswith(".")
        )
        if len(found) > MAX_FILES:
            break
    return found[:MAX_FILES]


def package_texts(path: Path | str) -> dict[str, str]:
    """Every document file of a package folder or zip, by its path inside the package (to store
    the package in a metadata revision); raises OSError or BadZipFile when it cannot be read."""
    path = Path(path)
    files = _zip_files(path) if path.is_file() else _folder_files(path)
    return {relative: read().decode("utf-8-sig") for _, relative, read in files}


def _folder_files(folder: Path) -> Iterator[tuple[str, str, Callable[[], bytes]]]:
    for file in _walk(folder):
        yield display_path(file), file.relative_to(folder).as_posix(), file.read_bytes


def _zip_files(archive: Path) -> Iterator[tuple[str, str, Callable[[], bytes]]]:
    with zipfile.ZipFile(archive) as zf:
        members = [m for m in zf.infolist() if not m.is_dir() and m.filename.endswith(SUFFIXES)]
        prefix = _common_folder([m.filename for m in members])
        for member in members[:MAX_FILES]:
            relative = member.filename[len(prefix) :]
            if any(part.startswith((".", "_")) for part in PurePosixPath(relative).parts):
                continue
            # Read at most one byte past the limit: a zip's declared sizes can lie.
            with zf.open(member) as handle:
                raw = handle.read(MAX_DOCUMENT_BYTES + 1)
            yield f"{display_path(archive)}!/{member.filename}", relative, partial(bytes, raw)


def _common_folder(names: list[str]) -> str:
    """The single top folder all members share (zips of a folder usually have one)."""
    tops = {name.split("/", 1)[0] for name in names if "/" in name}
    if len(tops) == 1 and all("/" in name for name in names):
        return tops.pop() + "/"
    return ""


def _read_text(display: str, read: Callable[[], bytes]) -> tuple[str, Problem | None]:
    try:
        raw = read()
    except OSError as exc:
        return "", Problem("load.unreadable", Location(display), "", {"detail": exc.strerror or str(exc)})
    if len(raw) > MAX_DOCUMENT_BYTES:
        return "", Problem(
            "load.too_large",
            Location(display),
            "",
            {"size": f">{MAX_DOCUMENT_BYTES}", "limit": MAX_DOCUMENT_BYTES},
        )
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        return "", Problem("load.unreadable", Location(display), "", {"detail": f"not UTF-8 ({exc.reason})"})
