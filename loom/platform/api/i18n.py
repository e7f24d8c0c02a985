"""The language of a request, for the API, the portal and the console alike: ``?lang=``, then
the language the user picked (kept in the session), then ``Accept-Language``; Chinese when
nothing says otherwise. Chosen once per request and kept in ``g.lang``."""

from __future__ import annotations

from collections.abc import Mapping

from flask import g
from flask import has_request_context
from flask import request
from flask import session
from werkzeug.exceptions import BadRequest
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import PreconditionFailed

LANGS = ("zh", "en")


def lang() -> str:
    if not has_request_context():
        return "zh"
    cached = getattr(g, "lang", None)
    if cached:
        return cached
    chosen = request.args.get("lang") or session.get("lang")
    if chosen not in LANGS:
        best = request.accept_languages.best_match(["zh", "zh-CN", "en"]) or "zh"
        chosen = "en" if best.startswith("en") else "zh"
    g.lang = chosen
    return chosen


def text(label: Mapping[str, str] | str) -> str:
    """A ``{zh, en}`` text in the request's language, falling back to the other."""
    if isinstance(label, str):
        return label
    return label.get(lang()) or next(iter(label.values()), "")


class Worded(HTTPException):
    """An HTTP error whose detail is written in both languages; its problem reads the caller's."""

    def __init__(self, en: str, zh: str) -> None:
        super().__init__(en)
        self.texts = {"en": en, "zh": zh}


class BadParameter(Worded, BadRequest):
    """400: a parameter or body the route cannot read, said in the caller's language."""


class BadPrecondition(Worded, PreconditionFailed):
    """412: a precondition header the route cannot read."""
