"""loom.metadata must stay usable without a database or a web framework (ARCHITECTURE §1)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

FORBIDDEN = ("flask", "sqlalchemy", "loom.platform", "loom.admin", "werkzeug", "marshmallow")


def test_metadata_imports_no_database_or_web_code() -> None:
    """Import every module of loom.metadata in a fresh interpreter and list what came with it."""
    script = textwrap.dedent(
        """
        import importlib, pkgutil, sys
        import loom.metadata
        for module in pkgutil.walk_packages(loom.metadata.__path__, "loom.metadata."):
            importlib.import_module(module.name)
        print("\\n".join(sorted(sys.modules)))
        """
    )
    loaded = subprocess.run(
        [sys.executable, "-c", script], check=True, capture_output=True, text=True
    ).stdout.split()
    offending = [name for name in loaded if name.split(".")[0] in FORBIDDEN or name.startswith(FORBIDDEN)]
    assert offending == []
