"""Every benchmark in one run: each figure with its goal, what was measured and a verdict.

    python benchmarks/run_all.py                        # SQLite, 20,000 listed rows
    python benchmarks/run_all.py --postgres postgresql://user@host/db
    python benchmarks/run_all.py --rows 1000000         # the goals' scale; takes a long time
    python benchmarks/run_all.py --format json

PostgreSQL is measured too when ``--postgres`` or ``LOOM_TEST_DATABASE_URL`` names a
database (each benchmark works in a scratch schema of it, dropped after). Each benchmark
runs in its own process, as ``python benchmarks/<name>.py --format json``; ratios are
Loom / baseline, the median of rounds in which both sides took turns, with the smallest
and largest in brackets. Exit status 1 when a goal is missed. Under the table, each missed
goal that was profiled is named with where Loom's side spends its time (``profiles.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from profiles import said

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Row:
    figure: str
    goal: str
    measured: str
    met: bool | None  # None: measured, no goal
    why: str = ""  # where Loom's side spends its time (profiles.py), for the figures profiled

    @property
    def verdict(self) -> str:
        return "-" if self.met is None else "met" if self.met else "MISSED"


def run(script: str, *args: str) -> dict[str, Any]:
    """One benchmark in a process of its own; its JSON report."""
    command = [sys.executable, str(HERE / script), *args, "--format", "json"]
    print("  running", " ".join(command[1:]), file=sys.stderr, flush=True)
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def ratio(figure: dict[str, Any]) -> str:
    low, high = figure["spread"]
    return f"{figure['ratio']:.2f}× [{low:.2f}–{high:.2f}]"


def metadata_rows(entities: int) -> list[Row]:
    args = ["--runs", "5", "--generated-runs", "2", "--entities", str(entities)]
    cases = run("metadata_load.py", *args)["cases"]
    rows = []
    for case in cases:
        median = case["loom"]["median_ms"]
        measured = f"{median:,.0f} ms ({case['ratio_loom_to_baseline']:.2f}× libyaml + jsonschema-rs)"
        stages = ", ".join(f"{ms:,.0f} ms {stage}" for stage, ms in case["stages_median_ms"].items())
        if case["target_ms"] is None:
            rows.append(Row(f"metadata load, {case['name']}", "-", measured, None))
        else:
            goal = f"< {case['target_ms']:,.0f} ms"
            met = median < case["target_ms"]
            rows.append(Row(f"metadata load, {case['name']}", goal, measured, met, f"by stage: {stages}"))
    return rows


def record_rows(database: list[str], name: str, scale: argparse.Namespace) -> list[Row]:
    args = [*database, "--rows", str(scale.rows), "--creates", str(scale.creates)]
    report = run("records.py", *args, "--profile")
    listing, lines = report["list"], report["create_with_lines"]
    list_ms = f"{listing['loom_ms']:.2f} ms vs {listing['baseline_ms']:.2f} ms, {ratio(listing)}"
    list_met = listing["ratio"] <= 1.5 and listing["loom_ms"] < 30
    return [
        Row(
            f"create, {name}",
            "≤ 2.0× raw insert",
            ratio(report["create"]),
            report["create"]["ratio"] <= 2.0,
            said(report["create"]["profile"]),
        ),
        Row(
            f"create a claim with 2 lines, {name}",
            "≤ 2.0× raw inserts",
            f"{ratio(lines)} (against the same work by hand: {ratio(lines['same_work'])})",
            lines["ratio"] <= 2.0,
            f"{said(lines['profile'])}; the raw inserts skip what the claim declares (the category"
            f" checked, the rules, the number series, the audit entry): written by hand, that work"
            f" takes {lines['same_work']['baseline_ms']:.2f} ms against {lines['baseline_ms']:.2f} ms"
            " for the bare inserts",
        ),
        Row(
            f"list page (filter, sort -amount, page of 50) at {scale.rows:,} rows, {name}",
            "≤ 1.5× raw, < 30 ms",
            list_ms,
            list_met,
            said(listing["profile"]),
        ),
    ]


def automation_rows(database: list[str], name: str, scale: argparse.Namespace) -> list[Row]:
    args = [*database, "--writes", str(scale.creates // 2), "--rows", str(scale.rows // 10)]
    report = run("automation.py", *args, "--profile")
    automated = report["writes"]["automation"]
    floor = automated["by_hand"]
    rows = [
        Row(
            f"create that fires one automation vs none, {name}",
            "≤ 1.3×",
            f"{ratio(automated)} (the same two writes by hand: {ratio(floor)})",
            automated["ratio"] <= 1.3,
            f"{said(automated['profile'])}; the automation's own write (its target read, updated with"
            f" its version, audited) costs {floor['ratio']}× by hand, above the goal whoever writes it",
        )
    ]
    if report["schedule_ratio"] is not None:
        seconds = f"{report['schedule_seconds']} s vs {report['schedule_sql_seconds']} s"
        measured = f"{seconds}, {report['schedule_ratio']}×"
        changed = f"{report['schedule_changed']:,} of {report['schedule_rows']:,}"
        rows.append(
            Row(
                f"scheduled rule changing {changed} vs set-based SQL, {name}",
                "measured",
                measured,
                None,
            )
        )
        plain = f"{report['set_schedule_seconds']} s vs {report['set_schedule_sql_seconds']} s"
        rows.append(
            Row(
                f"the same rule as a plain set (run set-based) vs one UPDATE, {name}",
                "measured",
                f"{plain}, {report['set_schedule_ratio']}×",
                None,
            )
        )
    return rows


def workflow_rows(database: list[str], name: str, scale: argparse.Namespace) -> list[Row]:
    args = [*database, "--approvals", str(scale.creates // 2), "--open-tasks", str(scale.rows // 10)]
    report = run("workflow.py", *args, "--profile")
    rate = report["approvals_per_s"]
    why = said(report["approvals_profile"])
    rows = [Row(f"approve operations, one process, {name}", "≥ 300/s", f"{rate:,}/s", rate >= 300, why)]
    if database:  # over gunicorn: PostgreSQL only, as a deployment runs
        served = run("workflow.py", *database, "--gunicorn", "4", "--approvals", str(scale.creates * 2))
        rate = served["approvals_per_s"]
        rows.append(
            Row(
                f"approve operations over gunicorn (4 workers), {name}", "≥ 300/s", f"{rate:,}/s", rate >= 300
            )
        )
    return rows


def boot_rows(database: list[str], name: str, scale: argparse.Namespace) -> list[Row]:
    report = run("boot.py", *database, "--runs", "5", "--profile")
    boot, build, imported = report["cases"][:3]
    measured = (
        f"{boot['cpu_s']:.2f} s CPU, forked from a master that built the app in {build['cpu_s']:.2f} s"
        f" ({imported['cpu_s']:.2f} s of it importing the app)"
    )
    why = said(build["profile"])
    return [Row(f"gunicorn worker boot, OA + CRM, {name}", "< 1 s CPU", measured, boot["met"], why)]


def cli_rows(database: list[str], name: str, scale: argparse.Namespace) -> list[Row]:
    report = run("cli.py", *database, "--runs", "5")
    rows = []
    for command in report["commands"]:
        cpu = command["cpu_s"]
        measured = f"{cpu['median']:.2f} s CPU ({command['ratio']:.2f}× a hand-written click program)"
        rows.append(Row(f"{command['command']}, {name}", "< 1 s CPU", measured, command["met"]))
    return rows


def api_rows(database: list[str], name: str, scale: argparse.Namespace) -> list[Row]:
    report = run("api.py", *database, "--requests", str(scale.creates // 2))
    return [
        Row(
            f"HTTP {op} vs hand-written Flask, same auth, {name}",
            "≤ 1.5×",
            ratio(report[op]),
            report[op]["ratio"] <= 1.5,
        )
        for op in ("create", "list")
    ]


def portal_rows(database: list[str], name: str, scale: argparse.Namespace) -> list[Row]:
    report = run("portal_list.py", *database, "--records", "10000", "--runs", "5")
    slowest = max(report["pages"], key=lambda page: page["median_ms"])
    measured = (
        f"slowest of {len(report['pages'])} pages {slowest['median_ms']:.0f} ms"
        f" ({slowest['page']}, {slowest['login']})"
    )
    met = all(page["met"] for page in report["pages"])
    return [Row(f"portal customer list, 10,000 more customers, {name}", "< 200 ms a page", measured, met)]


def table(rows: list[Row]) -> str:
    head = ("figure", "goal", "measured", "verdict")
    lines = [f"| {' | '.join(head)} |", "|---|---|---|---|"]
    lines += [f"| {r.figure} | {r.goal} | {r.measured} | {r.verdict} |" for r in rows]
    missed = [r for r in rows if r.met is False and r.why]
    if missed:
        lines += ["", "Where Loom's time goes in the missed goals (own time, by library and Loom package):"]
        lines += [f"- {r.figure}: {r.why}" for r in missed]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--postgres", default=os.environ.get("LOOM_TEST_DATABASE_URL"), help="a PostgreSQL URL"
    )
    parser.add_argument("--rows", type=int, default=20_000, help="records listed (the goal's scale: 1000000)")
    parser.add_argument("--creates", type=int, default=400, help="records created per create figure")
    parser.add_argument("--entities", type=int, default=500, help="entities of the generated package")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    scale = parser.parse_args()
    databases = [([], "SQLite")] + (
        [(["--database", scale.postgres], "PostgreSQL")] if scale.postgres else []
    )
    rows = metadata_rows(scale.entities)
    measures: list[Callable[[list[str], str, argparse.Namespace], list[Row]]] = [
        record_rows,
        automation_rows,
        workflow_rows,
        cli_rows,
        api_rows,
        portal_rows,
        boot_rows,
    ]
    for measure in measures:
        for database, name in databases:
            rows += measure(database, name, scale)
    if scale.format == "json":
        print(json.dumps([{**vars(r), "verdict": r.verdict} for r in rows], ensure_ascii=False, indent=2))
    else:
        print(table(rows))
    return 1 if any(r.met is False for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
