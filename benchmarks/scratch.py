"""What the benchmarks share: a throw-away database and a runtime over a package given as text."""

from __future__ import annotations

import os
import statistics
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from loom.metadata import validate_paths
from loom.platform.database import make_engine
from loom.platform.database import normalize_url
from loom.platform.runtime import Runtime


@contextmanager
def scratch_database(url: str | None, folder: str) -> Iterator[str]:
    """A SQLite file, or a schema of its own in the given PostgreSQL database, dropped after."""
    if url is None:
        yield f"sqlite:///{folder}/bench.db"
        return
    schema = f"loom_bench_{os.getpid()}"
    admin = create_engine(normalize_url(url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        yield (
            make_url(normalize_url(url))
            .update_query_dict({"options": f"-csearch_path={schema}"})
            .render_as_string(hide_password=False)
        )
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


def package_runtime(files: dict[str, str], url: str, folder: Path, name: str = "bench") -> Runtime:
    """Write ``files`` as the package ``name`` and return a runtime over fresh tables."""
    for relative, body in files.items():
        path = folder / name / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(body), encoding="utf-8")
    result = validate_paths([folder / name])
    assert result.catalog is not None, [p.render() for p in result.problems]
    runtime = Runtime.for_catalog(result.catalog, make_engine(url))
    runtime.schema.metadata.drop_all(runtime.engine)
    runtime.schema.metadata.create_all(runtime.engine)
    return runtime


@contextmanager
def demo_app(url: str | None) -> Iterator[Flask]:
    """A site with the OA and CRM apps, migrated and filled with the demo company (as `loom demo`
    does), as its Flask app with its services in ``app.extensions["loom"]``; gone after."""
    import sys
    import tempfile

    from click.testing import CliRunner

    from loom.platform.app import create_app
    from loom.platform.cli import cli
    from loom.platform.cli.demo import DEFAULT_SEED
    from loom.platform.demo import populate
    from loom.platform.services import Services
    from loom.platform.site import open_site

    with tempfile.TemporaryDirectory() as folder, scratch_database(url, folder) as database:
        site = Path(folder) / "site"
        site.mkdir()
        (site / "site.yaml").write_text(
            f"database: '{database}'\napps: [oa, crm]\nsecret_key: bench\n", encoding="utf-8"
        )
        migrated = CliRunner().invoke(cli, ["migrate", "--apply", "--site", str(site)])
        if migrated.exit_code != 0:
            raise SystemExit(migrated.output)
        app = create_app(open_site(str(site), create=False), config={"TESTING": True})
        services = app.extensions["loom"]
        print("  filling the demo company…", file=sys.stderr, flush=True)
        built = Services.build(services.runtime, services.files.folder, services.records.clock)
        populate(built, seed=DEFAULT_SEED)
        try:
            yield app
        finally:
            services.runtime.engine.dispose()


def signed_in(app: Flask, login: str) -> FlaskClient:
    """A test client signed in as a demo person, as a browser keeps its session cookie."""
    from loom.platform.demo.company import PASSWORD

    client = app.test_client()
    signed = client.post("/api/v1/auth/login", json={"login": login, "password": PASSWORD})
    if signed.status_code != 200:
        raise SystemExit(f"{login} cannot sign in: {signed.get_json()}")
    return client


def against_target(times: list[float], target_ms: float) -> dict[str, Any]:
    """Milliseconds of repeated runs against an absolute target: median, spread and verdict."""
    median = statistics.median(times)
    return {
        "median_ms": round(median, 1),
        "spread_ms": [round(min(times), 1), round(max(times), 1)],
        "target_ms": target_ms,
        "met": median < target_ms,
    }
