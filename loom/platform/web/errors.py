"""Error pages of the portal: the records service's refusals and HTTP errors as HTML pages
in the user's language; anything unexpected is logged and shown as a plain apology,
never as a traceback."""

from __future__ import annotations

import logging

from flask import Blueprint
from flask import g
from flask import render_template
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from ..api.auth import CsrfFailed
from ..api.problems import STATUS_OF
from ..api.problems import TITLES
from ..records.errors import RecordError
from .i18n import current_lang

log = logging.getLogger("loom.web")


def install(bp: Blueprint) -> None:
    bp.register_error_handler(RecordError, _record_error)
    bp.register_error_handler(CsrfFailed, _csrf_failed)
    bp.register_error_handler(HTTPException, _http_error)
    bp.register_error_handler(Exception, _unexpected)


def _page(status: int, message: str) -> tuple[str, int]:
    title = TITLES.get(status, TITLES[500])
    lang = current_lang()
    return render_template("error.html", status=status, title=title[lang], message=message), status


def _record_error(error: RecordError) -> tuple[str, int]:
    status = next((code for kind, code in STATUS_OF if isinstance(error, kind)), 400)
    return _page(status, error.message(current_lang()))


def _csrf_failed(_error: CsrfFailed) -> tuple[str, int]:
    return _page(403, _("The form has expired; go back, reload the page and send it again."))


def _http_error(error: HTTPException) -> HTTPException | tuple[str, int]:
    if error.code is None or error.code < 400:
        return error
    return _page(error.code, "")


def _unexpected(error: Exception) -> tuple[str, int]:
    log.exception("portal request %s failed", g.get("request_id"), exc_info=error)
    return _page(500, "")
