"""The builtin OA and CRM packages are valid metadata, and metadata only."""

from __future__ import annotations

from pathlib import Path

import loom
from loom.metadata import validate_paths

BUILTIN = Path(loom.__file__).parent / "builtin_apps"


def test_builtin_apps_validate() -> None:
    result = validate_paths([BUILTIN])
    assert [p.render() for p in result.problems] == []
    assert {"oa", "crm"} <= set(result.catalog.apps)


def test_builtin_apps_hold_no_python() -> None:
    assert [str(p) for p in BUILTIN.rglob("*.py")] == []
