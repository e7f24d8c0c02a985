"""How long `loom demo` takes to fill a freshly migrated site (target: under 60 s).

    python benchmarks/demo.py [--database URL] [--runs 1] [--format json] [--check]

The timing is the command as a user runs it (`loom migrate --apply`, then `loom demo`, through
the CLI), on SQLite in a temporary folder or in a scratch schema of a PostgreSQL database.
`--check` exits 1 when the target is missed. It lives here rather than in the tests because a
duration measured on a shared machine says nothing certain about the code.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from click.testing import CliRunner
from scratch import scratch_database

from loom.platform.cli import cli

TARGET_SECONDS = 60.0


def fill_once(url: str | None) -> float:
    """Seconds `loom demo` took on a new site (the migration before it is not counted)."""
    with tempfile.TemporaryDirectory() as folder, scratch_database(url, folder) as database:
        site = Path(folder) / "site"
        site.mkdir()
        (site / "site.yaml").write_text(
            f"database: '{database}'\napps: [oa, crm]\nsecret_key: bench\n", encoding="utf-8"
        )
        runner = CliRunner()
        migrated = runner.invoke(cli, ["migrate", "--apply", "--site", str(site)])
        if migrated.exit_code != 0:
            raise SystemExit(migrated.output)
        started = time.perf_counter()
        filled = runner.invoke(cli, ["demo", "--site", str(site)])
        elapsed = time.perf_counter() - started
        if filled.exit_code != 0:
            raise SystemExit(filled.output)
        return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="a PostgreSQL URL (default: SQLite in a temporary folder)")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--format", choices=["text", "json"], default="text")
    parser.add_argument("--check", action="store_true", help="exit 1 when the target is missed")
    args = parser.parse_args()
    times = [fill_once(args.database) for _ in range(args.runs)]
    best, median = min(times), statistics.median(times)
    engine = "postgresql" if args.database else "sqlite"
    if args.format == "json":
        summary = {"database": engine, "best_s": best, "median_s": median, "target_s": TARGET_SECONDS}
        print(json.dumps(summary))
    else:
        print(f"loom demo on {engine}: best {best:.1f} s, median {median:.1f} s", end="")
        print(f" (target < {TARGET_SECONDS:.0f} s)")
    if args.check and median >= TARGET_SECONDS:
        sys.exit(1)


if __name__ == "__main__":
    main()
