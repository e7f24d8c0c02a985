"""Only admins use the console: others get 403 on every URL, strangers are sent to sign in."""

from __future__ import annotations

import pytest

SIGN_IN = "/admin/login/"
OPEN = frozenset({"loom_sign_in.index", "loom_sign_in.sign_out"})


def console_urls(app) -> list[tuple[str, str]]:
    """(method, path) of every console route but the sign-in pages and static files."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin/") or rule.endpoint in OPEN or rule.arguments:
            continue
        method = "GET" if "GET" in rule.methods else "POST"
        found.append((method, rule.rule))
    return found


def test_every_console_url_is_closed_to_non_admins(console) -> None:
    urls = console_urls(console.app)
    assert len(urls) > 20  # every entity has its list, create, edit, details, delete...
    client = console.client("emma")
    for method, path in urls:
        response = client.open(path, method=method, query_string={"id": "1"})
        assert response.status_code == 403, (method, path)
        assert "The console is for administrators only." in response.text


def test_strangers_are_sent_to_sign_in_and_back(console) -> None:
    client = console.client()
    urls = console_urls(console.app)
    for method, path in urls:
        response = client.open(path, method=method)
        assert response.status_code == 302, (method, path)
        assert response.location.startswith(f"{SIGN_IN}?next="), (method, path)
    page = client.get("/admin/oa/announcement/")
    form = client.get(page.location)
    signed_in = client.post(
        page.location,
        data={"login": "root", "password": "root-pw", "csrf_token": console.csrf(form.text)},
    )
    assert signed_in.status_code == 302
    assert signed_in.location == "/admin/oa/announcement/"
    assert client.get(signed_in.location).status_code == 200


def test_the_api_session_opens_the_console(console) -> None:
    client = console.client()
    response = client.post("/api/v1/auth/login", json={"login": "root", "password": "root-pw"})
    assert response.status_code == 200
    assert client.get("/admin/").status_code == 200


@pytest.mark.parametrize("lang, message", [("en", "Wrong login or password."), ("zh", "用户名或密码错误。")])
def test_wrong_password_and_missing_csrf(console, lang: str, message: str) -> None:
    client = console.client(lang=lang)
    token = console.csrf(client.get(SIGN_IN).text)
    wrong = client.post(SIGN_IN, data={"login": "root", "password": "nope", "csrf_token": token})
    assert wrong.status_code == 200 and message in wrong.text
    forged = client.post(SIGN_IN, data={"login": "root", "password": "root-pw"})
    assert forged.status_code == 200
    assert client.get("/admin/").status_code == 302


def test_sign_out_needs_the_csrf_token(console) -> None:
    client = console.client("root")
    home = client.get("/admin/")
    assert client.post("/admin/login/out").status_code == 302
    assert client.get("/admin/").status_code == 200  # not signed out by a forged post
    assert client.post("/admin/login/out", data={"csrf_token": console.csrf(home.text)}).status_code == 302
    assert client.get("/admin/").status_code == 302
