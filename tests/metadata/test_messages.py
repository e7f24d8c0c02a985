"""Every problem code renders in both languages."""

from __future__ import annotations

import string

import pytest

from loom.metadata.messages import MESSAGES
from loom.metadata.messages import render_message


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_every_code_renders_in_english_and_chinese(code: str) -> None:
    fields = {
        name
        for template in MESSAGES[code].values()
        for _, name, _, _ in string.Formatter().parse(template)
        if name
    }
    params = {name: {"en": f"<{name}>", "zh": f"《{name}》"} for name in fields}
    english = render_message(code, params, "en")
    chinese = render_message(code, params, "zh")
    assert english and chinese and english != chinese
    assert all(f"<{name}>" in english for name in fields)
    assert all(f"《{name}》" in chinese for name in fields)
