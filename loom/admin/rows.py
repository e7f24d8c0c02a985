"""Rows as Flask-Admin expects its models: objects whose values are attributes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class Row:
    """A record or platform row; a missing value reads as None, as an empty column would.

    Flask-Admin reads list cells and prefills forms with ``getattr``; wrapping the plain
    dicts the services return keeps them plain everywhere else.
    """

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = dict(values)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return self._values.get(name)
