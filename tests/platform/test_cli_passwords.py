"""`loom user set-password|reset-password|deactivate|signout` on a real site: the password
policy holds on the command line, and each command ends the user's sessions."""

from __future__ import annotations

import os
import subprocess
import sys

from loom.platform.app import create_app
from loom.platform.site import open_site


def run(*args: str, site, url: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "LOOM_DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "loom.platform", *args, "--site", str(site)],
        capture_output=True, text=True, env=env, input=stdin, timeout=180,
    )  # fmt: skip


def signed_in(app, login: str, password: str):
    client = app.test_client()
    response = client.post("/api/v1/auth/login", json={"login": login, "password": password})
    assert response.status_code == 200, response.get_json()
    return client


def test_password_commands_follow_the_policy_and_end_sessions(tmp_path, database_url, monkeypatch) -> None:
    site = tmp_path / "site"
    assert run("migrate", "--apply", site=site, url=database_url).returncode == 0
    weak = run("user", "create", "weak", "--password", "a", site=site, url=database_url)
    assert weak.returncode == 1 and "at least 8" in weak.stderr and "Traceback" not in weak.stderr
    assert run("user", "create", "weak", "--password", "weak", site=site, url=database_url).returncode == 1
    created = run("user", "create", "zhang", "--password", "first-pass-1", site=site, url=database_url)
    assert created.returncode == 0, created.stderr

    monkeypatch.setenv("LOOM_DATABASE_URL", database_url)
    app = create_app(open_site(site))
    session = signed_in(app, "zhang", "first-pass-1")
    refused = run("user", "set-password", "zhang", "--password", "12345678", site=site, url=database_url)
    assert refused.returncode == 1 and "common" in refused.stderr
    assert session.get("/api/v1/me").status_code == 200  # a refused change ends nothing
    prompted = run("user", "set-password", "zhang", site=site, url=database_url, stdin="second-pass-2\n" * 2)
    assert prompted.returncode == 0, prompted.stderr
    assert session.get("/api/v1/me").status_code == 401
    session = signed_in(app, "zhang", "second-pass-2")

    reset = run("user", "reset-password", "zhang", site=site, url=database_url)
    assert reset.returncode == 0, reset.stderr
    new_password = reset.stdout.strip()
    assert len(new_password) >= 16 and "shown once" in reset.stderr
    assert session.get("/api/v1/me").status_code == 401
    session = signed_in(app, "zhang", new_password)
    other = signed_in(app, "zhang", new_password)

    ended = run("user", "signout", "zhang", site=site, url=database_url)
    assert ended.returncode == 0 and "2 session(s)" in ended.stdout
    assert session.get("/api/v1/me").status_code == 401 and other.get("/api/v1/me").status_code == 401

    session = signed_in(app, "zhang", new_password)
    assert run("user", "deactivate", "zhang", site=site, url=database_url).returncode == 0
    assert session.get("/api/v1/me").status_code == 401
    again = app.test_client().post("/api/v1/auth/login", json={"login": "zhang", "password": new_password})
    assert again.status_code == 401
    missing = run("user", "signout", "nobody", site=site, url=database_url)
    assert missing.returncode == 1 and "no user 'nobody'" in missing.stderr
    app.extensions["loom"].runtime.engine.dispose()
