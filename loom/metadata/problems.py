"""Problems: what the validator reports, as data that knows where it happened.

A problem carries a stable ``code`` and its ``params`` rather than a sentence, so the
same problem renders in English or Chinese and tests can assert codes, not prose.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from .messages import render_message

LANGS = ("en", "zh")


@dataclass(frozen=True, slots=True)
class Location:
    """A point in a source file; line and column count from 1."""

    file: str
    line: int | None = None
    column: int | None = None
    # Where the value sits in its own file, when a merged document holds it elsewhere.
    pointer: str | None = field(default=None, compare=False)

    def __str__(self) -> str:
        if self.line is None:
            return self.file
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class Problem:
    """One mistake in the metadata, located by file position and JSON pointer."""

    code: str
    location: Location
    pointer: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)

    def message(self, lang: str = "en") -> str:
        return render_message(self.code, self.params, lang)

    def render(self, lang: str = "en") -> str:
        return f"{self.location}: {self.pointer or '/'}: {self.message(lang)}"

    def as_dict(self, lang: str = "en") -> dict[str, Any]:
        return {
            "file": self.location.file,
            "line": self.location.line,
            "column": self.location.column,
            "pointer": self.pointer or "/",
            "code": self.code,
            "message": self.message(lang),
        }

    def sort_key(self) -> tuple:
        loc = self.location
        return (loc.file, loc.line or 0, loc.column or 0, self.pointer, self.code)


def default_lang() -> str:
    """The message language from ``LOOM_LANG`` (``zh``/``zh_CN``/``en``…), English otherwise."""
    value = os.environ.get("LOOM_LANG", "").lower()
    return "zh" if value.startswith("zh") else "en"
