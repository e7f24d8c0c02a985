"""The soak script (benchmarks/soak.py) in its smoke mode: the production processes on
PostgreSQL with the job runner on Redis, a few seconds of mixed traffic, no failed request, no
worker restart, no traceback, every job run done. The ten-minute run and its figures are in
docs/deploy.md; this keeps the script working."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
POSTGRES_URL = os.environ.get("LOOM_TEST_DATABASE_URL")
REDIS = ("127.0.0.1", 6379)


def redis_answers() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=1) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES_URL, reason="the soak runs on PostgreSQL: set LOOM_TEST_DATABASE_URL")
@pytest.mark.skipif(not redis_answers(), reason="the soak's job runner needs Redis on 127.0.0.1:6379")
def test_a_short_soak_answers_every_request_and_keeps_the_job_runner_up() -> None:
    done = subprocess.run(
        [sys.executable, "soak.py", "--database", POSTGRES_URL, "--smoke", "--duration", "6",
         "--format", "json"],
        cwd=BENCHMARKS, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(BENCHMARKS.parent)},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["errors_total"] == 0 and not result["restarted"] and result["tracebacks"] == 0
    assert {"list", "create", "submit", "approve", "report"} <= set(result["operations"])
    assert result["jobs"]["kept_up"] and result["jobs"]["runs"] == {"done": len(result["jobs"]["jobs"])}
