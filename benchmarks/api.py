"""Requests/s through the full HTTP stack: Loom's API vs a hand-written Flask + SQLAlchemy app.

    python benchmarks/api.py [--requests N] [--format json]

Both apps run as separate processes behind the same WSGI server (Werkzeug, threaded) on
loopback, over their own SQLite file, and do the same work per request: create a record
from JSON, get it by id, list a filtered page of 50. A keep-alive Python client sends
the requests one after another and reports requests per second for each app and the
ratio (baseline / Loom: how many times slower Loom is).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

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


def serve_loom(folder: Path, port: int) -> None:
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
        validate_paths([folder / "bench"]).catalog, make_engine(f"sqlite:///{folder}/loom.db")
    )
    runtime.schema.metadata.create_all(runtime.engine)
    app = create_app(runtime=runtime, config={"SECRET_KEY": "bench"})
    services = app.extensions["loom"]
    with runtime.engine.begin() as conn:
        user = services.identity.create_user(conn, "bench", "bench")
        token = services.identity.create_token(conn, user, "bench").token
    (folder / "token").write_text(token)
    run_simple("127.0.0.1", port, app, threaded=True)


def serve_baseline(folder: Path, port: int) -> None:
    """What a developer would write by hand for the same three endpoints."""
    import datetime as dt
    from decimal import Decimal

    from flask import Flask
    from flask import abort
    from flask import jsonify
    from flask import request
    from sqlalchemy import Column
    from sqlalchemy import DateTime
    from sqlalchemy import Integer
    from sqlalchemy import MetaData
    from sqlalchemy import Numeric
    from sqlalchemy import String
    from sqlalchemy import Table
    from sqlalchemy import create_engine
    from sqlalchemy import insert
    from sqlalchemy import select
    from werkzeug.serving import run_simple

    metadata = MetaData()
    deals = Table(
        "deals", metadata,
        Column("id", Integer, primary_key=True), Column("title", String(120), nullable=False),
        Column("stage", String(64)), Column("amount", Numeric(18, 2)),
        Column("created_at", DateTime(timezone=True)), Column("version", Integer, default=1),
    )  # fmt: skip
    engine = create_engine(f"sqlite:///{folder}/baseline.db")
    metadata.create_all(engine)
    app = Flask("baseline")

    def out(row) -> dict:
        return {**row, "amount": str(row["amount"]), "created_at": row["created_at"].isoformat()}

    @app.post("/deals")
    def create():
        data = request.get_json()
        if not isinstance(data, dict) or not data.get("title") or data.get("stage") not in STAGES:
            abort(422)
        values = {"title": data["title"], "stage": data["stage"], "amount": Decimal(str(data["amount"])),
                  "created_at": dt.datetime.now(dt.UTC), "version": 1}  # fmt: skip
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
        query = select(deals).where(deals.c.stage == request.args["stage"])
        query = query.order_by(deals.c.amount.desc(), deals.c.id.desc()).limit(50)
        with engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return jsonify({"items": [out(r) for r in rows]})

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
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


def measure(client: Client, base: str, count: int) -> dict[str, float]:
    results = {}
    start = time.perf_counter()
    ids = [
        client.call("POST", base, {"title": f"Deal {i}", "stage": STAGES[i % 5], "amount": i * 10.5})["id"]
        for i in range(count)
    ]
    results["create"] = count / (time.perf_counter() - start)
    start = time.perf_counter()
    for record_id in ids:
        client.call("GET", f"{base}/{record_id}")
    results["get"] = count / (time.perf_counter() - start)
    start = time.perf_counter()
    for i in range(count):
        client.call("GET", f"{base}?stage={STAGES[i % 5]}")
    results["list"] = count / (time.perf_counter() - start)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000, help="per operation")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    parser.add_argument("--serve", choices=["loom", "baseline"], help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        (serve_loom if args.serve == "loom" else serve_baseline)(Path(args.folder), args.port)
        return
    with tempfile.TemporaryDirectory() as folder:
        ports = {"loom": free_port(), "baseline": free_port()}
        servers = [
            subprocess.Popen(
                [sys.executable, __file__, "--serve", kind, "--folder", folder, "--port", str(port)],
                stderr=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
            for kind, port in ports.items()
        ]
        try:
            for port in ports.values():
                wait_for(port)
            token = (Path(folder) / "token").read_text()
            loom = measure(
                Client(ports["loom"], {"Authorization": f"Bearer {token}"}),
                "/api/v1/bench/deal",
                args.requests,
            )
            base = measure(Client(ports["baseline"], {}), "/deals", args.requests)
        finally:
            for server in servers:
                server.terminate()
                server.wait()
    report = {
        op: {"loom": round(loom[op]), "baseline": round(base[op]), "ratio": round(base[op] / loom[op], 2)}
        for op in loom
    }
    if args.format == "json":
        print(json.dumps(report))
        return
    print(
        f"API benchmark: {args.requests} sequential requests per operation, Werkzeug threaded server, SQLite"
    )
    print(f"  {'operation':12}{'loom req/s':>12}{'baseline':>12}{'ratio':>8}")
    for op, row in report.items():
        print(f"  {op:12}{row['loom']:>12,}{row['baseline']:>12,}{row['ratio']:>8.2f}")


if __name__ == "__main__":
    main()
