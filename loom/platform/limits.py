"""Input limits: every bound on what one request may send, in one place.

A request past a limit is refused with a problem naming the parameter, before it costs the
database anything; no limit is one a person using the portal could reach. docs/security.md
("Input limits") lists them for operators and client authors.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from .records.errors import FieldError
from .records.errors import ValidationFailed

JSON_DEPTH = 32  # nesting of objects and arrays in a JSON body (a record with table rows needs 4)
SORT_KEYS = 8  # fields in ``sort``
SEARCH_LENGTH = 200  # characters of ``q``
FILTERS = 50  # filter conditions of one list request
FILTER_VALUES = 500  # values of one ``__in`` / ``__not_in`` filter
VALUE_LENGTH = 2_000  # characters of one filter value
PARAMETER_LENGTH = 10_000  # characters of any query or form parameter (a cursor, a list of ids)
BATCH_TASKS = 200  # tasks approved by one ``POST /tasks/approve``
FILE_NAME_LENGTH = 255  # characters of an uploaded file's name (longer ones are cut)
COMMENT_FILES = 9  # files one approval comment carries (DingTalk's nine pictures)

# Text no database column can hold (PostgreSQL refuses NUL) and that is no Unicode (a lone
# surrogate cannot be encoded as UTF-8): refused wherever text enters, on every database alike.
BAD_TEXT = re.compile("[\x00\ud800-\udfff]")
CONTROL = re.compile("[\x00-\x1f\x7f]")


class BadInput(ValidationFailed):
    """A request that is malformed rather than a record that is invalid: answered 400."""

    code = "bad_input"


def bad_text(value: str) -> bool:
    return BAD_TEXT.search(value) is not None


def check_json(data: Any) -> None:
    """Refuse a parsed JSON body nested deeper than JSON_DEPTH or holding text no column can store.

    Walked without recursion, so no depth of input can exhaust the stack here.
    """
    errors: list[FieldError] = []
    for path, depth, value in _walk(data):
        if depth > JSON_DEPTH and isinstance(value, dict | list):
            raise BadInput([FieldError("body", "too_deep", {"max": JSON_DEPTH})])
        if isinstance(value, str) and bad_text(value):
            errors.append(FieldError(path or "body", "bad_text"))
    if errors:
        raise BadInput(errors)


def _walk(data: Any) -> Iterator[tuple[str, int, Any]]:
    """Every value with its path and how many objects and arrays hold it (the body itself: 1)."""
    stack: list[tuple[str, int, Any]] = [("", 1, data)]
    while stack:
        path, depth, value = stack.pop()
        yield path, depth, value
        if isinstance(value, dict):
            for key, inner in value.items():
                where = f"{path}.{_printable(key)}" if path else _printable(key)
                if bad_text(key):
                    yield where, depth + 1, key
                stack.append((where, depth + 1, inner))
        elif isinstance(value, list):
            for i, inner in enumerate(value):
                stack.append((f"{path}.{i}" if path else str(i), depth + 1, inner))


def check_parameters(parameters: Any) -> None:
    """Refuse query or form parameters holding NUL or longer than PARAMETER_LENGTH.

    ``parameters`` is a Werkzeug MultiDict; each error names the parameter.
    """
    errors: list[FieldError] = []
    for key, value in parameters.items(multi=True):
        if bad_text(key) or bad_text(value):
            errors.append(FieldError(_printable(key), "bad_text"))
        elif len(value) > PARAMETER_LENGTH:
            errors.append(FieldError(key, "too_long", {"max": PARAMETER_LENGTH}))
    if errors:
        raise BadInput(errors)


def _printable(name: str) -> str:
    return BAD_TEXT.sub("\ufffd", name)


def strip_control(text: str) -> str:
    """``text`` without control characters (NUL, new lines) or lone surrogates."""
    return CONTROL.sub("", BAD_TEXT.sub("", text))


def clean_file_name(name: str) -> str:
    """An uploaded file's name as kept: no control characters, at most FILE_NAME_LENGTH long."""
    return strip_control(name)[:FILE_NAME_LENGTH]
