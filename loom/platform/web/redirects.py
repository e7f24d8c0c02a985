"""Where a ``next`` parameter may send a browser: a path on this site, never another host.

One check for the portal and the console, so a bypass fixed here is fixed everywhere.
Browsers are lenient where servers are strict: they drop tabs and newlines inside a
URL, read a backslash as a slash and ``//host`` as another site, so any of those makes
a target unsafe, and so does the same trick percent-encoded once more.
"""

from __future__ import annotations

from urllib.parse import unquote
from urllib.parse import urlsplit


def local_path(target: str | None) -> str | None:
    """``target`` when it is a path of this site (``/inbox?x=1``), else None.

    >>> local_path("/inbox"), local_path("//evil.example/"), local_path("/\\tevil")
    ('/inbox', None, None)
    """
    if not target or len(target) > 2000:
        return None
    if not (_plain(target) and _plain(unquote(target))):
        return None
    return target


def _plain(target: str) -> bool:
    if any(ch < " " or ch == "\x7f" or ch == "\\" for ch in target):
        return False
    if not target.startswith("/") or target.startswith("//"):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc
