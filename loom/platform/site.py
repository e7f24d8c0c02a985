"""A site: one installation of Loom, kept in one folder.

``site.yaml`` holds the settings (database URL, installed apps, locale, secret key); beside
it live the site's overlays, its own app packages, uploaded files and (on SQLite) the
database file. Settings are read once into an immutable object.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from loom.errors import LoomError
from loom.metadata import validate_paths
from loom.metadata.loader import BUILTIN_APPS
from loom.metadata.validator import Result

SITE_FILE = "site.yaml"
DEFAULT_APPS = ("oa", "crm")
DEFAULT_MAX_UPLOAD = 20 * 1024 * 1024


class SiteError(LoomError):
    """The site folder or its settings are unusable."""


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str
    apps: tuple[str, ...]
    locale: str
    time_zone: str
    secret_key: str
    max_upload_bytes: int
    smtp: Mapping[str, Any] | None = None
    # Updates and deletes through the API must send If-Match (428 without): no blind overwrites.
    require_if_match: bool = False


@dataclass(frozen=True, slots=True)
class Site:
    folder: Path
    settings: Settings

    @property
    def overlays_dir(self) -> Path:
        return self.folder / "overlays"

    @property
    def apps_dir(self) -> Path:
        return self.folder / "apps"

    @property
    def uploads_dir(self) -> Path:
        return self.folder / "uploads"

    def app_paths(self) -> list[Path]:
        """Where each installed app is read from: the site's own apps win over builtin ones."""
        paths = []
        for name in self.settings.apps:
            own = self.apps_dir / name
            paths.append(own if own.is_dir() else BUILTIN_APPS / name)
        return paths

    def load_metadata(self) -> Result:
        overlays = [self.overlays_dir] if self.overlays_dir.is_dir() else []
        return validate_paths(self.app_paths(), overlays)


def open_site(folder: Path | str = ".", create: bool = True) -> Site:
    """Open the site in ``folder``, creating ``site.yaml`` with safe defaults if asked."""
    folder = Path(folder).resolve()
    path = folder / SITE_FILE
    if not path.exists():
        if not create:
            raise SiteError(
                f"{path} does not exist; run 'loom serve' or 'loom migrate' there to create a site"
            )
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(_default_site_yaml(), encoding="utf-8")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise SiteError(f"{path}: invalid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise SiteError(f"{path}: expected a mapping of settings")
    return Site(folder, _settings(raw, folder))


def _settings(raw: dict[str, Any], folder: Path) -> Settings:
    url = os.environ.get("LOOM_DATABASE_URL") or raw.get("database") or "sqlite:///loom.db"
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////") and url != "sqlite:///:memory:":
        url = f"sqlite:///{folder / url.removeprefix('sqlite:///')}"
    apps = raw.get("apps", list(DEFAULT_APPS))
    if not isinstance(apps, list) or not all(isinstance(a, str) for a in apps):
        raise SiteError("site.yaml: 'apps' must be a list of app names")
    return Settings(
        database_url=url,
        apps=tuple(apps),
        locale=str(raw.get("locale", "zh_CN")),
        time_zone=str(raw.get("time_zone", "Asia/Shanghai")),
        secret_key=os.environ.get("LOOM_SECRET_KEY") or str(raw.get("secret_key", "")),
        max_upload_bytes=int(raw.get("max_upload_bytes", DEFAULT_MAX_UPLOAD)),
        smtp=MappingProxyType(dict(raw["smtp"])) if isinstance(raw.get("smtp"), dict) else None,
        require_if_match=_flag(raw, "require_if_match"),
    )


def _flag(raw: dict[str, Any], key: str) -> bool:
    value = raw.get(key, False)
    if not isinstance(value, bool):
        raise SiteError(f"site.yaml: '{key}' must be true or false")
    return value


def _default_site_yaml() -> str:
    return (
        "# A Loom site. LOOM_DATABASE_URL overrides 'database'.\n"
        "database: sqlite:///loom.db\n"
        f"apps: [{', '.join(DEFAULT_APPS)}]\n"
        "locale: zh_CN\n"
        "time_zone: Asia/Shanghai\n"
        f"secret_key: {secrets.token_urlsafe(32)}\n"
        f"max_upload_bytes: {DEFAULT_MAX_UPLOAD}\n"
    )
