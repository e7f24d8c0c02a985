"""Semantic checks of role documents."""

from __future__ import annotations

from collections.abc import Iterator

from ..index import Index
from ..problems import Problem
from ..source import Document
from . import common


def check_role(doc: Document, index: Index) -> Iterator[Problem]:
    for i, role in enumerate(doc.data.get("inherits", [])):
        yield from common.role_ref(index, doc, f"/inherits/{i}", role)
