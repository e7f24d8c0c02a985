"""`loom user create`, `loom token create` and `loom explain-access` as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys


def loom(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "loom.platform", *args], capture_output=True, text=True, cwd=cwd, timeout=120
    )


def test_users_tokens_and_access_explained(tmp_path) -> None:
    assert loom("migrate", "--apply", cwd=tmp_path).returncode == 0
    created = loom("user", "create", "zhang", "--password", "zhang-pass-1", "--department", "销售部",
                   "--role", "crm_sales", cwd=tmp_path)  # fmt: skip
    assert created.returncode == 0, created.stderr
    again = loom("user", "create", "zhang", "--password", "zhang-pass-1", cwd=tmp_path)
    assert again.returncode == 1 and "taken" in again.stderr and "Traceback" not in again.stderr
    bad_role = loom("user", "create", "li", "--password", "zhang-pass-1", "--role", "wizard", cwd=tmp_path)
    assert bad_role.returncode == 1 and "unknown role" in bad_role.stderr
    token = loom("token", "create", "zhang", "--format", "json", cwd=tmp_path)
    assert json.loads(token.stdout)["token"].startswith("loom_")
    explained = loom("explain-access", "zhang", "crm.customer", "--format", "json", cwd=tmp_path)
    report = json.loads(explained.stdout)
    scopes = {line["operation"]: line["scope"] for line in report["operations"]}
    assert scopes["read"] == "own" and scopes["delete"] == "none"
    assert {"role": "crm_sales", "scope": "own"} in report["operations"][1]["reasons"]
    text = loom("explain-access", "zhang", "crm.customer", cwd=tmp_path).stdout
    assert "read     own" in text
    missing = loom("explain-access", "nobody", "crm.customer", cwd=tmp_path)
    assert missing.returncode == 1 and "no active user" in missing.stderr


def test_delegations_from_the_command_line(tmp_path) -> None:
    assert loom("migrate", "--apply", cwd=tmp_path).returncode == 0
    for login in ("wang", "zhou"):
        assert loom("user", "create", login, "--password", "loom-pw-2026", cwd=tmp_path).returncode == 0
    week = ("--from", "2099-01-05", "--until", "2099-01-11")  # planned, whatever the machine's date
    added = loom("delegation", "add", "wang", "--to", "zhou", *week, "--format", "json", cwd=tmp_path)
    assert added.returncode == 0, added.stderr
    [delegation] = json.loads(added.stdout)
    shown = (delegation["user_name"], delegation["delegate_name"], delegation["state"])
    assert shown == ("wang", "zhou", "planned")
    leave_only = ("--flow", "oa.leave_approval")
    overlap = loom("delegation", "add", "wang", "--to", "zhou", *week, *leave_only, cwd=tmp_path)
    assert overlap.returncode == 1 and "starts_on: Delegation 1 already covers" in overlap.stderr
    unknown = loom("delegation", "add", "wang", "--to", "nobody", *week, cwd=tmp_path)
    assert unknown.returncode == 1 and "no user 'nobody'" in unknown.stderr
    listed = loom("delegation", "list", "wang", cwd=tmp_path).stdout.splitlines()
    assert listed[0].split() == ["id", "user", "delegate", "from", "until", "flows", "state"]
    assert listed[2].split() == ["1", "wang", "zhou", "2099-01-05", "2099-01-11", "*", "planned"]
    assert loom("delegation", "end", "1", cwd=tmp_path).returncode == 0
    listed_json = loom("delegation", "list", "--format", "json", cwd=tmp_path).stdout
    assert json.loads(listed_json)[0]["state"] == "ended"
    assert loom("delegation", "end", "7", cwd=tmp_path).returncode == 1
