"""The portal's Chinese catalogue covers every text of its pages, the designer's and the field
types', and the committed .mo is the compiled .po (pybabel compile was not forgotten)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

import loom.designer
import loom.platform.fieldtypes
import loom.platform.web

WEB = Path(loom.platform.web.__file__).parent
DESIGNER = Path(loom.designer.__file__).parent
FIELD_TYPES = Path(loom.platform.fieldtypes.__file__).parent
CATALOGUE = WEB / "translations" / "zh" / "LC_MESSAGES"


def texts_in_code() -> set[str]:
    methods = [("**.py", "python"), ("templates/**.html", "jinja2")]
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    return {
        message
        for folder in (WEB, DESIGNER, FIELD_TYPES)
        for _file, _line, message, _comments, _context in extract_from_dir(folder, methods, keywords)
    }


def test_every_text_has_a_chinese_translation() -> None:
    with open(CATALOGUE / "messages.po", "rb") as file:
        po = read_po(file)
    found = texts_in_code()
    assert len(found) > 50
    assert sorted(m for m in found if po.get(m) is None or not po.get(m).string) == []


def test_the_compiled_catalogue_matches_the_source() -> None:
    with open(CATALOGUE / "messages.po", "rb") as file:
        po = dict(_entries(read_po(file)))
    with open(CATALOGUE / "messages.mo", "rb") as file:
        mo = dict(_entries(read_mo(file)))
    assert mo == po


def _entries(catalogue) -> list[tuple]:
    """(id, translation) of each message; a plural one's forms as tuples, however read."""

    def flat(value):
        return tuple(value) if isinstance(value, list | tuple) else value

    return [(flat(m.id), flat(m.string)) for m in catalogue if m.id]
