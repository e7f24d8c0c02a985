"""What the benchmarks share: a throw-away database and a runtime over a package given as text."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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
