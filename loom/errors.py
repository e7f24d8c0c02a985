"""The root of Loom's exceptions, so callers can catch every Loom error in one place."""

from __future__ import annotations


class LoomError(Exception):
    """Base class of every error Loom raises on purpose."""


class MetadataError(LoomError):
    """Metadata could not be turned into a Catalog; carries every problem found."""

    def __init__(self, problems: list) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} metadata problem(s)")
