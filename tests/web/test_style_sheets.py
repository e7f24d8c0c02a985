"""Loom's own style sheets close every block they open. A missing ``}`` is not an error to a
browser: the rules after it silently fall inside the block above (an ``@media`` for phones, once,
which took the kanban board's columns away on desktops), so it is checked here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import loom

STATIC = Path(loom.__file__).parent / "platform" / "web" / "static"
COMMENTS_AND_STRINGS = re.compile(r"/\*.*?\*/|\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'", re.S)


def unclosed(text: str) -> list[int]:
    """Line numbers of the blocks still open at the end, and of any ``}`` closing nothing."""
    text = COMMENTS_AND_STRINGS.sub(lambda m: "\n" * m.group().count("\n"), text)
    opened: list[int] = []
    stray: list[int] = []
    for number, line in enumerate(text.splitlines(), start=1):
        for char in line:
            if char == "{":
                opened.append(number)
            elif char == "}" and opened:
                opened.pop()
            elif char == "}":
                stray.append(number)
    return opened + stray


@pytest.mark.parametrize("sheet", sorted(STATIC.glob("*.css")), ids=lambda p: p.name)
def test_every_block_of_the_style_sheet_is_closed(sheet: Path) -> None:
    assert unclosed(sheet.read_text(encoding="utf-8")) == []


def test_an_unclosed_media_block_is_found() -> None:
    assert unclosed("@media (max-width: 767.98px) {\n  a { color: red; }\n/* } */\nb { }\n") == [1]
