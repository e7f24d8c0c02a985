"""What following the current metadata revision costs a request, and how long a switch takes.

    python benchmarks/revision_check.py [--requests N] [--rounds N] [--database URL] [--format json]

On a site with the OA and CRM apps (a scratch SQLite file by default), the same signed-in
``GET /api/v1/me`` is sent through the WSGI app of ``create_app`` (which reads the current
revision's number before each request) and through the same Flask app without that check,
turn about, round after round. Reported: microseconds per request for both, the ratio (with
check / without) as the median of the per-round ratios with the smallest and largest, and the
time of the first request after a publish, which builds the app for the new revision.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from scratch import scratch_database
from werkzeug.test import Client

from loom.platform import migrations
from loom.platform.app import create_app
from loom.platform.revisions import publish
from loom.platform.runtime import Runtime
from loom.platform.site import open_site

OVERLAY = """\
kind: overlay
name: bench_wechat
target: crm.customer
patch:
  fields:
    - {name: wechat, label: {zh: 微信号, en: WeChat}, type: string, max_length: 64}
"""
ENGINES: list[Any] = []  # disposed before the scratch schema is dropped


def timed(client: Client, headers: dict[str, str], requests: int) -> float:
    """Microseconds per request."""
    start = time.perf_counter()
    for _ in range(requests):
        response = client.get("/api/v1/me", headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
    return (time.perf_counter() - start) / requests * 1e6


def measure(url: str, folder: Path, requests: int, rounds: int) -> dict[str, Any]:
    (folder / "site.yaml").write_text(f"database: '{url}'\napps: [oa, crm]\nsecret_key: bench\n")
    site = open_site(folder, create=False)
    runtime = Runtime.for_site(site)
    ENGINES.append(runtime.engine)
    migrations.apply(migrations.plan(runtime), runtime.engine)
    app = create_app(site)
    services = app.extensions["loom"]
    with runtime.engine.begin() as conn:
        user = services.identity.create_user(conn, "bench", "bench", roles=["admin"])
        token = services.identity.create_token(conn, user, "bench").token
    headers = {"Authorization": f"Bearer {token}"}
    following = app.wsgi_app
    ENGINES.append(following.head.engine)
    checked, plain = Client(app), Client(following.serving[1])
    with_check, without, ratios = [], [], []
    timed(checked, headers, requests)  # warm both
    for _ in range(rounds):
        a, b = timed(checked, headers, requests), timed(plain, headers, requests)
        with_check.append(a)
        without.append(b)
        ratios.append(a / b)
    publish.publish(
        site, runtime.engine, {"overlays/bench.yaml": OVERLAY}, parent=0, author_id=None, message="x"
    )
    start = time.perf_counter()
    assert checked.get("/api/v1/me", headers=headers).status_code == 200
    switch = time.perf_counter() - start
    return {
        "database": url.split(":", 1)[0],
        "with_check_us": statistics.median(with_check),
        "without_check_us": statistics.median(without),
        "ratio": statistics.median(ratios),
        "ratio_min": min(ratios),
        "ratio_max": max(ratios),
        "first_request_after_publish_s": switch,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--database", help="a PostgreSQL URL (default: a scratch SQLite file)")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, scratch_database(args.database, folder) as url:
        report = measure(url, Path(folder), args.requests, args.rounds)
        for engine in ENGINES:
            engine.dispose()
    if args.format == "json":
        print(json.dumps(report))
        return
    print(f"database                          {report['database']}")
    print(f"GET /api/v1/me with the check     {report['with_check_us']:8.0f} µs")
    print(f"GET /api/v1/me without it         {report['without_check_us']:8.0f} µs")
    spread = f"[{report['ratio_min']:.2f}–{report['ratio_max']:.2f}]"
    print(f"ratio (with / without)            {report['ratio']:8.2f}  {spread}")
    print(f"first request after a publish     {report['first_request_after_publish_s']:8.2f} s")


if __name__ == "__main__":
    main()
