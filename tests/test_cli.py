"""`loom validate` as a user runs it: a real process, exit codes, text and JSON output."""

from __future__ import annotations

import json
import re
import subprocess
import sys

BROKEN = "kind: entity\nname: sale\nlabel: Sale\nfields:\n  - {name: amount, type: monye}\n"


def loom(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "loom.platform", *args], capture_output=True, text=True, env=env, timeout=60
    )


def test_builtin_apps_are_valid() -> None:
    done = loom("validate")
    assert done.returncode == 0, done.stderr
    assert re.match(r"✓ valid: 2 app\(s\), \d+ entities", done.stdout), done.stdout
    assert done.stderr == ""


def test_problems_exit_1_with_location_in_chinese(write_package) -> None:
    folder = write_package({"entities/sale.yaml": BROKEN})
    done = loom("validate", str(folder), "--lang", "zh")
    assert done.returncode == 1
    assert "sale.yaml:5:26: /fields/0/type: 不允许的值" in done.stderr
    assert "Traceback" not in done.stderr


def test_json_format(write_package) -> None:
    folder = write_package({"entities/sale.yaml": BROKEN})
    done = loom("validate", str(folder), "--format", "json")
    report = json.loads(done.stdout)
    assert report["ok"] is False
    (problem,) = report["problems"]
    assert (problem["line"], problem["pointer"], problem["code"]) == (5, "/fields/0/type", "schema.enum")
    assert "did you mean 'money'" in problem["message"]


def test_usage_error_exits_2() -> None:
    done = loom("validate", "--lang", "fr")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
