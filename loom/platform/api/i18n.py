"""The language of a request: ``?lang=``, the user's choice, else ``Accept-Language``; zh first."""

from __future__ import annotations

from collections.abc import Mapping

from flask import g
from flask import has_request_context
from flask import request

LANGS = ("zh", "en")


def lang() -> str:
    if not has_request_context():
        return "zh"
    cached = getattr(g, "lang", None)
    if cached:
        return cached
    chosen = request.args.get("lang") or request.accept_languages.best_match(["zh", "zh-CN", "en"]) or "zh"
    g.lang = "en" if chosen.startswith("en") else "zh"
    return g.lang


def text(label: Mapping[str, str] | str) -> str:
    """A ``{zh, en}`` text in the request's language, falling back to the other."""
    if isinstance(label, str):
        return label
    return label.get(lang()) or next(iter(label.values()), "")
