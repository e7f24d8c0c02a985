"""A site: one installation of Loom, kept in one folder.

``site.yaml`` holds the settings (database URL, installed apps, locale, secret key); beside
it live the site's overlays, its own app packages, uploaded files and (on SQLite) the
database file. Settings are read once into an immutable object.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING
from typing import Any

import yaml

from loom.errors import LoomError
from loom.metadata.loader import BUILTIN_APPS

from .database import create_private
from .sessions import DEFAULT_IDLE_MINUTES
from .sessions import DEFAULT_LIFETIME_HOURS
from .sessions import Limits

if TYPE_CHECKING:  # validating imports the whole metadata language: only when metadata is loaded
    from loom.metadata import Layer
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
    currency: str = "CNY"  # of money fields that name none
    smtp: Mapping[str, Any] | None = None
    session_limits: Limits = field(default_factory=Limits)
    session_cookie_secure: bool | None = None  # None: when the request came over https
    trusted_proxies: int = 0  # reverse proxies in front whose X-Forwarded-* headers count
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

    def load_metadata(self, layer: Layer | None = None) -> Result:
        """The site's apps and overlay files, then ``layer`` (a revision's documents) on top."""
        from loom.metadata import validate_paths

        overlays = [self.overlays_dir] if self.overlays_dir.is_dir() else []
        return validate_paths(self.app_paths(), overlays, layer=layer)


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
        create_private(path)  # it holds the secret key: owner only
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
        currency=str(raw.get("currency", "CNY")).upper(),
        secret_key=os.environ.get("LOOM_SECRET_KEY") or str(raw.get("secret_key", "")),
        max_upload_bytes=int(raw.get("max_upload_bytes", DEFAULT_MAX_UPLOAD)),
        smtp=MappingProxyType(dict(raw["smtp"])) if isinstance(raw.get("smtp"), dict) else None,
        session_cookie_secure=_secure(raw.get("session_cookie_secure", "auto")),
        trusted_proxies=_count(raw, "trusted_proxies"),
        session_limits=Limits(
            idle=dt.timedelta(minutes=_positive(raw, "session_idle_minutes", DEFAULT_IDLE_MINUTES)),
            lifetime=dt.timedelta(hours=_positive(raw, "session_lifetime_hours", DEFAULT_LIFETIME_HOURS)),
        ),
        database_source=source,
        require_database=_required_database(raw.get("require_database"), url, source),
        require_if_match=_flag(raw, "require_if_match"),
    )


def _secure(value: Any) -> bool | None:
    if value == "auto":
        return None
    if not isinstance(value, bool):
        raise SiteError("site.yaml: 'session_cookie_secure' must be true, false or auto (the default)")
    return value


def _count(raw: dict[str, Any], key: str) -> int:
    value = raw.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 5:
        raise SiteError(f"site.yaml: {key!r} must be a whole number from 0 to 5 (default 0)")
    return value


def readable_by_others(site: Site) -> list[Path]:
    """The site's secrets that any local user may read: ``site.yaml`` and a SQLite database."""
    files = [site.folder / SITE_FILE]
    if site.settings.database_url.startswith("sqlite:///"):
        files.append(Path(site.settings.database_url.removeprefix("sqlite:///")))
    return [path for path in files if path.exists() and path.stat().st_mode & stat.S_IROTH]


def _positive(raw: dict[str, Any], key: str, default: int) -> int:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise SiteError(f"site.yaml: {key!r} must be a whole number above 0 (default {default})")
    return value


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
        "currency: CNY\n"
        f"secret_key: {secrets.token_urlsafe(32)}\n"
        f"max_upload_bytes: {DEFAULT_MAX_UPLOAD}\n"
    )
