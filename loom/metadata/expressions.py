"""CEL expressions: compiled once, inspected for the names they use, evaluated safely.

Metadata never carries Python. Conditions, rules and computed values are CEL, which has
no side effects and always terminates; the validator uses each program's references
to reject names the document does not define.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import cel
from cel import stdlib

# The CEL library logs every failing function call; Loom expects those (a sum over half-filled
# rows, a date not entered yet) and decides per use what a failed evaluation means.
logging.getLogger("cel").setLevel(logging.ERROR)

_SYNTAX_DETAIL = re.compile(r"ERROR: <input>:(\d+:\d+: [^\n]*)")
_BOUND = re.compile(r"\.\s*(?:all|exists|exists_one|map|filter)\s*\(\s*([A-Za-z_]\w*)\s*,")
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')

# Functions the CEL core provides natively (macros such as has/all/map are not calls).
_CORE_FUNCTIONS = frozenset(
    {
        "size",
        "int",
        "uint",
        "double",
        "string",
        "bytes",
        "bool",
        "timestamp",
        "duration",
        "dyn",
        "type",
        "matches",
        "contains",
        "startsWith",
        "endsWith",
        "getFullYear",
        "getMonth",
        "getDayOfMonth",
        "getDate",
        "getDayOfWeek",
        "getDayOfYear",
        "getHours",
        "getMinutes",
        "getSeconds",
        "getMilliseconds",
        "exists_one",
    }
)


def _avg(values: list[Any]) -> float:
    numbers = [float(v) for v in values]
    return sum(numbers) / len(numbers) if numbers else 0.0


def _count(values: list[Any]) -> int:
    return len(values)


def _days_between(start: Any, end: Any) -> int:
    return (_as_date(end) - _as_date(start)).days


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


LOOM_FUNCTIONS = {"avg": _avg, "count": _count, "days_between": _days_between}


@cache
def _stdlib_names() -> frozenset[str]:
    context = cel.Context()
    stdlib.add_stdlib_to_context(context)
    return frozenset(context.functions)


def known_functions() -> frozenset[str]:
    """Every function a Loom expression may call."""
    return _CORE_FUNCTIONS | _stdlib_names() | frozenset(LOOM_FUNCTIONS)


class ExpressionError(ValueError):
    """An expression that does not compile; ``detail`` says where and why."""

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(detail)


@dataclass(frozen=True, slots=True)
class Expression:
    """A compiled CEL program and the names it reads."""

    source: str
    program: cel.Program
    variables: frozenset[str]
    functions: frozenset[str]

    def evaluate(self, variables: Mapping[str, Any]) -> Any:
        context = cel.Context(dict(variables))
        stdlib.add_stdlib_to_context(context)
        for name, function in LOOM_FUNCTIONS.items():
            context.add_function(name, function)
        return self.program.execute(context)

    def unknown_functions(self) -> list[str]:
        known = known_functions()
        return sorted(f for f in self.functions if f[0].isalpha() and f not in known)

    def unknown_variables(self, allowed: Iterable[str]) -> list[str]:
        return sorted(self.variables - set(allowed))

    def members_of(self, root: str) -> set[str]:
        """Names read as ``root.<name>`` (e.g. the fields of ``record`` in an automation)."""
        code = _STRINGS.sub('""', self.source)
        return set(re.findall(rf"(?<![\w.]){re.escape(root)}\s*\.\s*([A-Za-z_]\w*)", code))


@cache
def compile_expression(source: str) -> Expression:
    """Compile ``source``; raises ExpressionError with a short, located reason."""
    try:
        program = cel.compile(source)
    except (ValueError, RuntimeError) as exc:
        raise ExpressionError(_syntax_detail(str(exc))) from None
    references = program.references()
    bound = set(_BOUND.findall(_STRINGS.sub('""', source)))
    return Expression(
        source,
        program,
        frozenset(references["variables"]) - bound,
        frozenset(references["functions"]),
    )


def _syntax_detail(message: str) -> str:
    match = _SYNTAX_DETAIL.search(message)
    return match.group(1) if match else message.splitlines()[0]
