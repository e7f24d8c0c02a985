"""Admins move between the portal and the console through links in both navigations."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient


def sign_in(app, login: str, lang: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = lang
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    response = client.post("/login", data={"login": login, "password": f"{login}-pw", "csrf_token": token})
    assert response.status_code == 302
    return client


@pytest.mark.parametrize(
    ("lang", "to_console", "to_portal"),
    [("zh", "管理后台", "返回门户"), ("en", "Console", "Back to the portal")],
)
def test_admins_have_links_between_portal_and_console(
    app, lang: str, to_console: str, to_portal: str
) -> None:
    root = sign_in(app, "root", lang)
    assert f'<a class="nav-link" id="nav-console" href="/admin/">{to_console}</a>' in root.get("/").text
    me = root.get("/me").text  # on a phone the navigation folds: 我的 has the link too
    assert re.search(rf'id="me-console" href="/admin/">{to_console}</a>', me)
    console = root.get("/admin/").text
    assert f'<a class="nav-link" id="console-to-portal" href="/">{to_portal}</a>' in console


def test_the_console_link_is_for_admins_only(app) -> None:
    emma = sign_in(app, "emma", "zh")
    assert 'id="nav-console"' not in emma.get("/").text
    assert 'id="me-console"' not in emma.get("/me").text
