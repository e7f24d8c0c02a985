"""Requests/s through the full HTTP stack: Loom's API vs a hand-written Flask + SQLAlchemy app.

    python benchmarks/api.py [--database URL] [--requests N] [--format json]

Both apps run as separate processes behind the same WSGI server (Werkzeug, threaded) on
loopback, over their own SQLite file (or, with ``--database``, one scratch schema of a
PostgreSQL database, their tables named apart) opened with Loom's engine settings, and do
the same work per request: check a bearer token (its hash, the user, their roles), then create a
record from JSON, get it by id, or list a filtered page of 50 with a capped count, over a
table with the same columns and indexes. A keep-alive Python client sends the requests
one after another, to one app then the other, round after round, and reports requests
per second for each app and the ratio (baseline / Loom: how many times slower Loom is) as
the median of the per-round ratios, with the smallest and largest.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

from scratch import scratch_database

PACKAGE = {
    "app.yaml": "kind: app\nname: bench\nlabel: Bench\nversion: 1.0.0\n",
    "entities/deal.yaml": """\
        kind: entity
        name: deal
        label: Deal
        fields:
          - {name: title, type: string, required: true, max_length: 120}
          - {name: stage, type: select, options: [lead, qualified, proposal, won, lost]}
          - {name: amount, type: money}
        list: {filters: [stage], sort: -amount}
        permissions:
          - {role: employee, create: true, read: all, write: all}
        """,
}
STAGES = ["lead", "qualified", "proposal", "won", "lost"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- the two servers (run in child processes) --------------------------------------------------


def sqlite_url(folder: Path, name: str) -> str:
    return f"sqlite:///{folder}/{name}.db"


def serve_loom(folder: Path, port: int, url: str) -> None:
    from werkzeug.serving import run_simple

    from loom.metadata import validate_paths
    from loom.platform.app import create_app
    from loom.platform.database import make_engine
    from loom.platform.runtime import Runtime

    for name, body in PACKAGE.items():
        path = folder / "bench" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(body), encoding="utf-8")
    runtime = Runtime.for_catalog(
        validate_paths([folder / "bench"]).catalog, make_engine(url or sqlite_url(folder, "loom"))
    )
    runtime.schema.metadata.create_all(runtime.engine)
    app = create_app(runtime=runtime, config={"SECRET_KEY": "bench"})
    services = app.extensions["loom"]
    with runtime.engine.begin() as conn:
        user = services.identity.create_user(conn, "bench", "bench")
        token = services.identity.create_token(conn, user, "bench").token
    (folder / "token").write_text(token)
    run_simple("127.0.0.1", port, app, threaded=True)


def serve_baseline(folder: Path, port: int, url: str) -> None:
    """What a developer would write by hand for the same three endpoints, with the same checks."""
    import datetime as dt
    import hashlib
    from decimal import Decimal

    from flask import Flask
    from flask import abort
    from flask import g
    from flask import jsonify
    from flask import request
    from sqlalchemy import Boolean
    from sqlalchemy import Column
    from sqlalchemy import DateTime
    from sqlalchemy import ForeignKey
    from sqlalchemy import Index
    from sqlalchemy import Integer
    from sqlalchemy import MetaData
    from sqlalchemy import Numeric
    from sqlalchemy import String
    from sqlalchemy import Table
    from sqlalchemy import func
    from sqlalchemy import insert
    from sqlalchemy import or_
    from sqlalchemy import select
    from werkzeug.serving import run_simple

    from loom.platform.database import make_engine

    metadata = MetaData()
    users = Table(
        "users", metadata,
        Column("id", Integer, primary_key=True), Column("login", String(64), unique=True),
        Column("active", Boolean, nullable=False),
    )  # fmt: skip
    tokens = Table(
        "tokens", metadata,
        Column("id", Integer, primary_key=True), Column("user_id", ForeignKey("users.id"), nullable=False),
        Column("token_hash", String(64), unique=True), Column("expires_at", DateTime(timezone=True)),
        Column("revoked_at", DateTime(timezone=True)),
    )  # fmt: skip
    roles = Table(
        "roles", metadata, Column("user_id", ForeignKey("users.id"), primary_key=True),
        Column("role", String(64), primary_key=True),
    )  # fmt: skip
    deals = Table(
        "deals", metadata,
        Column("id", Integer, primary_key=True),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("created_by", ForeignKey("users.id")),
        Column("updated_at", DateTime(timezone=True), nullable=False),
        Column("updated_by", ForeignKey("users.id")),
        Column("owner", ForeignKey("users.id"), index=True),
        Column("version", Integer, nullable=False),
        Column("title", String(120)), Column("stage", String(64)),
        Column("amount", Numeric(18, 2)),
    )  # fmt: skip
    engine = make_engine(url or sqlite_url(folder, "baseline"))
    # The index a developer would add for the list (the one Loom builds for its sort and filter).
    by_amount = [deals.c.amount.desc().nulls_last(), deals.c.id.desc()]
    plain = engine.dialect.name != "postgresql"
    Index("ix_deals_stage_amount", deals.c.stage, *([deals.c.amount, deals.c.id] if plain else by_amount))
    metadata.create_all(engine)
    token = (folder / "token").read_text()
    with engine.begin() as conn:
        user = conn.execute(insert(users).returning(users.c.id), {"login": "bench", "active": True}).scalar()
        digest = hashlib.sha256(token.encode()).hexdigest()
        conn.execute(insert(tokens), {"user_id": user, "token_hash": digest})
        conn.execute(insert(roles), {"user_id": user, "role": "employee"})
    app = Flask("baseline")

    @app.before_request
    def authenticate():
        secret = request.headers.get("Authorization", "").removeprefix("Bearer ")
        now = dt.datetime.now(dt.UTC)
        query = (
            select(users.c.id, roles.c.role)
            .join(tokens, tokens.c.user_id == users.c.id)
            .outerjoin(roles, roles.c.user_id == users.c.id)
            .where(tokens.c.token_hash == hashlib.sha256(secret.encode()).hexdigest(), users.c.active)
            .where(
                tokens.c.revoked_at.is_(None), or_(tokens.c.expires_at.is_(None), tokens.c.expires_at > now)
            )
        )
        with engine.connect() as conn:
            rows = conn.execute(query).all()
        if not rows:
            abort(401)
        g.user, g.roles = rows[0].id, {row.role for row in rows}

    def out(row) -> dict:
        stamps = {k: row[k].isoformat() for k in ("created_at", "updated_at")}
        return {**row, **stamps, "amount": str(row["amount"])}

    @app.post("/deals")
    def create():
        data = request.get_json()
        if not isinstance(data, dict) or not data.get("title") or data.get("stage") not in STAGES:
            abort(422)
        now = dt.datetime.now(dt.UTC)
        values = {"title": data["title"], "stage": data["stage"], "amount": Decimal(str(data["amount"])),
                  "created_at": now, "updated_at": now, "created_by": g.user, "updated_by": g.user,
                  "owner": g.user, "version": 1}  # fmt: skip
        with engine.begin() as conn:
            row = conn.execute(insert(deals).returning(*deals.c), values).mappings().one()
        return jsonify(out(row)), 201

    @app.get("/deals/<int:deal_id>")
    def get(deal_id: int):
        with engine.connect() as conn:
            row = conn.execute(select(deals).where(deals.c.id == deal_id)).mappings().first()
        if row is None:
            abort(404)
        return jsonify(out(row))

    @app.get("/deals")
    def listing():
        where = deals.c.stage == request.args["stage"]
        query = select(deals).where(where).order_by(deals.c.amount.desc().nulls_last(), deals.c.id.desc())
        capped = select(deals.c.id).where(where).limit(10_001).subquery()
        with engine.connect() as conn:
            rows = conn.execute(query.limit(51)).mappings().all()
            total = conn.execute(select(func.count()).select_from(capped)).scalar_one()
        return jsonify({"items": [out(r) for r in rows[:50]], "total": min(total, 10_000)})

    run_simple("127.0.0.1", port, app, threaded=True)


# -- the client ------------------------------------------------------------------------------------


class Client:
    def __init__(self, port: int, headers: dict[str, str]) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port)
        self.headers = headers

    def call(self, method: str, path: str, body: dict | None = None) -> dict:
        payload = json.dumps(body) if body is not None else None
        headers = {**self.headers, "Content-Type": "application/json"} if body is not None else self.headers
        self.connection.request(method, path, payload, headers)
        response = self.connection.getresponse()
        data = response.read()
        if response.status >= 300:
            raise RuntimeError(f"{method} {path}: {response.status} {data[:200]!r}")
        return json.loads(data)


def wait_for(port: int) -> None:
    for _ in range(1200):  # a minute: a busy machine boots Loom slowly
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


def measure(client: Client, base: str, count: int) -> dict[str, float]:
    """Seconds per request of each operation."""
    results = {}
    start = time.perf_counter()
    ids = [
        client.call("POST", base, {"title": f"Deal {i}", "stage": STAGES[i % 5], "amount": i * 10.5})["id"]
        for i in range(count)
    ]
    results["create"] = (time.perf_counter() - start) / count
    start = time.perf_counter()
    for record_id in ids:
        client.call("GET", f"{base}/{record_id}")
    results["get"] = (time.perf_counter() - start) / count
    start = time.perf_counter()
    for i in range(count):
        client.call("GET", f"{base}?stage={STAGES[i % 5]}")
    results["list"] = (time.perf_counter() - start) / count
    return results


def compare(loom: Client, baseline: Client, count: int, rounds: int) -> dict[str, dict[str, Any]]:
    """Both apps in turn, ``rounds`` times after a warm-up round; per operation the median
    requests per second of each and the median, min and max of the per-round ratios."""
    per_round = max(count // rounds, 1)
    runs: dict[str, list[dict[str, float]]] = {"loom": [], "baseline": []}
    for r in range(rounds + 1):
        sides = [("loom", loom, "/api/v1/bench/deal"), ("baseline", baseline, "/deals")]
        for name, client, base in sides if r % 2 == 0 else sides[::-1]:
            result = measure(client, base, per_round)
            if r:
                runs[name].append(result)
    report = {}
    for op in runs["loom"][0]:
        ratios = [a[op] / b[op] for a, b in zip(runs["loom"], runs["baseline"], strict=True)]
        report[op] = {
            "loom": round(1 / statistics.median(r[op] for r in runs["loom"])),
            "baseline": round(1 / statistics.median(r[op] for r in runs["baseline"])),
            "ratio": round(statistics.median(ratios), 2),
            "spread": [round(min(ratios), 2), round(max(ratios), 2)],
        }
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="a PostgreSQL URL (default: SQLite files in a temp folder)")
    parser.add_argument("--requests", type=int, default=1000, help="per operation")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--format", choices=["text", "json"], default="text")
    parser.add_argument("--serve", choices=["loom", "baseline"], help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--url", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        (serve_loom if args.serve == "loom" else serve_baseline)(Path(args.folder), args.port, args.url)
        return
    with tempfile.TemporaryDirectory() as folder, scratch_database(args.database, folder) as url:
        url = url if args.database else ""
        ports = {"loom": free_port(), "baseline": free_port()}
        servers = []
        try:
            for kind, port in ports.items():  # Loom first: it writes the token both accept
                command = [sys.executable, __file__, "--serve", kind, "--folder", folder, "--port", str(port)]
                servers.append(
                    subprocess.Popen(
                        [*command, "--url", url],
                        stderr=subprocess.DEVNULL,
                        stdout=subprocess.DEVNULL,
                        env={**os.environ, "PYTHONUNBUFFERED": "1"},
                    )
                )
                wait_for(port)
            headers = {"Authorization": f"Bearer {(Path(folder) / 'token').read_text()}"}
            report = compare(
                Client(ports["loom"], headers), Client(ports["baseline"], headers), args.requests, args.rounds
            )
        finally:
            for server in servers:
                server.terminate()
                server.wait()
    if args.format == "json":
        print(json.dumps(report))
        return
    database = "PostgreSQL" if args.database else "SQLite"
    print(f"API benchmark: {args.requests} sequential requests per operation, Werkzeug threaded, {database}")
    print(f"  {'operation':12}{'loom req/s':>12}{'baseline':>12}{'ratio':>8}{'min-max':>12}")
    for op, row in report.items():
        spread = f"{row['spread'][0]:.2f}-{row['spread'][1]:.2f}"
        print(f"  {op:12}{row['loom']:>12,}{row['baseline']:>12,}{row['ratio']:>8.2f}{spread:>12}")


if __name__ == "__main__":
    main()
