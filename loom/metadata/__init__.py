"""The metadata language: loading, validating and resolving packages into a Catalog.

Pure: no database, no Flask. Input is files or text; output is a Catalog or problems.

The names below are imported on first use (PEP 562), not with the package: a command that
only needs ``loom.metadata.problems`` or ``loom.metadata.index`` then starts without the
validator, the catalog and the expression engine they import.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    from .catalog import Catalog as Catalog
    from .catalog import Entity as Entity
    from .catalog import Field as Field
    from .catalog import Label as Label
    from .loader import Layer as Layer
    from .loader import read_sources as read_sources
    from .problems import Location as Location
    from .problems import Problem as Problem
    from .validator import Result as Result
    from .validator import validate_paths as validate_paths
    from .validator import validate_sources as validate_sources

_WHERE = {
    "Catalog": "catalog",
    "Entity": "catalog",
    "Field": "catalog",
    "Label": "catalog",
    "Layer": "loader",
    "read_sources": "loader",
    "Location": "problems",
    "Problem": "problems",
    "Result": "validator",
    "validate_paths": "validator",
    "validate_sources": "validator",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
