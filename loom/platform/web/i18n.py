"""The portal's language: Flask-Babel for the page chrome, ``{zh, en}`` labels for metadata.

The choice is made once per request: ``?lang=``, then the language picked with the switch
(kept in the session), then ``Accept-Language``; Chinese when nothing says otherwise. It is
also stored in ``g.lang``, so messages of the records service follow the same choice.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask import g
from flask import request
from flask import session
from flask_babel import Babel

from loom.metadata.catalog import Label

from ..api.i18n import LANGS

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
BABEL_LOCALES = {"zh": "zh_CN", "en": "en"}


def choose_lang() -> str:
    """Decide the request's language and remember it in ``g.lang``."""
    asked = request.args.get("lang") or session.get("lang")
    if asked not in LANGS:
        best = request.accept_languages.best_match(["zh", "zh-CN", "en"]) or "zh"
        asked = "en" if best.startswith("en") else "zh"
    g.lang = asked
    return asked


def current_lang() -> str:
    return g.get("lang") or choose_lang()


def label(value: Label | str | None) -> str:
    """A metadata label in the request's language (the other language when one is missing)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return value.get(current_lang())


def init_babel(app: Flask) -> None:
    """Serve the portal's catalogue; share Flask-Babel with any other part of the app that uses it."""
    folders = [d for d in app.config.get("BABEL_TRANSLATION_DIRECTORIES", "").split(";") if d]
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join([*folders, str(TRANSLATIONS)])
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "zh_CN")
    if "babel" not in app.extensions:
        Babel(app, locale_selector=lambda: BABEL_LOCALES[current_lang()])
