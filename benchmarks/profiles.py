"""Where Loom's side of a benchmark spends its time, by library and by Loom package.

A missed goal is named with this breakdown (``--profile`` of records.py, automation.py and
workflow.py; run_all.py prints it under its table), so the verdict says why, not only how much:
"43 % marshmallow, 18 % sqlalchemy" points at validation, "61 % sqlite3" at the database.
Shares are of own time (cProfile's ``tottime``), so they add up to the whole; the time of a
built-in written in C counts for whoever called it, except the database drivers' own.
"""

from __future__ import annotations

import cProfile
import pstats
from collections.abc import Callable
from pathlib import PurePath
from typing import Any

DRIVERS = ("sqlite3", "psycopg")
BUILT_IN = "python (C built-ins)"


def breakdown(work: Callable[[], Any], repeat: int = 1, top: int = 6) -> list[dict[str, Any]]:
    """``work`` run ``repeat`` times under cProfile; the parts that took the largest shares."""
    profiler = cProfile.Profile()
    for _ in range(repeat):
        profiler.runcall(work)
    totals: dict[str, float] = {}
    for (filename, _line, name), row in pstats.Stats(profiler).stats.items():  # type: ignore[attr-defined]
        for part, seconds in shares(filename, name, row[2], row[4]):
            totals[part] = totals.get(part, 0.0) + seconds
    whole = sum(totals.values()) or 1.0
    ranked = sorted(totals.items(), key=lambda item: -item[1])[:top]
    return [{"part": part, "share": round(seconds / whole, 3)} for part, seconds in ranked]


def shares(
    filename: str, name: str, seconds: float, callers: dict[tuple[str, int, str], tuple]
) -> list[tuple[str, float]]:
    """A function's own time, given to its part; a C built-in's to its callers' parts, as
    cProfile split it between them."""
    part = owner(filename, name)
    if part != BUILT_IN or not callers:
        return [(part, seconds)]
    return [(owner(caller[0], caller[2]), timing[2]) for caller, timing in callers.items()]


def owner(filename: str, name: str) -> str:
    """The library or Loom package a profiled function belongs to."""
    if filename == "~":  # a function written in C: its name tells whose
        return next((driver for driver in DRIVERS if driver in name), BUILT_IN)
    if filename.startswith("<frozen importlib"):
        return "python (importing modules)"
    parts = PurePath(filename).parts
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1].removesuffix(".py")
    if "loom" in parts:
        below = parts[len(parts) - parts[::-1].index("loom") :]
        inner = below[1:] if below[0] == "platform" else below
        return "loom." + PurePath(inner[0]).stem
    library = [i for i, part in enumerate(parts) if part.startswith("python3")]
    if library and len(parts) > library[-1] + 1:  # the standard library, by module: re, typing…
        return "python " + PurePath(parts[library[-1] + 1]).stem
    return "python (standard library)"


def said(parts: list[dict[str, Any]]) -> str:
    """A breakdown in one line: ``43% marshmallow, 18% sqlalchemy, …``."""
    return ", ".join(f"{part['share']:.0%} {part['part']}" for part in parts)
