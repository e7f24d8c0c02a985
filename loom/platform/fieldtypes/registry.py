"""The field types by name: every ``TYPES`` tuple of the modules of this package.

A new type is a module here (with its JSON Schema entry and templates); nothing else lists
type names. The mapping is built once and never changes, so it is no process-wide state
in the sense that matters (a designer preview and the live Catalog share it).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping
from functools import cache
from types import MappingProxyType

from .base import FieldType

_NOT_TYPES = frozenset({"base", "registry"})


@cache
def types() -> Mapping[str, FieldType]:
    """Every field type, by name."""
    package = importlib.import_module(__package__ or "loom.platform.fieldtypes")
    found: dict[str, FieldType] = {}
    for module in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if module.name in _NOT_TYPES:
            continue
        for field_type in importlib.import_module(f"{package.__name__}.{module.name}").TYPES:
            if field_type.name in found:
                raise ValueError(f"field type {field_type.name!r} is defined twice ({module.name})")
            found[field_type.name] = field_type
    return MappingProxyType(found)


@cache
def messages() -> Mapping[str, Mapping[str, str]]:
    """The messages of every type's own error codes (``id_card_check``…)."""
    return MappingProxyType({code: text for kind in types().values() for code, text in kind.messages.items()})


def of(name: str) -> FieldType:
    """The field type named ``name`` (a validated Catalog names only known types)."""
    return types()[name]
