"""`loom flow simulate` on the builtin expense flow: the path, the approvers, nothing written."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import sys


def loom(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "loom.platform", *args], capture_output=True, text=True, cwd=cwd, timeout=120
    )


def test_simulate_expense_paths(tmp_path) -> None:
    assert loom("migrate", "--apply", cwd=tmp_path).returncode == 0
    people = [
        ("wang", "--department", "销售部", "--head"),
        ("zhang", "--department", "销售部"),
        ("li", "--role", "finance"),
        ("qian", "--role", "finance_director"),
        ("sun", "--role", "cashier"),
    ]
    for login, *options in people:
        assert loom("user", "create", login, "--password", "pw-12345", *options, cwd=tmp_path).returncode == 0
    database = sqlite3.connect(tmp_path / "loom.db")
    (transport,) = database.execute("select id from oa_expense_category where code = 'transport'").fetchone()
    # Claims over 1,000 need their invoice attached (the form's required_when), even in a dry run.
    (invoice,) = database.execute(
        "insert into loom_files (name, content_type, size, sha256, uploaded_by, uploaded_at) "
        "values ('发票.pdf', 'application/pdf', 3, ?, (select id from loom_users where login = 'zhang'), "
        "'2026-11-01 09:00:00') returning id",
        (hashlib.sha256(b"pdf").hexdigest(),),
    ).fetchone()
    database.commit()
    big = tmp_path / "big.yaml"
    big.write_text(
        f"title: 出差\ncategory: daily\nattachments: [{invoice}]\n"
        f"lines:\n  - {{expense_date: 2026-11-01, category: {transport}, amount: 8000}}\n"
    )
    small = tmp_path / "small.yaml"
    small.write_text(big.read_text().replace("8000", "300"))
    report = json.loads(
        loom(
            "flow",
            "simulate",
            "oa.expense_claim",
            "--record",
            str(big),
            "--as",
            "zhang",
            "--format",
            "json",
            cwd=tmp_path,
        ).stdout
    )
    assert report["outcome"] == "approved"
    path = [(s["node"], s["users"]) for s in report["steps"] if s["kind"] == "approve"]
    # finance_director inherits finance, so qian is also offered the finance step (any of them)
    assert path == [
        ("manager", ["wang"]),
        ("department_head", []),  # 销售部 has no department above it: skipped
        ("finance", ["li", "qian"]),
        ("finance_director", ["qian"]),
        ("cashier", ["sun"]),
    ]
    text = loom(
        "flow", "simulate", "oa.expense_claim", "--record", str(small), "--as", "zhang", cwd=tmp_path
    ).stdout
    assert "finance_director" not in text and "cashier" in text and "normal_amount" in text
    assert database.execute("select count(*) from loom_flow_instances").fetchone() == (0,)
    assert database.execute("select count(*) from oa_expense_claim").fetchone() == (0,)
    bad = loom("flow", "simulate", "oa.expense_claim", "--record", str(small), "--as", "nobody", cwd=tmp_path)
    assert bad.returncode == 1 and "no active user" in bad.stderr
