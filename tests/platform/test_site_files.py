"""The site's secrets on disk and on the wire: site.yaml and the SQLite database are created
for their owner only, a start-up warns when others may read them, LOOM_SECRET_KEY overrides
the file, and the session cookie is Secure over https (behind a trusted proxy too)."""

from __future__ import annotations

import logging
import stat
import subprocess
import sys

import pytest

from loom.platform.app import create_app
from loom.platform.runtime import Runtime
from loom.platform.site import SiteError
from loom.platform.site import open_site


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_site_yaml_and_the_database_are_created_for_their_owner_only(tmp_path) -> None:
    site = tmp_path / "site"
    done = subprocess.run([sys.executable, "-m", "loom.platform", "migrate", "--apply", "--site", str(site)],
                          capture_output=True, text=True, timeout=180)  # fmt: skip
    assert done.returncode == 0, done.stderr
    created = [site / "site.yaml", site / "loom.db", *site.glob("loom.db-*")]
    assert len(created) >= 2
    assert {path.name: mode(path) for path in created} == {path.name: 0o600 for path in created}


def app_for(folder, database_url, monkeypatch, settings: str = ""):
    folder.mkdir(exist_ok=True)
    (folder / "site.yaml").write_text(f"apps: [oa]\nsecret_key: from-the-file\n{settings}", encoding="utf-8")
    (folder / "site.yaml").chmod(0o600)
    monkeypatch.setenv("LOOM_DATABASE_URL", database_url)
    site = open_site(folder)
    runtime = Runtime.for_site(site)
    runtime.schema.metadata.create_all(runtime.engine)
    app = create_app(site, runtime=runtime)
    with runtime.engine.begin() as conn:
        app.extensions["loom"].identity.create_user(conn, "anna", "Anna", password="anna-pass-1")
    return app


def test_a_start_warns_when_others_may_read_the_secrets(tmp_path, monkeypatch, caplog) -> None:
    folder = tmp_path / "site"
    app_for(folder, f"sqlite:///{tmp_path / 'other.db'}", monkeypatch)
    with caplog.at_level(logging.WARNING, logger="loom"):
        create_app(open_site(folder))
    assert "readable by other users" not in caplog.text
    (folder / "site.yaml").chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="loom"):
        create_app(open_site(folder))
    assert f"{folder / 'site.yaml'} is readable by other users" in caplog.text


def test_loom_secret_key_overrides_the_file(tmp_path, monkeypatch) -> None:
    (tmp_path / "site.yaml").write_text("secret_key: from-the-file\n", encoding="utf-8")
    assert open_site(tmp_path).settings.secret_key == "from-the-file"
    monkeypatch.setenv("LOOM_SECRET_KEY", "from-the-environment")
    assert open_site(tmp_path).settings.secret_key == "from-the-environment"


def sign_in_cookie(app, base_url: str, **headers) -> str:
    client = app.test_client()
    answer = client.post("/api/v1/auth/login", json={"login": "anna", "password": "anna-pass-1"},
                         base_url=base_url, headers=headers)  # fmt: skip
    assert answer.status_code == 200, answer.get_json()
    return answer.headers["Set-Cookie"]


def test_the_session_cookie_is_secure_over_https(tmp_path, database_url, monkeypatch) -> None:
    app = app_for(tmp_path / "site", database_url, monkeypatch)
    assert "Secure" not in sign_in_cookie(app, "http://localhost")
    assert "Secure" in sign_in_cookie(app, "https://localhost")
    # Without trusted_proxies anyone could claim https: the header is not believed.
    assert "Secure" not in sign_in_cookie(app, "http://localhost", **{"X-Forwarded-Proto": "https"})


def test_behind_a_trusted_proxy_its_forwarded_headers_count(tmp_path, database_url, monkeypatch) -> None:
    app = app_for(tmp_path / "site", database_url, monkeypatch, "trusted_proxies: 1\n")
    forwarded = {
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "loom.example",
        "X-Forwarded-For": "10.1.2.3",
    }
    cookie = sign_in_cookie(app, "http://127.0.0.1:8000", Origin="https://loom.example", **forwarded)
    assert "Secure" in cookie


def test_session_cookie_secure_can_be_forced(tmp_path, database_url, monkeypatch) -> None:
    app = app_for(tmp_path / "site", database_url, monkeypatch, "session_cookie_secure: true\n")
    assert "Secure" in sign_in_cookie(app, "http://localhost")
    (tmp_path / "site" / "site.yaml").write_text("session_cookie_secure: maybe\n", encoding="utf-8")
    with pytest.raises(SiteError, match="session_cookie_secure"):
        open_site(tmp_path / "site")
