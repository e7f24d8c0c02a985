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
    # Where database_url came from: LOOM_DATABASE_URL, site.yaml, or the SQLite default.
    database_source: str = "default"
    # A database kind the site must run on (``postgresql``): anything else is refused at start.
    require_database: str | None = None

    def database_description(self) -> str:
        """The database in use, for logs and command output: its URL without the password,
        and where it came from (a forgotten environment file shows as the SQLite default)."""
        from sqlalchemy.engine import make_url

        shown = make_url(self.database_url).render_as_string(hide_password=True)
        return f"{shown} (from {self.database_source})"


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
    if os.environ.get("LOOM_DATABASE_URL"):
        url, source = os.environ["LOOM_DATABASE_URL"], "LOOM_DATABASE_URL"
    elif raw.get("database"):
        url, source = str(raw["database"]), "site.yaml"
    else:
        url, source = "sqlite:///loom.db", "the default: neither LOOM_DATABASE_URL nor database: in site.yaml"
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
        database_source=source,
        require_database=_required_database(raw.get("require_database"), url, source),
    )


def _required_database(required: Any, url: str, source: str) -> str | None:
    """``require_database: postgresql`` refuses any other database, say a SQLite file made up
    because the environment file with LOOM_DATABASE_URL was not read."""
    if required is None:
        return None
    if required != "postgresql":
        raise SiteError("site.yaml: 'require_database' may only be postgresql")
    if not url.startswith(("postgresql:", "postgresql+", "postgres:")):
        raise SiteError(
            f"site.yaml requires a PostgreSQL database, but the database would be {url.split(':')[0]}"
            f" (from {source}); set LOOM_DATABASE_URL (is the environment file loaded?)"
        )
    return "postgresql"


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
