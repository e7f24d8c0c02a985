"""An app manifest's ``depends``: a list of app names, or a mapping of app name to the range of
its versions the app works with (``crm: ">=1.2,<2"``, ``crm: "^1.2"``).

Ranges are PEP 440 specifiers read by ``packaging``, so that the rules (pre-releases, ``~=``,
``!=``) are the ones Python's own tools follow; the caret, which app authors know from npm and
Cargo, is only rewritten to the specifier it stands for.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from packaging.specifiers import InvalidSpecifier
from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion
from packaging.version import Version

_CARET = re.compile(r"^\^\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?$")


def dependencies(manifest: Mapping[str, Any]) -> dict[str, str | None]:
    """The apps a manifest depends on, each with its version range (None: any version)."""
    depends = manifest.get("depends")
    if isinstance(depends, list):
        return {name: None for name in depends if isinstance(name, str)}
    if isinstance(depends, Mapping):
        return {str(name): (str(rng) if rng is not None else None) for name, rng in depends.items()}
    return {}


def version_range(text: str) -> SpecifierSet:
    """The range a ``depends`` entry names; raises ValueError when it is not one."""
    caret = _CARET.match(text.strip())
    if caret:
        parts = [int(p) for p in caret.groups() if p is not None]
        first = next((i for i, p in enumerate(parts) if p != 0), len(parts) - 1)
        upper = [*parts[:first], parts[first] + 1]
        text = f">={'.'.join(map(str, parts))},<{'.'.join(map(str, upper))}"
    try:
        return SpecifierSet(text)
    except InvalidSpecifier as exc:
        raise ValueError(str(exc)) from exc


def satisfies(version: str, text: str) -> bool:
    """Whether an app's ``version`` is in the range ``text`` (a valid range, see version_range)."""
    try:
        return version_range(text).contains(Version(version), prereleases=True)
    except InvalidVersion:
        return False
