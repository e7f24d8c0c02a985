"""Shared fixtures: packages written to a temporary folder, as users would write them."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

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
