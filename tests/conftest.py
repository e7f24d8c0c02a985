"""Shared fixtures: packages written to a temporary folder, as users would write them."""

from __future__ import annotations

import datetime as dt
import os
import textwrap
import uuid
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import AbstractContextManager
from contextlib import contextmanager
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # browser tests skip themselves without Playwright
    pass
else:
    # A busy CI machine (every core running a test) may take seconds to answer a click; an
    # assertion that never holds still fails, only later.
    expect.set_options(timeout=20_000)

MANIFEST = """\
kind: app
name: {name}
label: {{zh: 测试, en: Test}}
version: 1.0.0
"""


@pytest.fixture
def write_package(tmp_path: Path) -> Callable[..., Path]:
    """Write ``files`` (relative path → YAML text) as a package; app.yaml is added if absent."""

    def write(files: dict[str, str], name: str = "shop", root: Path | None = None) -> Path:
        folder = (root or tmp_path) / name
        files = {"app.yaml": MANIFEST.format(name=name), **files}
        for relative, text in files.items():
            path = folder / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text), encoding="utf-8")
        return folder

    return write


# -- databases -------------------------------------------------------------------------------
# Every database test runs on SQLite, and on PostgreSQL when LOOM_TEST_DATABASE_URL names one
# (`.ci/run` sets it). Each PostgreSQL test gets a schema of its own, dropped afterwards.

POSTGRES_URL = os.environ.get("LOOM_TEST_DATABASE_URL")
DATABASES = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(
                not POSTGRES_URL, reason="PostgreSQL not tested: set LOOM_TEST_DATABASE_URL to run these"
            ),
        ],
    ),
]


@contextmanager
def scratch_schema(prefix: str = "t") -> Iterator[str]:
    """The URL of a fresh PostgreSQL schema of LOOM_TEST_DATABASE_URL, dropped afterwards."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from loom.platform.database import normalize_url

    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalize_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = make_url(normalize_url(POSTGRES_URL)).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_schema() -> Callable[[str], AbstractContextManager[str]]:
    """``scratch_schema`` for fixtures of other scopes (a module's database)."""
    return scratch_schema


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    with scratch_schema() as url:
        yield url


@pytest.fixture(scope="module", params=DATABASES)
def module_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """``database_url`` shared by a module's tests, for those that fill and reuse one table."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    with scratch_schema("m") as url:
        yield url


# -- time ------------------------------------------------------------------------------------
# Tests never read the machine's clock or zone: a site runs on its own zone (Asia/Shanghai), and
# a test that needs "today" asks the site's clock, fixed here to an hour when the day in Shanghai
# differs from the day in UTC and in the Americas, so a date taken from the wrong zone shows.

SITE_ZONE = ZoneInfo("Asia/Shanghai")
SITE_NOW = dt.datetime(2026, 12, 3, 7, 30, tzinfo=SITE_ZONE)


class SiteClock:
    """A clock that starts at ``SITE_NOW`` and moves one millisecond per reading.

    It moves so that events keep their order (approvals sorted by time), and so little that a
    test's day never changes under it.
    """

    def __init__(self, start: dt.datetime = SITE_NOW) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(milliseconds=1)
        return self.now

    def today(self) -> dt.date:
        return self.now.date()


@pytest.fixture
def site_clock() -> SiteClock:
    return SiteClock()
