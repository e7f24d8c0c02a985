"""CEL expressions: compiled once, inspected for the names they use, evaluated safely.

Metadata never carries Python. Conditions, rules and computed values are CEL, which has
no side effects and always terminates; the validator uses each program's references
to reject names the document does not define.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from functools import cache
from types import MappingProxyType
from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    import cel
    from cel import stdlib
else:  # the library without its command line's imports
    from .cel_library import cel
    from .cel_library import stdlib

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


def _years_between(start: Any, end: Any) -> int:
    """Whole years from ``start`` to ``end``, counted as an age is: the anniversary must be reached.

    Seniority (工龄) and ages are counted so; ``days_between / 365`` is off around leap years
    and anniversaries. Negative when ``end`` comes first.
    """
    first, last = _as_date(start), _as_date(end)
    if last < first:
        return -_years_between(last, first)
    return last.year - first.year - ((last.month, last.day) < (first.month, first.day))


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


LOOM_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "avg": _avg,
    "count": _count,
    "days_between": _days_between,
    "years_between": _years_between,
}


@cache
def _library() -> Mapping[str, Callable[..., Any]]:
    """The standard library's functions and Loom's, gathered once for every program."""
    context = cel.Context()
    stdlib.add_stdlib_to_context(context)
    return MappingProxyType({**context.functions, **LOOM_FUNCTIONS})


def known_functions() -> frozenset[str]:
    """Every function a Loom expression may call."""
    return _CORE_FUNCTIONS | frozenset(_library())


def _library_calls(functions: frozenset[str]) -> dict[str, Callable[..., Any]]:
    """The library functions a program calls; ``math.greatest`` is referenced as ``greatest``."""
    return {
        name: function
        for name, function in _library().items()
        if name in functions or name.rpartition(".")[2] in functions
    }


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
    # The library functions the program calls (see _library_calls).
    calls: Mapping[str, Callable[..., Any]] = dc_field(default_factory=dict, compare=False, repr=False)

    def evaluate(self, variables: Mapping[str, Any]) -> Any:
        """Run the program over the names it reads, with the library functions it calls.

        Only those are handed to CEL: converting every field of a record and registering the
        whole standard library (51 functions) on each call cost several times the program's
        own run. A name the mapping lacks stays undeclared, so the program fails as before.
        """
        bound = {name: variables[name] for name in self.variables if name in variables}
        if self.calls:
            return self.program.execute(cel.Context(bound, dict(self.calls)))
        return self.program.execute(bound)

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
    functions = frozenset(references["functions"])
    return Expression(
        source,
        program,
        frozenset(references["variables"]) - bound,
        functions,
        MappingProxyType(_library_calls(functions)),
    )


def _syntax_detail(message: str) -> str:
    match = _SYNTAX_DETAIL.search(message)
    return match.group(1) if match else message.splitlines()[0]
