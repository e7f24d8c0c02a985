"""Signing in and out: refused from other sites, limited per login and per address even
under concurrent attempts, and anonymous writes told to sign in (401), not about CSRF."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from loom.platform.api import throttle

EVIL = "https://evil.example"
ANNA = {"login": "anna", "password": "anna-pw"}


def test_a_cross_site_form_cannot_sign_a_browser_in(site) -> None:
    victim = site.client()
    form = victim.post("/api/v1/auth/login", data=ANNA, headers={"Origin": EVIL})
    assert form.status_code in (403, 415)
    plain_form = victim.post("/api/v1/auth/login", data=ANNA)  # an old browser sending no Origin
    assert plain_form.status_code == 415
    as_text = victim.post("/api/v1/auth/login", data='{"login": "anna", "password": "anna-pw"}',
                          content_type="text/plain")  # fmt: skip
    assert as_text.status_code == 415
    fetched = victim.post("/api/v1/auth/login", json=ANNA, headers={"Sec-Fetch-Site": "cross-site"})
    assert fetched.status_code == 403 and fetched.get_json()["type"].endswith("/cross-site")
    other_origin = victim.post("/api/v1/auth/login", json=ANNA, headers={"Origin": EVIL})
    assert other_origin.status_code == 403
    assert victim.get("/api/v1/me").status_code == 401
    own = victim.post(
        "/api/v1/auth/login",
        json=ANNA,
        headers={"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"},
    )
    assert own.status_code == 200 and victim.get("/api/v1/me").status_code == 200


def test_a_cross_site_post_cannot_sign_a_browser_out(site) -> None:
    anna = site.client("anna")
    token = anna.environ_base.pop("HTTP_X_CSRF_TOKEN")
    assert anna.post("/api/v1/auth/logout", headers={"Origin": EVIL}).status_code == 403
    assert anna.post("/api/v1/auth/logout", headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    no_token = anna.post("/api/v1/auth/logout")
    assert no_token.status_code == 403 and no_token.get_json()["type"].endswith("/csrf")
    assert anna.get("/api/v1/me").status_code == 200
    assert anna.post("/api/v1/auth/logout", headers={"X-CSRF-Token": token}).status_code == 200
    assert anna.get("/api/v1/me").status_code == 401
    assert site.client().post("/api/v1/auth/logout").status_code == 200  # nothing to end


def test_anonymous_writes_are_told_to_sign_in(site) -> None:
    anonymous = site.client()
    for method, path in [
        ("post", "/api/v1/sales/customer"),
        ("patch", "/api/v1/sales/customer/1"),
        ("delete", "/api/v1/sales/customer/1"),
        ("post", "/api/v1/files"),
    ]:
        response = getattr(anonymous, method)(path, json={"title": "x"})
        assert response.status_code == 401, (method, path, response.get_json())
        assert response.get_json()["type"].endswith("/401")


def attempt(site, password: str, login: str = "anna") -> int:
    client = site.app.test_client()
    return client.post("/api/v1/auth/login", json={"login": login, "password": password}).status_code


def test_concurrent_wrong_passwords_are_checked_at_most_the_limit(site) -> None:
    with ThreadPoolExecutor(max_workers=15) as pool:
        answers = list(pool.map(lambda _: attempt(site, "wrong"), range(30)))
    # A race may refuse one try too many (each counts the others in flight), never check one too many.
    assert 1 <= answers.count(401) <= throttle.MAX_FAILURES
    assert answers.count(401) + answers.count(429) == 30
    while attempt(site, "wrong") == 401:  # use up what the race left, one at a time
        pass
    assert attempt(site, "anna-pw") == 429  # locked: even the right password is not checked
    assert attempt(site, "bert-pw", "bert") == 200  # other logins from the address still work


def test_a_cap_per_address_across_logins(site, monkeypatch) -> None:
    monkeypatch.setattr(throttle, "MAX_PER_ADDRESS", 5)
    for _ in range(8):
        assert attempt(site, "anna-pw") == 200  # successes do not use up the address's allowance
    for login in ["nobody1", "nobody2", "bert", "lead", "fina"]:
        assert attempt(site, "wrong", login) == 401
    assert attempt(site, "root-pw", "root") == 429
