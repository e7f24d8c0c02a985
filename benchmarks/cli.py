"""How long `loom` commands take as whole processes (target: under 1 s of CPU each).

    python benchmarks/cli.py [--database URL] [--runs 5] [--format json] [--check]

Each command runs as a user runs it, `python -m loom.platform ...` in a process of its own, on
a site made with `loom migrate --apply` (SQLite in a temporary folder, or a scratch schema of a
PostgreSQL database): `loom --help`, `loom validate` of a one-entity package, `loom user create`
with a builtin role and with a role an app declares (which loads the site's metadata), and
`loom token create`. Beside each, in turns, a hand-written click program does the same kind of
work (prints its help; parses the package's YAML; hashes a password and inserts a user; inserts
a token's hash) over the same database, and `python -c 'import click'` is the floor.

Figures are CPU seconds (user + system) of the process, the median of `--runs` after one
warm-up: on a shared machine the wall time counts other processes too (it is printed beside).
The children write bytecode caches to a temporary folder, as an installed package has them, so
compiling Loom's sources is not counted. `--check` exits 1 when a median misses the target.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from scratch import scratch_database

HERE = Path(__file__).resolve().parent
TARGET_S = 1.0
PASSWORD = "bench-Pass-2026"

PACKAGE = {
    "app.yaml": "kind: app\nname: shop\nlabel: Shop\nversion: 1.0.0\n",
    "entities/sale.yaml": (
        "kind: entity\nname: sale\nlabel: Sale\nfields:\n"
        "  - {name: title, type: text, label: Title}\n  - {name: amount, type: money, label: Amount}\n"
    ),
}

# The baseline: what each command does, written directly with click, SQLAlchemy and Werkzeug.
BASELINE = '''
import hashlib, secrets, sys
from pathlib import Path
import click

@click.group()
def cli():
    """A hand-written command line doing the same kind of work."""

@cli.command()
@click.argument("folder")
def validate(folder):
    import yaml
    for path in sorted(Path(folder).rglob("*.yaml")):
        yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    click.echo("valid")

@cli.command()
@click.argument("url")
def setup(url):
    from sqlalchemy import create_engine, text
    with create_engine(url).begin() as conn:
        conn.execute(text("CREATE TABLE bench_users (id INTEGER PRIMARY KEY, login VARCHAR(64) UNIQUE,"
                          " password_hash VARCHAR(200), role VARCHAR(64))"))
        conn.execute(text("CREATE TABLE bench_tokens (id INTEGER PRIMARY KEY, user_id INTEGER,"
                          " token_hash VARCHAR(64))"))
        conn.execute(text("INSERT INTO bench_users (id, login) VALUES (1, 'root')"))

@cli.command()
@click.argument("url")
@click.argument("login")
@click.option("--password")
@click.option("--role")
def user(url, login, password, role):
    from sqlalchemy import create_engine, text
    from werkzeug.security import generate_password_hash
    with create_engine(url).begin() as conn:
        if conn.execute(text("SELECT id FROM bench_users WHERE login = :l"), {"l": login}).first():
            sys.exit("taken")
        conn.execute(text("INSERT INTO bench_users (id, login, password_hash, role) VALUES"
                          " ((SELECT max(id) + 1 FROM bench_users), :l, :h, :r)"),
                     {"l": login, "h": generate_password_hash(password), "r": role})
    click.echo(f"user {login} created")

@cli.command()
@click.argument("url")
@click.argument("login")
def token(url, login):
    from sqlalchemy import create_engine, text
    secret = "loom_" + secrets.token_urlsafe(32)
    with create_engine(url).begin() as conn:
        user_id = conn.execute(text("SELECT id FROM bench_users WHERE login = :l"), {"l": login}).scalar()
        conn.execute(text("INSERT INTO bench_tokens (id, user_id, token_hash) VALUES"
                          " ((SELECT coalesce(max(id), 0) + 1 FROM bench_tokens), :u, :h)"),
                     {"u": user_id, "h": hashlib.sha256(secret.encode()).hexdigest()})
    click.echo(secret)

cli()
'''


@dataclass(frozen=True)
class Timing:
    cpu_s: float
    wall_s: float


def timed(command: list[str], env: dict[str, str]) -> Timing:
    """One process's CPU (user + system, from the kernel's accounting of children) and wall time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Timing(cpu, wall)


def child_env(cache: str) -> dict[str, str]:
    """This checkout's Loom, with bytecode cached (in ``cache``) as an installed package has it."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = cache
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE.parent), env.get("PYTHONPATH")]))
    return env


def measure(url: str | None, runs: int, folder: Path) -> list[dict]:
    env = child_env(str(folder / "pycache"))
    loom = [sys.executable, "-m", "loom.platform"]
    baseline = [sys.executable, str(folder / "baseline.py")]
    (folder / "baseline.py").write_text(BASELINE, encoding="utf-8")
    package = folder / "shop"
    for relative, text in PACKAGE.items():
        (package / relative).parent.mkdir(parents=True, exist_ok=True)
        (package / relative).write_text(text, encoding="utf-8")
    with scratch_database(url, str(folder)) as database:
        site = folder / "site"
        site.mkdir()
        (site / "site.yaml").write_text(
            f"database: '{database}'\napps: [oa, crm]\nsecret_key: bench\n", encoding="utf-8"
        )
        timed([*loom, "migrate", "--apply", "--site", str(site)], env)
        timed([*loom, "user", "create", "root", "--password", PASSWORD, "--site", str(site)], env)
        timed([*baseline, "setup", database], env)
        counter = iter(range(10**6))

        def user(role: str) -> tuple[list[str], list[str]]:
            login = f"u{next(counter)}"
            return (
                [*loom, "user", "create", login, "--password", PASSWORD, "--role", role, "--site", str(site)],
                [*baseline, "user", database, login, "--password", PASSWORD, "--role", role],
            )

        cases = {
            "loom --help": lambda: ([*loom, "--help"], [*baseline, "--help"]),
            "loom validate (one small package)": lambda: (
                [*loom, "validate", str(package)],
                [*baseline, "validate", str(package)],
            ),
            "loom user create --role admin": lambda: user("admin"),
            "loom user create --role hr (an app's role)": lambda: user("hr"),
            "loom token create": lambda: (
                [*loom, "token", "create", "root", "--site", str(site)],
                [*baseline, "token", database, "root"],
            ),
        }
        floor = [sys.executable, "-c", "import click"]
        results = []
        for name, commands in cases.items():
            loom_times, base_times, floor_times = [], [], []
            for round_ in range(runs + 1):  # the first round is a warm-up: it writes bytecode caches
                ours, theirs = commands()
                pair = (timed(ours, env), timed(theirs, env), timed(floor, env))
                if round_:
                    loom_times.append(pair[0])
                    base_times.append(pair[1])
                    floor_times.append(pair[2])
            results.append(summary(name, loom_times, base_times, floor_times))
        return results


def summary(name: str, loom: list[Timing], base: list[Timing], floor: list[Timing]) -> dict:
    cpu = [t.cpu_s for t in loom]
    ratios = [a.cpu_s / b.cpu_s for a, b in zip(loom, base, strict=True) if b.cpu_s > 0]
    median = statistics.median(cpu)
    return {
        "command": name,
        "cpu_s": {"median": median, "min": min(cpu), "max": max(cpu)},
        "wall_s": statistics.median(t.wall_s for t in loom),
        "baseline_cpu_s": statistics.median(t.cpu_s for t in base),
        "floor_cpu_s": statistics.median(t.cpu_s for t in floor),
        "ratio": statistics.median(ratios) if ratios else None,
        "spread": [min(ratios), max(ratios)] if ratios else None,
        "target_s": TARGET_S,
        "met": median < TARGET_S,
    }


def table(results: list[dict], engine: str) -> str:
    head = "| command | CPU median [min–max] | wall | baseline CPU | Loom / baseline | floor | target |"
    lines = [f"On {engine}:", head, "|---|---|---|---|---|---|---|"]
    for r in results:
        cpu = r["cpu_s"]
        ratio = f"{r['ratio']:.2f}× [{r['spread'][0]:.2f}–{r['spread'][1]:.2f}]" if r["ratio"] else "-"
        verdict = "met" if r["met"] else "MISSED"
        lines.append(
            f"| {r['command']} | {cpu['median']:.2f} s [{cpu['min']:.2f}–{cpu['max']:.2f}] "
            f"| {r['wall_s']:.2f} s | {r['baseline_cpu_s']:.2f} s | {ratio} | {r['floor_cpu_s']:.2f} s "
            f"| < {r['target_s']:.0f} s {verdict} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database", help="a PostgreSQL URL (default: SQLite in a temporary folder)")
    parser.add_argument("--runs", type=int, default=5, help="counted runs of each command")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        results = measure(args.database, args.runs, Path(folder))
    engine = "postgresql" if args.database else "sqlite"
    if args.format == "json":
        print(json.dumps({"database": engine, "commands": results}, indent=2))
    else:
        print(table(results, engine))
    if args.check and not all(r["met"] for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
