"""Icons: an app's or entity's ``icon`` names a symbol of the Lucide set the portal vendors.

The launcher draws tiles from ``static/vendor/lucide/sprite.svg``; a name the set lacks draws
an empty square, which nobody notices until a user does, so the validator refuses it where it
is written. The sprite is read as a file rather than through the portal's package, keeping
the metadata language free of the web stack.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from pathlib import Path

from ..index import did_you_mean
from ..problems import Problem
from ..source import Document

PORTAL_STATIC = Path(__file__).resolve().parents[2] / "platform" / "web" / "static"
SPRITE = PORTAL_STATIC / "vendor" / "lucide" / "sprite.svg"
_SYMBOL = re.compile(r'<symbol id="([a-z0-9-]+)"')


@functools.cache
def icon_names() -> frozenset[str]:
    """The names of the vendored set (about 2,000: every Lucide icon)."""
    return frozenset(_SYMBOL.findall(SPRITE.read_text(encoding="utf-8")))


def check_icon(doc: Document) -> Iterator[Problem]:
    """A problem at ``/icon`` when the document names an icon the set does not hold."""
    name = doc.data.get("icon")
    if isinstance(name, str) and name not in icon_names():
        yield doc.problem("icon.unknown", "/icon", icon=name, hint=did_you_mean(name, icon_names()))
