"""The portal's language: Flask-Babel for the page chrome, ``{zh, en}`` labels for metadata.

The choice is the API's (``api/i18n.py``: ``?lang=``, the switch kept in the session,
``Accept-Language``), so the portal, the console and the API's problem details agree.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask_babel import Babel

from loom.metadata.catalog import Label

from ..api.i18n import lang

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
BABEL_LOCALES = {"zh": "zh_CN", "en": "en"}


def current_lang() -> str:
    return lang()


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
