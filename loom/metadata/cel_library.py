"""The CEL library without its command line.

The ``cel`` package imports its REPL (``cel.cli``: typer, prompt_toolkit, rich, pygments) when it
is imported, which costs every Loom command that loads metadata about a sixth of a second and
is never used in-process. While ``cel`` loads, an empty module stands in for ``cel.cli``; it is
removed again after, so a later ``import cel.cli`` would load the real one.
"""

from __future__ import annotations

import sys
from types import ModuleType


def _load() -> tuple[ModuleType, ModuleType]:
    placeholder = ModuleType("cel.cli")
    installed = sys.modules.setdefault("cel.cli", placeholder) is placeholder
    try:
        import cel
        from cel import stdlib
    finally:
        if installed and sys.modules.get("cel.cli") is placeholder:
            del sys.modules["cel.cli"]
    if getattr(cel, "cli", None) is placeholder:
        del cel.cli
    return cel, stdlib


cel, stdlib = _load()
