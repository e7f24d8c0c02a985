"""A worker forked from a master that built the app (gunicorn's ``preload_app``, as
``loom.platform.gunicorn_conf`` sets it) serves on database connections of its own: after the
fork, the child opens a new one and the master's pooled connection goes on working, the same
PostgreSQL backend before and after the child has queried and exited."""

from __future__ import annotations

import json
import subprocess
import sys

from .conftest import LiveSite
from .processes import site_env

FORK = """
import json, os, sys
from sqlalchemy import text
import loom.platform.wsgi as wsgi

engine = wsgi.app.extensions["loom"].runtime.engine
postgres = engine.dialect.name == "postgresql"
who = text("select pg_backend_pid()" if postgres else "select count(*) from loom_users")

def ask():
    with engine.connect() as conn:
        return conn.execute(who).scalar()

before = ask()  # the master's connection, pooled
reading, writing = os.pipe()
child = os.fork()
if child == 0:
    wsgi.serve_here(forked=True)
    os.write(writing, json.dumps(ask()).encode())
    os._exit(0)
os.close(writing)
_, status = os.waitpid(child, 0)
in_child = json.loads(os.read(reading, 100))
print(json.dumps({"before": before, "child": in_child, "after": ask(), "status": status,
                  "postgres": postgres, "threads": [t.name for t in __import__("threading").enumerate()]}))
"""


def test_a_forked_worker_uses_connections_of_its_own(live: LiveSite) -> None:
    env = {**site_env(live.site.folder), "LOOM_PRELOAD": "1"}
    run = subprocess.run([sys.executable, "-c", FORK], env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout.splitlines()[-1])
    assert seen["status"] == 0
    if seen["postgres"]:
        assert seen["child"] != seen["before"]  # the child did not talk on the master's socket
        assert seen["after"] == seen["before"]  # and the master's connection survived it
    else:
        assert seen["child"] == seen["after"] == seen["before"] == len(live.users)
    # A preloading master starts no watcher: its workers do, after the fork.
    assert not {"loom-revision-watch", "loom-runner-watch"} & set(seen["threads"])
