"""Rows as Flask-Admin expects its models: objects whose values are attributes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from loom.platform.records.schemas import MAX_ID


class Row:
    """A record or platform row; a missing value reads as None, as an empty column would.

    Flask-Admin reads list cells and prefills forms with ``getattr``; wrapping the plain
    dicts the services return keeps them plain everywhere else.
    """

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[Any, Any]) -> None:
        self._values = dict(values)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return self._values.get(name)


def as_id(value: Any) -> int | None:
    """A row id from a URL argument; None for anything that names no row (ids are 64-bit)."""
    text = str(value)
    return int(text) if text.isascii() and text.isdigit() and int(text) <= MAX_ID else None
