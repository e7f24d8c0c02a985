"""Sessions end for good: sign-out, a new password, an admin, deactivation, the idle timeout
and the lifetime each make a copied cookie worthless, on the API and on the portal."""

from __future__ import annotations

import datetime as dt

import pytest

START = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)


def copy_of(site, client):
    """Another browser holding a copy of ``client``'s session cookie (as a thief would)."""
    thief = site.app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def signed_out(thief) -> bool:
    api = thief.get("/api/v1/me").status_code
    inbox = thief.get("/inbox")
    assert (api == 401) == (inbox.status_code == 302 and inbox.location.startswith("/login")), (api, inbox)
    return api == 401


def session_key(site, client) -> str:
    from flask.sessions import SecureCookieSessionInterface

    serializer = SecureCookieSessionInterface().get_signing_serializer(site.app)
    return serializer.loads(client.get_cookie("session").value)["sid"]


def sessions(site):
    return site.app.extensions["loom"].identity.sessions


def test_logout_ends_the_session_a_copied_cookie_holds(site) -> None:
    anna = site.client("anna")
    thief = copy_of(site, anna)
    assert not signed_out(thief)
    assert anna.post("/api/v1/auth/logout").get_json() == {"ok": True}
    assert signed_out(thief)


def test_portal_logout_ends_the_session_too(site) -> None:
    anna = site.client("anna")
    thief = copy_of(site, anna)
    token = anna.environ_base["HTTP_X_CSRF_TOKEN"]
    assert anna.post("/logout", data={"csrf_token": token}).status_code == 302
    assert signed_out(thief)


def test_a_new_password_ends_every_other_session(site) -> None:
    first, second = site.client("anna"), site.client("anna")
    services = site.app.extensions["loom"]
    own = session_key(site, first)  # the session making the change keeps going
    with services.runtime.engine.begin() as conn:
        services.identity.set_password(conn, site.users["anna"], "a-new-password-1", keep_session=own)
    assert signed_out(copy_of(site, second)) and not signed_out(first)
    with services.runtime.engine.begin() as conn:
        services.identity.set_password(conn, site.users["anna"], "a-new-password-2")
    assert signed_out(first)


def test_deactivating_a_user_ends_their_sessions(site) -> None:
    anna = site.client("anna")
    services = site.app.extensions["loom"]
    with services.runtime.engine.begin() as conn:
        services.identity.set_active(conn, site.users["anna"], False)
    assert signed_out(copy_of(site, anna))


def test_idle_timeout_and_lifetime(site, monkeypatch) -> None:
    now = [START]
    monkeypatch.setattr(sessions(site), "clock", lambda: now[0])
    idle, lifetime = sessions(site).limits.idle, sessions(site).limits.lifetime
    assert (idle, lifetime) == (dt.timedelta(hours=8), dt.timedelta(days=14))

    anna = site.client("anna")
    now[0] = START + idle - dt.timedelta(minutes=2)
    assert not signed_out(anna)  # used just in time: the idle clock starts again
    now[0] += idle - dt.timedelta(minutes=2)
    assert not signed_out(anna)
    now[0] += idle + dt.timedelta(minutes=2)
    assert signed_out(anna)

    now[0] = START
    bert = site.client("bert")
    while now[0] < START + lifetime - dt.timedelta(hours=2):
        now[0] += dt.timedelta(hours=7)
        assert not signed_out(bert)
    now[0] = START + lifetime + dt.timedelta(minutes=1)
    assert signed_out(bert)  # however busy, a session ends after its lifetime


@pytest.mark.parametrize("kind", ["idle", "lifetime"])
def test_site_settings_set_the_limits(tmp_path, kind) -> None:
    from loom.platform.site import SiteError
    from loom.platform.site import open_site

    (tmp_path / "site.yaml").write_text(
        "secret_key: x\nsession_idle_minutes: 30\nsession_lifetime_hours: 12\n", encoding="utf-8"
    )
    limits = open_site(tmp_path).settings.session_limits
    assert (limits.idle, limits.lifetime) == (dt.timedelta(minutes=30), dt.timedelta(hours=12))
    key = "session_idle_minutes" if kind == "idle" else "session_lifetime_hours"
    (tmp_path / "site.yaml").write_text(f"{key}: 0\n", encoding="utf-8")
    with pytest.raises(SiteError, match=key):
        open_site(tmp_path)


def test_the_cookie_holds_no_user_id(site) -> None:
    """A forged cookie with a user id (the old format) is not a session."""
    from flask.sessions import SecureCookieSessionInterface

    serializer = SecureCookieSessionInterface().get_signing_serializer(site.app)
    forged = site.app.test_client()
    forged.set_cookie("session", serializer.dumps({"user_id": site.users["root"]}))
    assert forged.get("/api/v1/me").status_code == 401
