"""设置: a person changes their own name, password and language; each through Identity
(audited as done by them), the password only with the current one, within the sign-in
attempt limits, by the site's policy, ending their other sessions."""

from __future__ import annotations

from sqlalchemy import select

from .test_pages import csrf_of
from .test_pages import sign_in


def audit_of(app, user_id: int) -> list[tuple[str, int | None]]:
    services = app.extensions["loom"]
    audit = services.runtime.schema.metadata.tables["loom_audit"]
    query = select(audit.c.action, audit.c.user_id).where(
        audit.c.entity == "loom_users", audit.c.record_id == user_id
    )
    with services.runtime.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(query.order_by(audit.c.id))]


def test_a_person_renames_themself_and_switches_language(app) -> None:
    emma = sign_in(app, "emma", lang="zh")
    page = emma.get("/settings").text
    assert '<h1 class="h3 mb-3">设置</h1>' in page and 'id="settings-password"' in page
    assert 'id="nav-settings" href="/settings">设置<' in page
    assert 'id="me-settings"' in emma.get("/me").text

    empty = emma.post("/settings/name", data={"name": "  ", "csrf_token": emma.csrf})
    assert empty.status_code == 422 and "请填写 1 到 120 个字符的姓名" in empty.text
    assert emma.post("/settings/name", data={"name": "杨小雨", "csrf_token": emma.csrf}).status_code == 302
    assert 'id="nav-user" title="emma">杨小雨<' in emma.get("/settings").text

    emma.post("/settings/language", data={"lang": "en", "csrf_token": emma.csrf})
    assert '<h1 class="h3 mb-3">Settings</h1>' in emma.get("/settings").text
    services = app.extensions["loom"]
    with services.runtime.engine.connect() as conn:
        assert services.identity.user(conn, app.users["emma"])["locale"] == "en"
    me = app.users["emma"]
    assert audit_of(app, me)[-2:] == [("update", me), ("update", me)]  # by herself


def test_a_new_password_needs_the_current_one_and_the_policy(app) -> None:
    emma = sign_in(app, "emma", lang="zh")
    elsewhere = sign_in(app, "emma", lang="zh")

    def change(current: str, new: str, again: str | None = None):
        data = {"current_password": current, "new_password": new, "confirm_password": again or new}
        return emma.post("/settings/password", data={**data, "csrf_token": emma.csrf})

    assert "两次输入的新密码不一致" in change("emma-pw", "Lantern-42", "Lantern-43").text
    wrong = change("nope", "Lantern-42")
    assert wrong.status_code == 422 and "当前密码不正确" in wrong.text
    assert "密码至少需要" in change("emma-pw", "ab1").text
    assert change("emma-pw", "Lantern-42").status_code == 302
    assert emma.get("/settings").status_code == 200  # this session stays
    assert elsewhere.get("/settings").status_code == 302  # the other one ended
    assert ("password", app.users["emma"]) in audit_of(app, app.users["emma"])
    fresh = app.test_client()
    token = csrf_of(fresh.get("/login").text)
    signed = fresh.post("/login", data={"login": "emma", "password": "Lantern-42", "csrf_token": token})
    assert signed.status_code == 302
