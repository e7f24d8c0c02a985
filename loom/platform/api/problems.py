"""RFC 9457 problem details: every API error, in the client's language, with a request id.

The records service raises errors that carry data; this module is the one place that
turns them (and Werkzeug's HTTP errors) into ``application/problem+json`` responses.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Response
from flask import g
from flask import json
from werkzeug.exceptions import HTTPException

from loom.errors import LoomError

from ..automations.errors import AutomationFailed
from ..automations.errors import AutomationLoop
from ..files import FileTooLarge
from ..limits import BadInput
from ..records.errors import Conflict
from ..records.errors import NotFound
from ..records.errors import PermissionDenied
from ..records.errors import RecordError
from ..records.errors import Stale
from ..records.errors import ValidationFailed
from .i18n import Worded
from .i18n import lang
from .i18n import text

log = logging.getLogger("loom.api")
PROBLEM_TYPE = "https://loom.dev/problems/"
STATUS_OF: list[tuple[type[RecordError], int]] = [
    (BadInput, 400),
    (ValidationFailed, 422),
    (AutomationFailed, 422),
    (AutomationLoop, 422),
    (NotFound, 404),
    (PermissionDenied, 403),
    (Conflict, 409),
    (FileTooLarge, 413),
]
TITLES = {
    400: {"en": "Bad request", "zh": "请求格式错误"},
    401: {"en": "Not signed in", "zh": "未登录"},
    403: {"en": "Forbidden", "zh": "无权访问"},
    404: {"en": "Not found", "zh": "未找到"},
    405: {"en": "Method not allowed", "zh": "不支持的请求方法"},
    409: {"en": "Conflict", "zh": "冲突"},
    412: {"en": "Precondition failed", "zh": "前置条件不满足"},
    413: {"en": "Too large", "zh": "内容过大"},
    415: {"en": "Unsupported media type", "zh": "不支持的内容类型"},
    422: {"en": "Invalid record", "zh": "记录内容有误"},
    428: {"en": "Precondition required", "zh": "缺少前置条件"},
    429: {"en": "Too many requests", "zh": "请求过于频繁"},
    500: {"en": "Internal error", "zh": "服务器内部错误"},
}


DETAILS = {
    400: {"en": "The request could not be understood.", "zh": "无法理解该请求。"},
    404: {"en": "There is nothing at this address.", "zh": "此地址没有内容。"},
    405: {"en": "This address does not accept that method.", "zh": "此地址不支持该请求方法。"},
    413: {"en": "The request is larger than allowed.", "zh": "请求内容超过允许的大小。"},
    415: {"en": "This content type is not accepted.", "zh": "不接受此内容类型。"},
}


def problem(status: int, detail: str = "", *, kind: str | None = None, **extra: Any) -> Response:
    body = {
        "type": PROBLEM_TYPE + (kind or str(status)),
        "title": text(TITLES.get(status, TITLES[500])),
        "status": status,
        "detail": detail,
        "request_id": getattr(g, "request_id", None),
        **extra,
    }
    response = Response(
        json.dumps(body, ensure_ascii=False), status=status, mimetype="application/problem+json"
    )
    response.headers["Content-Language"] = "zh-CN" if lang() == "zh" else "en"
    return response


def from_record_error(error: RecordError) -> Response:
    status = next((code for cls, code in STATUS_OF if isinstance(error, cls)), 400)
    extra: dict[str, Any] = {}
    if isinstance(error, ValidationFailed | AutomationFailed):
        extra["errors"] = [e.as_dict(lang()) for e in error.errors]
    if isinstance(error, Stale):  # who changed the record since the client read it, and what
        extra["changed"] = dict(error.changed)
    return problem(status, error.message(lang()), kind=error.code.replace("_", "-"), **extra)


def from_http_error(error: HTTPException) -> Response:
    status = error.code or 500
    detail = error.description or ""
    if isinstance(error, Worded):
        detail = text(error.texts)
    elif status >= 500 or detail == type(error).description:
        # Werkzeug's stock sentences are English only; ours come from the error, in the caller's language.
        detail = text(DETAILS.get(status) or TITLES.get(status, TITLES[500]))
    response = problem(status, detail)
    headers = dict(error.get_headers())
    for header in ("Allow", "Retry-After", "WWW-Authenticate"):
        if header in headers:
            response.headers[header] = headers[header]
    return response


def from_unexpected(error: Exception) -> Response:
    """Log the traceback with the request id; the client gets the id and no internals."""
    if isinstance(error, LoomError) and not isinstance(error, RecordError):
        return problem(400, str(error))
    log.exception("unexpected error (request %s)", getattr(g, "request_id", "-"))
    return problem(
        500, text({"en": "Something went wrong; quote the request id.", "zh": "出错了，请提供请求编号。"})
    )
