"""The one check of where ``next`` may send a browser, against the usual open-redirect tricks,
and the portal's and the console's sign-in using it."""

from __future__ import annotations

import re

import pytest

from loom.platform.web.redirects import local_path

UNSAFE = [
    "//evil.example/",
    "/\t/evil.example/",
    "/%09/evil.example/",
    "/\r\n/evil.example/",
    "/%0d%0a/evil.example/",
    "/\\evil.example/",
    "\\\\evil.example/",
    "/%5cevil.example/",
    "/%2f/evil.example/",
    "%2f%2fevil.example/",
    "https://evil.example/",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "/\x00/evil.example",
    "evil.example",
    "",
    None,
]
SAFE = ["/", "/inbox", "/oa/leave/3?tab=history", "/admin/loom_users/?search=a%20b", "/a/%E4%B8%AD"]


@pytest.mark.parametrize("target", UNSAFE)
def test_unsafe_targets_are_refused(target) -> None:
    assert local_path(target) is None


@pytest.mark.parametrize("target", SAFE)
def test_paths_of_this_site_are_kept(target) -> None:
    assert local_path(target) == target


def test_the_portal_sign_in_ignores_a_tab_hidden_host(app) -> None:
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    data = {"login": "emma", "password": "emma-pw", "csrf_token": token}
    response = client.post("/login?next=/%09/evil.example/", data=data)
    assert response.headers["Location"] == "/"


def test_the_console_sign_in_ignores_a_tab_hidden_host(app) -> None:
    client = app.test_client()
    token = re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/admin/login/").text
    ).group(1)
    data = {"login": "root", "password": "root-pw", "csrf_token": token}
    response = client.post("/admin/login/?next=/%09/evil.example/", data=data)
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"
