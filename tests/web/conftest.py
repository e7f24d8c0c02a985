"""A portal served over HTTP on 127.0.0.1 for real-browser tests, over a site with the builtin
OA and CRM apps and the small ``webtest`` package beside this file (an expense claim with a
two-step flow, and an entity with one field of every type), on SQLite and on PostgreSQL
when configured.

One server and one browser per test module keep the tests quick; each test signs in afresh.
"""

from __future__ import annotations

import functools
import os
import shutil
import threading
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

import loom
from loom.metadata import validate_paths
from loom.metadata.catalog import Catalog
from loom.platform.app import create_app
from loom.platform.database import make_engine
from loom.platform.runtime import Runtime

BUILTIN = Path(loom.__file__).parent / "builtin_apps"
PACKAGE = Path(__file__).parent / "webtest"
DESKTOP = {"width": 1280, "height": 900}
VIEWPORTS = {"desktop": DESKTOP, "phone": {"width": 375, "height": 740}}
CHROMIUM = shutil.which("chromium")
POSTGRES_URL = os.environ.get("LOOM_TEST_DATABASE_URL")
PEOPLE = {  # login: (department, roles)
    "mona": ("sales", []),
    "emma": ("sales", []),
    "fin": ("finance", ["finance"]),
    "root": (None, ["admin"]),
}
DATABASES = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(not POSTGRES_URL, reason="PostgreSQL not tested: set LOOM_TEST_DATABASE_URL"),
        ],
    ),
]


@dataclass
class Portal:
    app: Flask
    url: str
    users: dict[str, int]
    shots: Path

    def services(self):
        return self.app.extensions["loom"]


@functools.cache
def catalog() -> Catalog:
    """The Catalog of the builtin apps and the test package, validated once per test run."""
    result = validate_paths([BUILTIN, PACKAGE])
    assert result.problems == (), [p.render() for p in result.problems]
    return result.catalog


def build_app(folder: Path, database_url: str) -> tuple[Flask, dict[str, int]]:
    """The app over a fresh database with the people above (mona heads sales, emma works there)."""
    runtime = Runtime.for_catalog(catalog(), make_engine(database_url))
    runtime.schema.metadata.create_all(runtime.engine)
    app = create_app(runtime=runtime, config={"SECRET_KEY": "portal-test"})
    services = app.extensions["loom"]
    services.files.folder = folder / "uploads"
    identity = services.identity
    with runtime.engine.begin() as conn:
        departments = {
            "sales": identity.create_department(conn, "销售部"),
            "finance": identity.create_department(conn, "财务部"),
            None: None,
        }
        users = {
            login: identity.create_user(
                conn,
                login,
                login.title(),
                password=f"{login}-pw",
                department_id=departments[dept],
                roles=roles,
            )
            for login, (dept, roles) in PEOPLE.items()
        }
        identity.set_head(conn, departments["sales"], users["mona"])
    return app, users


@pytest.fixture
def app(tmp_path: Path, database_url: str) -> Flask:
    """A fresh portal per test, on each test database, for the HTTP client (``app.users``: ids)."""
    app, users = build_app(tmp_path, database_url)
    app.config["TESTING"] = True
    app.users = users  # type: ignore[attr-defined]
    return app


@pytest.fixture(scope="module", params=DATABASES)
def web_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, postgres_schema
) -> Iterator[str]:
    """A module's database: a SQLite file, or a fresh PostgreSQL schema dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'portal.db'}"
        return
    with postgres_schema("w") as url:
        yield url


@pytest.fixture(scope="module")
def portal(web_database: str, tmp_path_factory: pytest.TempPathFactory, request) -> Iterator[Portal]:
    with served(web_database, tmp_path_factory, request) as found:
        yield found


@contextmanager
def served(web_database: str, tmp_path_factory: pytest.TempPathFactory, request) -> Iterator[Portal]:
    """The portal of the builtin apps and the test package, served on 127.0.0.1 meanwhile."""
    folder = tmp_path_factory.mktemp("site")
    app, users = build_app(folder, web_database)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    shots = tmp_path_factory.mktemp(f"screenshots-{request.module.__name__.rsplit('.', 1)[-1]}")
    print(f"\nscreenshots of {request.module.__name__}: {shots}")
    try:
        yield Portal(app, f"http://127.0.0.1:{server.server_port}", users, shots)
    finally:
        server.shutdown()
        thread.join(timeout=5)
        app.extensions["loom"].runtime.engine.dispose()


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip("no chromium on PATH: install Debian's chromium to run the browser tests")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request: pytest.FixtureRequest) -> dict:
    """A test taking this fixture runs on a desktop screen and on a 375 px wide phone."""
    return VIEWPORTS[request.param]


@pytest.fixture
def sign_in(browser, portal: Portal) -> Iterator[Callable[..., Page]]:
    """Open a browser context signed in through the login page; contexts close after the test."""
    contexts = []

    def open_page(login: str, viewport: dict | None = None, lang: str = "en", **device: Any) -> Page:
        """``device``: more of Playwright's context options (a touch screen, its pixel density)."""
        context = browser.new_context(
            viewport=viewport or DESKTOP, locale="zh-CN" if lang == "zh" else "en-US", **device
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)  # a loaded CI machine may take seconds to navigate
        page.goto(f"{portal.url}/login")
        page.fill("#login", login)
        page.fill("#password", f"{login}-pw")
        page.click("#sign-in")
        page.wait_for_url(f"{portal.url}/")
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def shoot(portal: Portal) -> Callable[[Page, str], None]:
    """Save a full-page screenshot in the module's folder (printed when the module starts)."""

    def take(page: Page, name: str) -> None:
        page.screenshot(path=str(portal.shots / f"{name}.png"), full_page=True)

    return take
