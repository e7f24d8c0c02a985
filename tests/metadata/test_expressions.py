"""Loom's own CEL functions."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest

from loom.metadata.expressions import compile_expression


@pytest.mark.parametrize(
    ("start", "end", "years"),
    [
        ("2016-12-03", "2026-12-03", 10),  # on the anniversary
        ("2016-12-04", "2026-12-03", 9),  # the day before it
        ("2016-02-29", "2017-02-28", 0),  # born on a leap day: a year on 1 March
        ("2016-02-29", "2017-03-01", 1),
        ("2026-12-03", "2016-12-04", -9),  # backwards
        (dt.datetime(2006, 12, 3, 23, 0), "2026-12-03", 20),  # a moment counts by its date
    ],
)
def test_years_between_counts_whole_years_as_an_age_is(start, end, years) -> None:
    expression = compile_expression("years_between(a, b)")
    assert expression.unknown_functions() == []
    assert expression.evaluate({"a": start, "b": end}) == years


def test_this_year_as_a_number_comes_from_today() -> None:
    assert compile_expression("int(today.substring(0, 4))").evaluate({"today": "2026-12-03"}) == 2026


def test_cel_loads_without_its_command_line_which_stays_importable() -> None:
    script = (
        "import sys; from loom.metadata.expressions import compile_expression; "
        "assert 'prompt_toolkit' not in sys.modules and 'cel.cli' not in sys.modules; "
        "import cel.cli; assert callable(cel.cli.app), cel.cli"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
