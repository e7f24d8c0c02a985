"""How long a gunicorn worker takes to boot, as a process (target: under 1 s of CPU).

    python benchmarks/boot.py [--database URL] [--runs 5] [--format json] [--check]

With Loom's gunicorn settings (``-c python:loom.platform.gunicorn_conf``, docs/deploy.md §4) the
master builds the app and forks the workers from it: the first figure is such a worker's CPU
from the fork to its first answered page (``/login``), in a process that imports
``loom.platform.wsgi`` as the master does, then forks. Without them, a sync worker imports
``loom.platform.wsgi`` itself, which imports the app and builds it for the site (reads
``site.yaml``, loads and validates the apps' metadata, makes the engine): the second figure is
one ``python -c`` process doing exactly that, which is also what the master spends once. Both on
a site with the builtin OA and CRM apps, migrated on SQLite in a temporary folder or on a
scratch schema of a PostgreSQL database, and beside them the import of ``loom.platform.app``
alone and the floor, ``import flask, sqlalchemy``. CPU seconds (user + system) of the process,
median of ``--runs`` after a warm-up that writes the bytecode caches (to a temporary folder, as
an installed package has them); wall time beside.
``python -X importtime -c 'import loom.platform.app'`` shows where an import's time goes;
``--profile`` says where building the app spends its time, by library (``profiles.py``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from cli import HERE
from cli import Timing
from cli import child_env
from cli import timed
from profiles import said
from scratch import scratch_database

TARGET_S = 1.0
PROFILE = (  # a worker's boot under cProfile, in a process of its own like the timed ones
    "import json, sys; sys.path.insert(0, sys.argv[1]); from profiles import breakdown;"
    " print(json.dumps(breakdown(lambda: __import__('loom.platform.wsgi'))))"
)
FORKED = (  # a preloading master, then one worker forked from it: the worker's CPU and wall time
    "import json, os, time; import loom.platform.wsgi as wsgi; reading, writing = os.pipe()\n"
    "started = time.perf_counter()\n"
    "if os.fork() == 0:\n"
    "    wsgi.serve_here(forked=True); status = wsgi.app.test_client().get('/login').status_code\n"
    "    spent = os.times(); assert status == 200, status\n"  # a child's times start at the fork
    "    os.write(writing, json.dumps([spent.user + spent.system, time.perf_counter() - started]).encode())\n"
    "    os._exit(0)\n"
    "os.close(writing); os.wait(); print(os.read(reading, 200).decode())"
)
FORKED_CASE = "worker forked from a preloading master, to its first page"
CASES = {
    FORKED_CASE: FORKED,
    "worker building the app (import loom.platform.wsgi)": "import loom.platform.wsgi",
    "import loom.platform.app": "import loom.platform.app",
    "floor: import flask, sqlalchemy": "import flask, sqlalchemy",
}


def forked(code: str, env: dict[str, str]) -> Timing:
    """The forked worker's own CPU and wall time, as the process running ``code`` prints them."""
    done = subprocess.run(
        [sys.executable, "-c", code], env={**env, "LOOM_PRELOAD": "1"}, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"a forked worker failed:\n{done.stdout}{done.stderr}")
    cpu, wall = json.loads(done.stdout.splitlines()[-1])
    return Timing(cpu, wall)


def measure(url: str | None, runs: int, folder: Path, profile: bool = False) -> list[dict]:
    """The cases' CPU and wall times; with ``profile``, the build's breakdown on the second."""
    env = child_env(str(folder / "pycache"))
    with scratch_database(url, str(folder)) as database:
        site = folder / "site"
        site.mkdir()
        (site / "site.yaml").write_text(
            f"database: '{database}'\napps: [oa, crm]\nsecret_key: bench\n", encoding="utf-8"
        )
        timed([sys.executable, "-m", "loom.platform", "migrate", "--apply", "--site", str(site)], env)
        env = {**env, "LOOM_SITE": str(site)}
        times: dict[str, list] = {name: [] for name in CASES}
        for round_ in range(runs + 1):  # the first round writes the bytecode caches
            for name, code in CASES.items():
                timing = (
                    forked(code, env) if name == FORKED_CASE else timed([sys.executable, "-c", code], env)
                )
                if round_:
                    times[name].append(timing)
        command = [sys.executable, "-c", PROFILE, str(HERE)]
        done = subprocess.run(command, env=env, capture_output=True, check=True, text=True)
        parts = json.loads(done.stdout)
    results = []
    for name, timings in times.items():
        cpu = [t.cpu_s for t in timings]
        results.append(
            {
                "case": name,
                "cpu_s": round(statistics.median(cpu), 3),
                "spread": [round(min(cpu), 3), round(max(cpu), 3)],
                "wall_s": round(statistics.median(t.wall_s for t in timings), 3),
            }
        )
    results[0]["target_s"], results[0]["met"] = TARGET_S, results[0]["cpu_s"] < TARGET_S
    if profile:  # where the build goes, the master's once (every worker's without preloading)
        results[1]["profile"] = parts
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database", help="a PostgreSQL URL (default: SQLite in a temporary folder)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--format", choices=["text", "json"], default="text")
    parser.add_argument("--check", action="store_true", help="exit 1 when the target is missed")
    parser.add_argument("--profile", action="store_true", help="where building the app spends its time")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        results = measure(args.database, args.runs, Path(folder), args.profile)
    engine = "postgresql" if args.database else "sqlite"
    if args.format == "json":
        print(json.dumps({"database": engine, "cases": results}))
    else:
        print(f"worker boot on {engine} (CPU s, median [min–max] of {args.runs}; wall)")
        for r in results:
            goal = f"   goal < {TARGET_S:.0f} s {'met' if r['met'] else 'MISSED'}" if "met" in r else ""
            print(f"  {r['case']:58}{r['cpu_s']:6.2f} [{r['spread'][0]:.2f}–{r['spread'][1]:.2f}]"
                  f"  wall {r['wall_s']:.2f}{goal}")  # fmt: skip
            if "profile" in r:
                print(f"  {'':58}build's time: {said(r['profile'])}")
    if args.check and not results[0]["met"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
