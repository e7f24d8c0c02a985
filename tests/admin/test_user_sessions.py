"""The console's user page: the password policy, and the ways an admin ends a user's sessions
(sign out everywhere, a new password, deactivation) while keeping their own."""

from __future__ import annotations

from .test_platform import post_form


def api_client(console, login: str, password: str):
    client = console.app.test_client()
    response = client.post("/api/v1/auth/login", json={"login": login, "password": password})
    assert response.status_code == 200, response.get_json()
    return client


def edit(client, console, user: str, **values):
    data = {"name": user.title(), "roles": [], "locale": "zh_CN", "active": "y", **values}
    return post_form(client, console, f"/admin/users/edit/?id={console.users[user]}", data)


def test_weak_passwords_are_refused_in_the_console(console) -> None:
    root = console.client("root", lang="zh")
    created = post_form(root, console, "/admin/users/new/",
                        {"login": "lily", "name": "Lily", "password": "lily", "locale": "en"})  # fmt: skip
    assert created.status_code == 200 and "密码至少需要 8 个字符" in created.text
    common = edit(root, console, "emma", password="password1")
    assert common.status_code == 200 and "太常见" in common.text
    assert console.services.identity.authenticate("emma", "emma-pw") is not None


def test_sign_out_everywhere(console) -> None:
    emma = api_client(console, "emma", "emma-pw")
    root = console.client("root")
    page = root.get("/admin/users/")
    assert "Sign out everywhere" in page.text
    answer = root.post(
        "/admin/users/action/",
        data={
            "action": "signout",
            "rowid": [str(console.users["emma"])],
            "csrf_token": console.csrf(page.text),
        },
    )
    assert answer.status_code == 302
    assert "1 session(s) ended." in root.get(answer.location).text
    assert emma.get("/api/v1/me").status_code == 401
    assert root.get("/admin/users/").status_code == 200


def test_a_new_password_or_deactivation_ends_the_users_sessions(console) -> None:
    emma = api_client(console, "emma", "emma-pw")
    root = console.client("root")
    assert edit(root, console, "emma", password="emma-new-pass").status_code == 302
    assert emma.get("/api/v1/me").status_code == 401
    emma = api_client(console, "emma", "emma-new-pass")
    assert edit(root, console, "emma", active="").status_code == 302
    assert emma.get("/api/v1/me").status_code == 401


def test_an_admin_changing_their_own_password_stays_signed_in_here_only(console) -> None:
    elsewhere = api_client(console, "root", "root-pw")
    root = console.client("root")
    data = {"roles": ["admin"], "password": "root-new-pass"}
    assert edit(root, console, "root", **data).status_code == 302
    assert root.get("/admin/").status_code == 200
    assert elsewhere.get("/api/v1/me").status_code == 401
